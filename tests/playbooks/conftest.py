from __future__ import annotations

import pytest

from tests.playbooks.factories import facilitator


class OfflineEmbedFinder:
    """No network in tests: every embed is "not found", as when the provider cannot be reached."""

    def __init__(self, **options):
        pass

    def accept(self, url: str) -> bool:
        return True

    def find_embed(self, url, max_width=None, max_height=None):
        from wagtail.embeds.exceptions import EmbedNotFoundException

        raise EmbedNotFoundException(url)


@pytest.fixture(autouse=True)
def _offline_embeds(settings):
    from wagtail.embeds.finders import get_finders

    settings.WAGTAILEMBEDS_FINDERS = [{"class": "tests.playbooks.conftest.OfflineEmbedFinder"}]
    get_finders.cache_clear()
    yield
    get_finders.cache_clear()


@pytest.fixture
def author(db):
    return facilitator()


@pytest.fixture
def reviewer(db):
    return facilitator()
