import pytest

from listings.models import Category
from playbooks.demo import SERIES_TITLE, seed_playbooks
from playbooks.models import PlaybookPage, WelcomeSeries
from playbooks.selectors import description_templates_for, welcome_series_for_stage

pytestmark = pytest.mark.django_db


def test_seed_playbooks_is_idempotent(author):
    # given the demo seeded twice
    first = seed_playbooks(author=author)
    second = seed_playbooks(author=author)
    # then the same two live playbooks and one welcome series exist
    assert {page.pk for page in first.values()} == {page.pk for page in second.values()}
    assert PlaybookPage.objects.live().count() == 2
    assert WelcomeSeries.objects.filter(title=SERIES_TITLE).count() == 1
    series = welcome_series_for_stage("new")
    assert [item.page.slug for item in series.items.all()] == list(first)
    for page in first.values():
        assert page.live and page.owner == author and len(page.steps) >= 4
    # and a ceramics listing is offered both demo templates, the ceramics one first
    templates = description_templates_for(Category.objects.get(slug="ceramics"), {"title": "Mug"})
    assert [t.title for t in templates] == ["Ceramic piece", "Handmade item"]


def test_the_demo_pages_render(client, author):
    pages = seed_playbooks(author=author)
    for page in pages.values():
        assert client.get(page.url).status_code == 200
    html = client.get("/playbooks/welcome/").content.decode()
    assert SERIES_TITLE in html
