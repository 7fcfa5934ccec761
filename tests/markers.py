"""Markers shared by the suite."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.harness import IN_CI


def postgresql_only(reason: str) -> pytest.MarkDecorator:
    """For what only PostgreSQL has (row locks under real concurrency, triggers, exclusion constraints). A
    developer pointing DATABASE_URL at SQLite by hand skips these; under CI=true they never skip, so a run
    without PostgreSQL fails instead of passing quietly."""
    return pytest.mark.skipif(connection.vendor != "postgresql" and not IN_CI, reason=f"needs PostgreSQL: {reason}")
