from __future__ import annotations

from datetime import datetime
from unittest import mock

import pytest
from django.utils import timezone

from hub.celery import app as celery_app


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _celery_eager():
    """Tasks queued after commit run in the test process, so their effects (emails, refunds) can be seen."""
    before = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = before


class Clock:
    """A settable `timezone.now()` for code under test (services, selectors, auto_now fields)."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta) -> datetime:
        self.now = self.now + delta
        return self.now


@pytest.fixture
def clock():
    clock = Clock(timezone.now().replace(microsecond=0))
    with mock.patch("django.utils.timezone.now", clock):
        yield clock
