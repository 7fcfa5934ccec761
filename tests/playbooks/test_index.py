"""The playbook index: facet filters in the query string, keyword search through Wagtail's backend, pages."""

from __future__ import annotations

import pytest
from wagtail.models import Page

from playbooks.models import PlaybookIndexPage, Region
from tests.listings import factories as listing_factories
from tests.playbooks.factories import block, playbook, step

pytestmark = pytest.mark.django_db


def titles(response) -> set[str]:
    return {page.title for page in response.context["playbooks"]}


@pytest.fixture
def tree():
    goods = listing_factories.category("Goods")
    ceramics = listing_factories.category("Ceramics", parent=goods)
    clothing = listing_factories.category("Clothing", parent=goods)
    services = listing_factories.category("Services")
    return {"goods": goods, "ceramics": ceramics, "clothing": clothing, "services": services}


def test_category_filter_takes_in_ancestors_and_descendants(client, tree):
    # given playbooks filed under a parent category, a child, a sibling and another branch
    playbook(title="Selling any goods", categories=[tree["goods"]])
    playbook(title="Glazes that sell", categories=[tree["ceramics"]])
    playbook(title="Measuring garments", categories=[tree["clothing"]])
    playbook(title="Teaching a class", categories=[tree["services"]])
    # when a member filters by the child category
    ceramics = client.get("/playbooks/", {"category": tree["ceramics"].slug})
    # then its own playbooks and its ancestors' show, not its sibling's
    assert titles(ceramics) == {"Selling any goods", "Glazes that sell"}
    # and the parent category takes in its children
    goods = client.get("/playbooks/", {"category": tree["goods"].slug})
    assert titles(goods) == {"Selling any goods", "Glazes that sell", "Measuring garments"}


def test_business_model_stage_region_and_tag_filters(client):
    madrid = Region.objects.create(name="Madrid", slug="madrid")
    leeds = Region.objects.create(name="Leeds", slug="leeds")
    playbook(title="Resale basics", business=["resale"], stage="new", regions=[madrid], tags=["sourcing"])
    playbook(title="Handmade at scale", business=["handmade"], stage="established", regions=[leeds])
    playbook(title="For everyone", business=["handmade", "resale"], tags=["pricing"])

    assert titles(client.get("/playbooks/", {"business": "resale"})) == {"Resale basics", "For everyone"}
    # a playbook for every stage (stage left empty) shows under each stage
    assert titles(client.get("/playbooks/", {"stage": "new"})) == {"Resale basics", "For everyone"}
    # likewise a playbook for everywhere under each region
    assert titles(client.get("/playbooks/", {"region": "leeds"})) == {"Handmade at scale", "For everyone"}
    assert titles(client.get("/playbooks/", {"tag": "pricing"})) == {"For everyone"}
    both = client.get("/playbooks/", {"business": "handmade", "stage": "established"})
    assert titles(both) == {"Handmade at scale", "For everyone"}
    # each active filter can be removed on its own
    chips = [chip["label"] for chip in both.context["chips"]]
    assert chips == ["Handmade", "Established"]


def test_keyword_search_reads_the_body_tags_and_categories(client, tree):
    # given playbooks whose words sit in different places
    playbook(title="Firing costs", body=[step("Share the kiln", "<p>Split each kiln firing with a neighbour.</p>")])
    playbook(title="Photos", body=[step("Daylight", "<p>Stand by a window.</p>")], tags=["lighting"])
    playbook(title="Dresses", categories=[tree["clothing"]])
    playbook(title="Kiln draft", body=[step("Kiln", "<p>kiln</p>")], publish=False)
    # then a word from a step's text, a tag or a category name finds them; drafts stay hidden
    assert titles(client.get("/playbooks/", {"q": "kiln"})) == {"Firing costs"}
    assert titles(client.get("/playbooks/", {"q": "lighting"})) == {"Photos"}
    assert titles(client.get("/playbooks/", {"q": "clothing"})) == {"Dresses"}
    # and search combines with a facet
    assert titles(client.get("/playbooks/", {"q": "kiln", "category": tree["clothing"].slug})) == set()


def test_the_site_search_finds_playbooks():
    playbook(title="Packing parcels", body=[step("Bubble wrap", "<p>Wrap mugs in two layers.</p>")])
    found = Page.objects.live().search("bubble wrap")
    assert "Packing parcels" in {page.title for page in found}


def test_pagination_keeps_the_filters(client):
    for n in range(PlaybookIndexPage.PAGE_SIZE + 1):
        playbook(title=f"Resale {n:02d}", business=["resale"])
    first = client.get("/playbooks/", {"business": "resale"})
    assert len(first.context["playbooks"]) == PlaybookIndexPage.PAGE_SIZE
    assert first.context["next_url"] == "?business=resale&page=2"
    second = client.get("/playbooks/" + first.context["next_url"])
    assert len(second.context["playbooks"]) == 1
    assert second.context["previous_url"] == "?business=resale&page=1"


def test_a_filter_it_does_not_know_shows_everything_with_a_message(client):
    playbook(title="Anything")
    response = client.get("/playbooks/", {"category": "no-such-category", "stage": "legendary"})
    assert response.status_code == 200
    assert titles(response) == {"Anything"}
    assert "Some filters were not understood" in response.content.decode()


def test_search_words_are_shown_escaped(client):
    response = client.get("/playbooks/", {"q": "<script>alert(1)</script>"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_a_block_of_unknown_words_finds_nothing(client):
    playbook(title="Pricing", body=[block("callout", {"tone": "tip", "text": "<p>Round prices sell.</p>"})])
    assert titles(client.get("/playbooks/", {"q": "zyxwv"})) == set()
