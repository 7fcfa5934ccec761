"""Learning prompts where the work happens: playbook description templates in the listing form, fulfilment tips on
the seller's order page, reply templates in conversations with buyers; every use recorded; unknown placeholders
refused in the CMS; script inert wherever a template is filled."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import reverse
from wagtail.blocks import StructBlockValidationError
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from community.messaging import services as messaging
from orders import services as orders
from playbooks.blocks import DescriptionTemplateBlock, FulfilmentTipBlock, ReplyTemplateBlock
from playbooks.models import PlaybookPage, TemplateUse
from playbooks.prompts import conversation_reply_templates, listing_form_values, order_fulfilment_tips
from playbooks.selectors import fulfilment_tips_for, reply_templates_for
from playbooks.services import template_use_record
from tests.factories import MemberFactory
from tests.listings import factories as listing_factories
from tests.orders.factories import booking_listing, item_listing
from tests.playbooks.factories import block, description_template, index_page, playbook

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>'


def fulfilment_tip(title="Say it is on its way", text="Hello {buyer_name}, {title} left {place} today.", **kw):
    value = {"title": title, "order_kind": kw.pop("order_kind", ""), "advice": kw.pop("advice", "Pack it well.")}
    return block("fulfilment_tip", {**value, "text": text}, kw.pop("block_id", None))


def reply_template(title="Thanks for asking", text="Hello {buyer_name}, about {title}: [answer].", block_id=None):
    return block("reply_template", {"title": title, "text": text}, block_id)


# --- Bad input: unknown placeholders ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("block_class", "text", "named"),
    [
        (DescriptionTemplateBlock, "{title} glazed in {colour}", "{colour}"),
        (DescriptionTemplateBlock, "{Title} in {place}", "{Title}"),
        (FulfilmentTipBlock, "Your {title} costs {price}", "{price}"),
        (ReplyTemplateBlock, "Hello {buyer-name}", "{buyer-name}"),
    ],
)
def test_a_template_with_an_unknown_placeholder_is_refused_naming_it(block_class, text, named):
    value = block_class().to_python({"title": "T", "text": text, "advice": "A", "order_kind": ""})
    with pytest.raises(StructBlockValidationError) as error:
        block_class().clean(value)
    message = " ".join(error.value.block_errors["text"].messages)
    assert named in message and "Unknown placeholder" in message and "[materials]" in message


def test_known_placeholders_square_brackets_and_plain_braces_are_accepted():
    text = "{title} by {seller_name} in {place} for {price} ({category}). Size: [size]. Maths: {1 + 2}."
    value = DescriptionTemplateBlock().to_python({"title": "T", "text": text})
    assert DescriptionTemplateBlock().clean(value)["text"] == text
    tip = FulfilmentTipBlock().to_python({"title": "T", "advice": "Wrap it", "text": "", "order_kind": "item"})
    assert FulfilmentTipBlock().clean(tip)["advice"] == "Wrap it"


def test_the_cms_refuses_a_playbook_with_an_unknown_placeholder_and_names_it(client, author):
    # given a facilitator in the page editor
    client.force_login(author)
    add_url = reverse("wagtailadmin_pages:add", args=["playbooks", "playbookpage", index_page().pk])
    data = nested_form_data(
        {
            "title": "Shipping",
            "slug": "shipping",
            "intro": "For new sellers.",
            "seller_stage": "new",
            "tags": "",
            "body": streamfield([("description_template", {"title": "Mug", "text": "{title} holds {capacity}"})]),
            "comments": inline_formset([]),
        }
    )
    # when they save a template with {capacity}, which no listing fills
    response = client.post(add_url, {**data, "action-submit": "Submit"})
    # then nothing is saved and the editor says which placeholder is wrong
    assert response.status_code == 200
    assert not PlaybookPage.objects.filter(slug="shipping").exists()
    assert "Unknown placeholder {capacity}" in response.content.decode()


# --- The listing form ---------------------------------------------------------------------------------------


@pytest.fixture
def ceramics():
    return listing_factories.category("Ceramics", schema=listing_factories.GOODS_SCHEMA)


def test_listing_form_values_read_what_was_typed():
    seller = MemberFactory(display_name="Ama")
    values = listing_form_values({"title": " Mug ", "price": "18.5", "currency": "GBP"}, category=None, seller=seller)
    assert values == {"title": "Mug", "price": "£18.50", "seller_name": "Ama"}
    assert "price" not in listing_form_values({"price": "lots"}, category=None, seller=seller)


def test_the_listing_form_offers_the_categorys_playbook_templates_filled_and_escaped(client, ceramics):
    # given a published playbook for ceramics, with a template
    page = playbook(
        title="Pots that sell",
        categories=[ceramics],
        body=[description_template("Mug", "{title} by {seller_name} in {place}. [glaze]", block_id="tpl-mug")],
    )
    seller = MemberFactory(display_name="Ama <b>Owusu</b>")
    listing = listing_factories.draft(seller, ceramics, title=f"Teal mug {HOSTILE}", location_name="Leeds")
    client.force_login(seller)
    # when the seller opens the listing's edit form
    html = client.get(reverse("sell:edit", kwargs={"pk": listing.pk})).content.decode()
    # then the learning panel lists the template, filled from the listing, linked to its playbook, escaped
    assert "From the playbooks" in html
    assert "Teal mug &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; by Ama &lt;b&gt;Owusu&lt;/b&gt; in Leeds" in html
    assert HOSTILE not in html and "<b>Owusu" not in html
    assert f'href="{page.url}"' in html
    assert 'data-insert-template="playbook-template-tpl-mug"' in html
    assert f'data-record-url="{page.url}template-use/"' in html and f'data-listing="{listing.pk}"' in html


def test_a_category_change_rerenders_the_panel_with_the_values_typed_so_far(client, ceramics):
    playbook(categories=[ceramics], body=[description_template("Mug", "{title} for {price}", block_id="tpl-1")])
    seller = MemberFactory()
    client.force_login(seller)
    params = {"partial": "attributes", "category": ceramics.pk, "title": "Blue bowl", "price": "12"}
    response = client.get(reverse("sell:create"), params, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="learning-prompts"' in html and 'hx-swap-oob="true"' in html
    assert "Blue bowl for £12.00" in html
    # another category without playbooks: no playbook templates
    other = listing_factories.category("Bikes")
    html = client.get(reverse("sell:create"), {**params, "category": other.pk}, HTTP_HX_REQUEST="true").content
    assert b"From the playbooks" not in html


def test_inserting_records_the_use_and_a_strangers_listing_is_a_404(client, ceramics):
    page = playbook(categories=[ceramics], body=[description_template(block_id="tpl-1")])
    seller, stranger = MemberFactory(), MemberFactory()
    listing = listing_factories.draft(seller, ceramics)
    data = {"block_id": "tpl-1", "context": "listing_form", "listing": listing.pk}
    url = page.url + "template-use/"
    client.force_login(stranger)
    assert client.post(url, data).status_code == 404
    client.force_login(seller)
    assert client.post(url, data).status_code == 204
    use = TemplateUse.objects.get()
    assert (use.member, use.context, use.listing, use.block_id) == (seller, "listing_form", listing, "tpl-1")


def test_the_record_endpoint_needs_the_csrf_token(ceramics):
    from django.test import Client

    page = playbook(categories=[ceramics], body=[description_template(block_id="tpl-1")])
    client = Client(enforce_csrf_checks=True)
    client.force_login(MemberFactory())
    assert client.post(page.url + "template-use/", {"block_id": "tpl-1"}).status_code == 403
    assert not TemplateUse.objects.exists()


def test_the_panel_costs_the_same_queries_for_one_or_many_playbooks(client, ceramics, django_assert_max_num_queries):
    seller = MemberFactory()
    client.force_login(seller)
    params = {"partial": "attributes", "category": ceramics.pk}
    playbook(categories=[ceramics], body=[description_template()])
    with django_assert_max_num_queries(50) as one:
        client.get(reverse("sell:create"), params, HTTP_HX_REQUEST="true")
    for _ in range(5):
        playbook(categories=[ceramics], body=[description_template()])
    with django_assert_max_num_queries(len(one.captured_queries)):
        html = client.get(reverse("sell:create"), params, HTTP_HX_REQUEST="true").content.decode()
    assert html.count("data-playbook-template") == 6


# --- Fulfilment tips on the order page ----------------------------------------------------------------------


def test_tips_match_the_orders_category_and_kind():
    goods = listing_factories.category("Goods")
    ceramics = listing_factories.category("Ceramics", parent=goods)
    playbook(title="Goods", categories=[goods], body=[fulfilment_tip("Item tip", order_kind="item")])
    playbook(title="Anything", body=[fulfilment_tip("Booking tip", order_kind="booking")])
    playbook(title="Everyone", body=[fulfilment_tip("Any order")])
    playbook(title="Bikes", categories=[listing_factories.category("Bikes")], body=[fulfilment_tip("Bike tip")])
    ceramics.refresh_from_db()  # categories are kept in name order: adding Bikes moved Goods and its children
    assert [t.title for t in fulfilment_tips_for(ceramics, "item")] == ["Item tip", "Any order"]
    assert [t.title for t in fulfilment_tips_for(ceramics, "booking")] == ["Booking tip", "Any order"]


def _paid_order(listing, buyer):
    from orders.models import CommissionConfig

    CommissionConfig.objects.get_or_create(defaults={"seller_bps": 1000, "buyer_fee_bps": 0, "minimum_commission": 0})
    return orders.order_create(buyer=buyer, listing_id=listing.pk, payment_method="pm_card_visa")


def test_the_seller_sees_fulfilment_tips_on_the_order_and_the_buyer_does_not(client):
    # given a paid order for a mug, and a playbook tip for item orders
    seller = MemberFactory(display_name="Sol Seller")
    buyer = MemberFactory(display_name=f"Bea {HOSTILE}")
    listing = item_listing(seller=seller, title="Teal mug", location_name="Leeds")
    page = playbook(title="Orders", body=[fulfilment_tip(block_id="tip-1", order_kind="item")])
    playbook(title="Bookings", body=[fulfilment_tip("Booking only", order_kind="booking")])
    order = _paid_order(listing, buyer)
    url = reverse("orders:detail", args=[order.reference])
    # when the seller opens it
    client.force_login(seller)
    html = client.get(url).content.decode()
    # then the tip is there, filled and escaped, linked to its playbook, with a copy button that records the use
    assert "Fulfilment tips" in html and "Say it is on its way" in html and "Booking only" not in html
    assert "Hello Bea &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;, Teal mug left Leeds today." in html
    assert HOSTILE not in html
    assert f'href="{page.url}"' in html and 'data-record-context="order_page"' in html
    response = client.post(page.url + "template-use/", {"block_id": "tip-1", "context": "order_page"})
    assert response.status_code == 204
    assert TemplateUse.objects.get().context == "order_page"
    # and the buyer sees no tips
    client.force_login(buyer)
    assert "Fulfilment tips" not in client.get(url).content.decode()


def test_order_tips_for_a_booking():
    seller, buyer = MemberFactory(), MemberFactory(display_name="Bea")
    listing = booking_listing(seller=seller, title="Wheel throwing class")
    playbook(body=[fulfilment_tip("Confirm the day before", "See you at {title}, {buyer_name}", order_kind="booking")])

    class Order:  # the fields a tip reads, without a booking's checkout
        kind = "booking"

    order = Order()
    order.listing, order.seller, order.buyer = listing, seller, buyer
    (tip,) = order_fulfilment_tips(order=order)
    assert tip.body == "See you at Wheel throwing class, Bea"


# --- Reply templates in conversations ------------------------------------------------------------------------


def test_the_seller_gets_reply_templates_filled_and_the_buyer_none(client):
    seller = MemberFactory(display_name="Sol Seller")
    buyer = MemberFactory(display_name="Bea <i>Buyer</i>")
    listing = item_listing(seller=seller, title="Teal mug")
    page = playbook(title="Replies", body=[reply_template(block_id="reply-1")])
    conversation = messaging.conversation_start(
        sender=buyer, recipient=seller, body="Is it still there?", listing=listing
    ).message.conversation
    # the seller's page offers the template, filled and escaped, to insert into the message box
    client.force_login(seller)
    html = client.get(reverse("messaging:conversation", args=[conversation.pk])).content.decode()
    assert "Reply templates" in html
    assert "Hello Bea &lt;i&gt;Buyer&lt;/i&gt;, about Teal mug: [answer]." in html
    assert 'data-prompt-insert="reply-text-reply-1"' in html and 'data-target="id_body"' in html
    assert 'data-record-context="messaging"' in html and f'href="{page.url}"' in html
    assert client.post(page.url + "template-use/", {"block_id": "reply-1", "context": "messaging"}).status_code == 204
    assert TemplateUse.objects.get().context == "messaging"
    # nothing was sent by itself
    assert conversation.messages.count() == 1
    # the buyer gets none
    client.force_login(buyer)
    assert (
        "Reply templates" not in client.get(reverse("messaging:conversation", args=[conversation.pk])).content.decode()
    )
    assert conversation_reply_templates(conversation=conversation, member=buyer) == []


def test_a_sent_reply_still_goes_through_leakage_masking(client):
    seller, buyer = MemberFactory(), MemberFactory(display_name="Bea")
    listing = item_listing(seller=seller, title="Mug")
    conversation = messaging.conversation_start(
        sender=buyer, recipient=seller, body="Hi", listing=listing
    ).message.conversation
    playbook(body=[reply_template(text="Hello {buyer_name}, write to [email].")])
    client.force_login(seller)
    body = "Hello Bea, write to jo.smith@example.com"
    client.post(reverse("messaging:conversation", args=[conversation.pk]), {"body": body})
    sent = conversation.messages.order_by("-pk").first()
    assert sent.sender_id == seller.pk and sent.masked
    assert "jo.smith@example.com" not in sent.body


def test_reply_templates_follow_the_listings_category():
    goods = listing_factories.category("Goods")
    bikes = listing_factories.category("Bikes")
    playbook(categories=[goods], body=[reply_template("Goods reply")])
    playbook(categories=[bikes], body=[reply_template("Bike reply")])
    goods.refresh_from_db()
    playbook(body=[reply_template("General reply")])
    assert [t.title for t in reply_templates_for(goods, {})] == ["Goods reply", "General reply"]
    assert [t.title for t in reply_templates_for(None, {})] == ["General reply"]


def test_contexts_only_record_their_own_kind_of_template():
    from django.core.exceptions import ValidationError

    page = playbook(
        body=[description_template(block_id="d"), fulfilment_tip(block_id="t"), reply_template(block_id="r")]
    )
    member = MemberFactory()
    template_use_record(member=member, page=page, block_id="r", context="messaging")
    template_use_record(member=member, page=page, block_id="t", context="order_page")
    template_use_record(member=member, page=page, block_id="t", context="playbook_page")
    with pytest.raises(ValidationError):
        template_use_record(member=member, page=page, block_id="d", context="messaging")
    with pytest.raises(ValidationError):
        template_use_record(member=member, page=page, block_id="r", context="listing_form")
    assert TemplateUse.objects.count() == 3


def test_the_playbook_page_shows_tips_and_reply_templates_inert():
    page = playbook(
        body=[
            fulfilment_tip(advice=f"Wrap it {HOSTILE}", text="{title} {HOSTILE}".replace("{HOSTILE}", HOSTILE)),
            reply_template(text=f"Hi {{buyer_name}} {HOSTILE}"),
        ]
    )
    html = Template("{% load wagtailcore_tags %}{% for b in page.body %}{% include_block b %}{% endfor %}").render(
        Context({"page": page})
    )
    assert HOSTILE not in html and "&lt;script&gt;" in html
    assert "Fulfilment tip" in html and "Reply template" in html
