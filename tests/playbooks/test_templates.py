"""Description templates: placeholders filled from a listing, escaping, the templates a category offers, and
recording their use."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template import Context, Template

from playbooks.models import TemplateUse
from playbooks.placeholders import listing_template_values, price_format, template_fill, template_placeholders
from playbooks.selectors import description_templates_for
from playbooks.services import template_use_record
from tests.factories import MemberFactory
from tests.listings import factories as listing_factories
from tests.playbooks.factories import description_template, playbook, step


def test_placeholders_are_filled_and_unknown_ones_stay_visible():
    text = "{title} in {place} for {price}. Glaze: {glaze}. Maker: {seller_name}."
    filled = template_fill(text, {"title": "Teal mug", "place": "Leeds", "price": "£18.00", "seller_name": ""})
    assert filled == "Teal mug in Leeds for £18.00. Glaze: {glaze}. Maker: {seller_name}."


def test_values_and_template_text_are_escaped():
    filled = template_fill("<b>{title}</b> & {place}", {"title": '<script>alert("x")</script>', "place": "A&B"})
    assert filled == "&lt;b&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;/b&gt; &amp; A&amp;B"
    # rendered in a template it shows the characters once, never as markup
    html = Template("<pre>{{ body }}</pre>").render(Context({"body": filled}))
    assert "<script>" not in html and "&amp;lt;" not in html


def test_braces_that_are_not_names_are_plain_text():
    assert template_fill("{ } {1 + 2} {Title} {{title}}", {"title": "Mug"}) == "{ } {1 + 2} {Title} {Mug}"
    assert template_placeholders("{title} {place} {title} {not a name}") == ["title", "place"]


@pytest.mark.django_db
def test_listing_values_from_a_form_dict_or_a_listing():
    seller = MemberFactory(display_name="Ama Owusu")
    values = listing_template_values(
        {"title": "Mug", "location_name": "Leeds", "price_amount": 1850, "currency": "GBP"}, seller=seller
    )
    assert values == {"title": "Mug", "place": "Leeds", "price": "£18.50", "seller_name": "Ama Owusu"}
    assert price_format(500, "SEK") == "5.00 SEK"
    assert listing_template_values({"title": ""}) == {}


@pytest.mark.django_db
def test_a_category_gets_templates_from_its_own_and_its_ancestors_playbooks():
    # given templates in playbooks filed under Goods, Ceramics, Clothing, and a draft under Ceramics
    goods = listing_factories.category("Goods")
    ceramics = listing_factories.category("Ceramics", parent=goods)
    clothing = listing_factories.category("Clothing", parent=goods)
    playbook(title="Any goods", categories=[goods], body=[description_template("General", "{title}, {place}")])
    specific = playbook(
        title="Pots",
        categories=[ceramics],
        body=[step(), description_template("Mug", "{title} holds {capacity}", block_id="tpl-mug")],
    )
    playbook(title="Clothes", categories=[clothing], body=[description_template("Dress", "{title}")])
    playbook(title="Draft", categories=[ceramics], body=[description_template("Draft", "x")], publish=False)
    # when the listing form asks for a ceramics listing's templates
    templates = description_templates_for(ceramics, {"title": "Teal <mug>", "place": "Leeds"})
    # then the most specific come first, filled and escaped, with what is still to fill
    assert [(t.title, t.page_title) for t in templates] == [("Mug", "Pots"), ("General", "Any goods")]
    mug = templates[0]
    assert mug.body == "Teal &lt;mug&gt; holds {capacity}"
    assert mug.placeholders == ["title", "capacity"] and mug.missing == ["capacity"]
    assert (mug.page_id, mug.block_id, mug.page_url) == (specific.pk, "tpl-mug", specific.url)
    assert description_templates_for(goods) == [t for t in description_templates_for(goods) if t.title == "General"]
    assert description_templates_for(None) == []


@pytest.mark.django_db
def test_recording_a_template_use():
    ceramics = listing_factories.category("Ceramics", schema=listing_factories.GOODS_SCHEMA)
    page = playbook(categories=[ceramics], body=[description_template(block_id="tpl-1")])
    seller, other = MemberFactory(), MemberFactory()
    listing = listing_factories.draft(seller, ceramics)
    use = template_use_record(member=seller, page=page, block_id="tpl-1", context="listing_form", listing=listing)
    assert (use.member, use.page, use.block_id, use.context, use.listing) == (
        seller,
        page,
        "tpl-1",
        "listing_form",
        listing,
    )
    with pytest.raises(ValidationError):
        template_use_record(member=seller, page=page, block_id="not-a-template")
    with pytest.raises(ValidationError):
        template_use_record(member=seller, page=page, block_id="tpl-1", context="somewhere")
    with pytest.raises(PermissionDenied):
        template_use_record(member=other, page=page, block_id="tpl-1", listing=listing)
    assert TemplateUse.objects.count() == 1


@pytest.mark.django_db
def test_copying_a_template_on_the_playbook_page_is_recorded(client):
    page = playbook(body=[description_template(block_id="tpl-2")])
    member = MemberFactory()
    client.force_login(member)
    assert 'data-copy-template="template-text-tpl-2"' in client.get(page.url).content.decode()
    assert client.post(page.url + "template-use/", {"block_id": "tpl-2"}).status_code == 204
    assert client.post(page.url + "template-use/", {"block_id": "nope"}).status_code == 400
    assert TemplateUse.objects.get().context == "playbook_page"


@pytest.mark.django_db
def test_the_listing_form_records_an_insert_through_the_page_route(client):
    ceramics = listing_factories.category("Ceramics", schema=listing_factories.GOODS_SCHEMA)
    playbook(categories=[ceramics], body=[description_template(block_id="tpl-3")])
    seller, other = MemberFactory(), MemberFactory()
    listing = listing_factories.draft(seller, ceramics)
    (template,) = description_templates_for(ceramics)
    client.force_login(other)
    data = {"block_id": "tpl-3", "context": "listing_form", "listing": listing.pk}
    assert client.post(template.record_url, data).status_code == 404  # not their listing
    client.force_login(seller)
    assert client.post(template.record_url, data).status_code == 204
    use = TemplateUse.objects.get()
    assert (use.member, use.context, use.listing) == (seller, "listing_form", listing)
