"""Learning prompts where the work happens, clicked through in Chromium: a seller inserts a playbook's description
template in the listing form, sees a fulfilment tip on an order, inserts a reply template in a conversation with a
buyer; a facilitator promotes a forum lesson into a playbook draft and a second facilitator approves it."""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
from django.db import connections
from playwright.sync_api import Page, expect

from playbooks.models import LessonPromotion, PlaybookPage, TemplateUse
from tests.factories import PASSWORD, MemberFactory
from tests.playbooks.factories import block, description_template, facilitator, playbook, step

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESKTOP = {"width": 1280, "height": 900}
T = TypeVar("T")


def label(text: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(text)}:?$")


def outside_playwright(call: Callable[[], T]) -> T:
    """Runs a service in a thread of its own: its after-commit work cannot run inside Playwright's event loop."""

    def call_and_close() -> T:
        try:
            return call()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(call_and_close).result()


def test_a_seller_inserts_a_playbook_description_template_in_the_listing_form(page: Page, shot, log_in):
    from tests.listings import factories as listing_factories

    ceramics = listing_factories.category("Ceramics", schema=listing_factories.GOODS_SCHEMA)
    guide = playbook(
        title="Pots that sell",
        categories=[ceramics],
        body=[description_template("Mug", "{title} by {seller_name}, for {price}. Glaze: [glaze]", block_id="tpl-mug")],
    )
    seller = MemberFactory(display_name="Mira Clay")
    page.set_viewport_size(DESKTOP)
    log_in(seller.email, PASSWORD)

    page.goto("/sell/new/")
    page.get_by_label(label("Title")).fill("Teal stoneware mug")
    page.get_by_label(label("Price")).fill("18")
    page.get_by_label(label("Category")).select_option(label="Ceramics")
    # htmx swaps in the panel for the category, filled from what was typed
    panel = page.locator("#learning-prompts")
    expect(panel.get_by_role("heading", name="From the playbooks")).to_be_visible()
    expect(panel.get_by_role("link", name="Pots that sell")).to_have_attribute("href", guide.url)
    page.get_by_label(label("Description")).fill("Made in my garden studio.")
    insert = panel.get_by_role("button", name=re.compile(r"^Insert\s+Mug$"))
    insert.click()
    expect(page.get_by_label(label("Description"))).to_have_value(
        "Made in my garden studio.\n\nTeal stoneware mug by Mira Clay, for £18.00. Glaze: [glaze]"
    )
    expect(insert).to_have_attribute("data-recorded", "1")
    shot("01-template-inserted")
    use = TemplateUse.objects.get()
    assert (use.member_id, use.page_id, use.block_id, use.context) == (seller.pk, guide.pk, "tpl-mug", "listing_form")


def test_a_seller_sees_a_fulfilment_tip_on_an_order_and_copies_it(page: Page, shot, log_in):
    from orders import services as orders
    from orders.models import CommissionConfig
    from tests.orders.factories import item_listing

    CommissionConfig.objects.create(seller_bps=1000, buyer_fee_bps=0, minimum_commission=0)
    seller = MemberFactory(display_name="Sol Seller")
    buyer = MemberFactory(display_name="Bea Buyer")
    listing = item_listing(seller=seller, title="Teal mug", location_name="Leeds")
    guide = playbook(
        title="Orders buyers remember",
        body=[
            block(
                "fulfilment_tip",
                {
                    "title": "Tell the buyer it is on its way",
                    "order_kind": "item",
                    "advice": "Pack it the day the order comes in.",
                    "text": "Hello {buyer_name}, your {title} leaves {place} today.",
                },
                "tip-1",
            )
        ],
    )
    order = outside_playwright(
        lambda: orders.order_create(buyer=buyer, listing_id=listing.pk, payment_method="pm_card_visa")
    )
    page.set_viewport_size(DESKTOP)
    log_in(seller.email, PASSWORD)
    page.goto(f"/orders/{order.reference}/")
    tips = page.get_by_role("region", name="Fulfilment tips")
    expect(tips.get_by_role("heading", name="Tell the buyer it is on its way")).to_be_visible()
    expect(tips.get_by_text("Hello Bea Buyer, your Teal mug leaves Leeds today.")).to_be_visible()
    expect(tips.get_by_role("link", name="Orders buyers remember")).to_have_attribute("href", guide.url)
    copy = tips.get_by_role("button", name=re.compile(r"^Copy\s+Tell the buyer"))
    copy.click()
    expect(tips.get_by_text("Copied.")).to_be_visible()
    expect(copy).to_have_attribute("data-recorded", "1")
    shot("01-fulfilment-tip")
    assert TemplateUse.objects.get().context == "order_page"


def test_a_seller_inserts_a_reply_template_in_a_conversation(page: Page, shot, log_in):
    from community.messaging import services as messaging
    from tests.orders.factories import item_listing

    seller = MemberFactory(display_name="Sol Seller")
    buyer = MemberFactory(display_name="Bea Buyer")
    listing = item_listing(seller=seller, title="Teal mug")
    playbook(
        title="Answering buyers",
        body=[
            block(
                "reply_template",
                {"title": "Thanks for asking", "text": "Hello {buyer_name}, thank you for asking about {title}."},
                "reply-1",
            )
        ],
    )
    conversation = outside_playwright(
        lambda: (
            messaging.conversation_start(
                sender=buyer, recipient=seller, body="Is the mug still available?", listing=listing
            ).message.conversation
        )
    )
    page.set_viewport_size(DESKTOP)
    log_in(seller.email, PASSWORD)
    page.goto(f"/messages/{conversation.pk}/")
    page.get_by_text("Reply templates").click()
    insert = page.get_by_role("button", name=re.compile(r"^Insert\s+Thanks for asking$"))
    insert.click()
    box = page.locator("#id_body")
    expect(box).to_have_value("Hello Bea Buyer, thank you for asking about Teal mug.")
    expect(insert).to_have_attribute("data-recorded", "1")
    shot("01-reply-inserted")
    # nothing is sent until the seller sends it
    assert conversation.messages.count() == 1
    box.press("End")
    box.type(" Yes, it is.")
    page.get_by_role("button", name="Send").click()
    expect(
        page.locator("#message-list").get_by_text("thank you for asking about Teal mug. Yes, it is.")
    ).to_be_visible()
    shot("02-reply-sent")
    assert TemplateUse.objects.get().context == "messaging"


def test_a_facilitator_promotes_a_lesson_and_a_second_facilitator_approves(page: Page, shot, log_in, log_out):
    from tests.community.test_forums_support import category, member, topic

    author = facilitator(display_name="Ama Owusu")
    reviewer = facilitator(display_name="Bea Lindqvist")
    guide = playbook(title="Photos that sell", owner=author, body=[step()])
    writer = outside_playwright(lambda: member("Kofi Boateng"))
    lesson = outside_playwright(
        lambda: topic(
            writer,
            category(),
            title="Daylight photos doubled my views",
            kind="lesson",
            hypothesis="Photos by a window sell better",
            tried="Reshot ten listings by the window",
            result="worked",
            figures="Views +100% in two weeks",
        )
    )
    page.set_viewport_size(DESKTOP)

    # Facilitator A links the playbook the lesson tested and promotes the lesson into it.
    log_in(author.email, PASSWORD)
    page.goto(f"/forum/t/{lesson.pk}/")
    page.get_by_text("Choose the playbooks it tests").click()
    page.get_by_label("Photos that sell").check()
    page.get_by_role("button", name="Save the playbooks").click()
    expect(page.locator("[data-lesson-playbooks]").get_by_role("link", name="Photos that sell")).to_be_visible()
    page.get_by_label("Promote into playbook").select_option(label="Photos that sell")
    page.get_by_role("button", name="Promote to a playbook draft").click()
    expect(page.get_by_text("waiting for a second facilitator's review")).to_be_visible()
    expect(page.get_by_text("Promoted to Photos that sell")).to_be_visible()
    shot("01-promoted")
    guide.refresh_from_db()
    assert guide.workflow_in_progress and [child.block_type for child in guide.body] == ["step"]
    assert LessonPromotion.objects.get().promoted_by_id == author.pk
    page.goto("/")
    log_out()

    # Facilitator B approves the draft in the CMS; the lesson is published, credited.
    log_in(reviewer.email, PASSWORD)
    page.goto(f"/cms/pages/{guide.pk}/edit/")
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Approve and Publish", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/cms/pages/{guide.get_parent().pk}/$"))
    shot("02-approved")
    page.goto(guide.url)
    expect(page.get_by_role("heading", name=re.compile("Daylight photos doubled my views"), level=2)).to_be_visible()
    expect(page.get_by_text("Shared by Kofi Boateng.")).to_be_visible()
    expect(page.get_by_role("heading", name="Lessons that tested this playbook")).to_be_visible()
    shot("03-lesson-in-playbook")
    assert PlaybookPage.objects.get(pk=guide.pk).body[-1].block_type == "lesson_learned"
