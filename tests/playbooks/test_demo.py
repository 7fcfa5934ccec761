import pytest

from listings.models import Category
from playbooks.blocks import PlaybookStreamBlock
from playbooks.demo import SERIES_TITLE, seed_playbooks
from playbooks.models import PlaybookPage, WelcomeSeries
from playbooks.selectors import (
    description_templates_for,
    fulfilment_tips_for,
    reply_templates_for,
    welcome_series_for_stage,
)

pytestmark = pytest.mark.django_db


def test_seed_playbooks_is_idempotent(author):
    # given the demo seeded twice
    first = seed_playbooks(author=author)
    second = seed_playbooks(author=author)
    # then the same three live playbooks and one welcome series (of the first two) exist
    assert {page.pk for page in first.values()} == {page.pk for page in second.values()}
    assert PlaybookPage.objects.live().count() == 3
    assert WelcomeSeries.objects.filter(title=SERIES_TITLE).count() == 1
    series = welcome_series_for_stage("new")
    assert [item.page.slug for item in series.items.all()] == list(first)[:2]
    for slug in list(first)[:2]:
        assert first[slug].live and first[slug].owner == author and len(first[slug].steps) >= 4
    # and a ceramics listing is offered both demo templates, the ceramics one first
    templates = description_templates_for(Category.objects.get(slug="ceramics"), {"title": "Mug"})
    assert [t.title for t in templates] == ["Ceramic piece", "Handmade item"]


def test_the_demo_pages_render(client, author):
    pages = seed_playbooks(author=author)
    for page in pages.values():
        assert client.get(page.url).status_code == 200
    html = client.get("/playbooks/welcome/").content.decode()
    assert SERIES_TITLE in html


def test_the_demo_has_fulfilment_tips_and_a_reply_template_that_the_cms_would_accept(author):
    pages = seed_playbooks(author=author)
    ceramics = Category.objects.get(slug="ceramics")
    assert "Tell the buyer it is on its way" in [t.title for t in fulfilment_tips_for(ceramics, "item")]
    assert "Confirm the booking the day before" in [t.title for t in fulfilment_tips_for(None, "booking")]
    (reply,) = reply_templates_for(None, {"buyer_name": "Bea", "title": "Mug"})
    assert reply.body.startswith("Hello Bea, thank you for asking about Mug.")
    # every demo page passes the editor's validation (no unknown placeholders)
    for page in pages.values():
        PlaybookStreamBlock().clean(page.body)
