"""Orders journeys, clicked through in Chromium: a buyer requests a booking and pays offline, the seller accepts,
the booking ends, the buyer confirms and the money is released, both review (each hidden until both are in) and the
seller finds the net in their balance; a declined card is explained on a phone; a dispute ends in a partial refund
that a moderator decides in the Django admin, and both parties read the decision.

The listing page's "Book"/"Buy" button belongs to the listings app: these journeys start on the checkout page it
points at (/orders/checkout/<listing id>/).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import time, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from django.db import connections
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Page, expect

from orders import services, tasks
from orders.models import CommissionConfig, Order, OrderState, Review
from orders.pricing import money_display
from tests.factories import PASSWORD, MemberFactory
from tests.orders.factories import booking_listing, item_listing

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
T = TypeVar("T")


def outside_playwright(call: Callable[[], T]) -> T:
    """Runs a service in a thread of its own: Playwright's event loop runs in the test's thread, and the services'
    after-commit pushes (in-site notifications) cannot run inside a running loop."""

    def call_and_close() -> T:
        try:
            return call()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(call_and_close).result()


def assert_no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate("() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")
    assert widths["scroll"] <= widths["inner"], f"the page scrolls sideways on {page.url}: {widths}"


def pounds(amount: int) -> str:
    return "£" + money_display(amount, "GBP").split(" ", 1)[1]


@pytest.fixture(autouse=True)
def _rates():
    CommissionConfig.objects.create(seller_bps=1000, buyer_fee_bps=500, minimum_commission=0)


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (170, 40, 40)).save(buffer, format="JPEG")
    path = tmp_path / "cracked-bowl.jpg"
    path.write_bytes(buffer.getvalue())
    return path


# --- A booking from request to review -------------------------------------------------------------------------


def test_a_booking_from_request_to_release_and_two_way_reviews(page: Page, shot, log_in, log_out):
    # given a potter who accepts requests for two-hour wheel lessons, Monday to Friday 9:00-17:00 (London)
    seller = MemberFactory(display_name="Mira Clay")
    buyer = MemberFactory(display_name="Bea Buyer")
    listing = booking_listing(
        seller=seller,
        title="Wheel-throwing lesson",
        price_amount=3000,
        instant_book=False,
        weekdays=range(5),
        opens=time(9),
        closes=time(17),
        cancellation_policy="flexible",
    )
    day = timezone.localdate() + timedelta(days=3)
    while day.weekday() >= 5:
        day += timedelta(days=1)

    # The buyer picks a time, reads the price worked out on the server and pays with the offline test card.
    page.set_viewport_size(DESKTOP)
    log_in(buyer.email, PASSWORD)
    page.goto(f"/orders/checkout/{listing.pk}/")
    expect(page.get_by_role("heading", name="Book “Wheel-throwing lesson”", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="When it can be booked", level=2)).to_be_visible()
    page.get_by_label("Date", exact=True).fill(day.isoformat())
    page.get_by_label("From", exact=True).fill("10:00")
    page.get_by_label("Until", exact=True).fill("12:00")
    page.get_by_role("button", name="See the price").click()
    review = page.get_by_role("region", name="2. Review and pay")
    expect(review.get_by_text("£60.00", exact=True)).to_be_visible()  # 2 hours × £30.00
    expect(review.get_by_text("£3.00", exact=True)).to_be_visible()  # the buyer's 5 % service fee
    expect(review.get_by_text("£63.00", exact=True)).to_be_visible()
    expect(review.get_by_text("This is a request to book")).to_be_visible()
    review.get_by_role("radio", name="Test card that pays (Visa)").check()
    shot("01-review-and-pay")
    review.get_by_role("button", name="Request to book and pay £63.00").click()
    expect(page.get_by_text(re.compile(r"^Request sent\. The seller has until"))).to_be_visible()
    expect(page.get_by_text("Waiting for the seller to accept")).to_be_visible()
    shot("02-requested")
    order = Order.objects.get(buyer=buyer)
    assert order.state == OrderState.REQUESTED
    log_out()

    # The seller accepts from their sales.
    log_in(seller.email, PASSWORD)
    page.goto("/orders/selling/")
    page.get_by_role("link", name=re.compile(r"^To do")).click()
    expect(page.get_by_text(re.compile(r"^Answer by"))).to_be_visible()
    shot("03-seller-to-do")
    page.get_by_role("link", name="View order Wheel-throwing lesson").click()
    expect(page.locator("dd", has_text="£54.00").first).to_be_visible()  # the seller's net: £60.00 less 10 %
    page.get_by_role("button", name="Accept the request").click()
    expect(page.get_by_text("Request accepted")).to_be_visible()
    shot("04-accepted")
    log_out()

    # The lesson takes place: its times move into the past and the beat task marks it fulfilled.
    def lesson_over() -> None:
        Order.objects.filter(pk=order.pk).update(
            starts_at=timezone.now() - timedelta(hours=3), ends_at=timezone.now() - timedelta(hours=1)
        )
        assert tasks.bookings_fulfil() == 1

    outside_playwright(lesson_over)

    # The buyer confirms all went well: the money is released.
    log_in(buyer.email, PASSWORD)
    page.goto("/orders/")
    page.get_by_role("link", name="View order Wheel-throwing lesson").click()
    expect(page.get_by_text("Did all go well?")).to_be_visible()
    page.get_by_role("button", name="Confirm all is well and pay the seller").click()
    expect(page.get_by_text("the order is complete and the seller has been paid")).to_be_visible()
    expect(page.locator(".state").first).to_have_text("Paid to the seller")

    # The buyer reviews; their review stays hidden from the seller for now.
    reviews = page.get_by_role("region", name="Reviews")
    reviews.get_by_role("radio", name="5 stars: excellent").check()
    reviews.get_by_label("Your review").fill("Mira is a patient teacher: I threw two bowls on my first go.")
    reviews.get_by_role("button", name="Publish my review").click()
    expect(page.get_by_text("Your review is published once the other party has written theirs")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Hidden until the other party has written theirs"))).to_be_visible()
    shot("05-buyer-review-hidden")
    log_out()

    log_in(seller.email, PASSWORD)
    page.goto(f"/orders/{order.reference}/")
    expect(page.get_by_text("The other party has reviewed this order.")).to_be_visible()
    expect(page.get_by_text("patient teacher")).to_have_count(0)
    reviews = page.get_by_role("region", name="Reviews")
    reviews.get_by_role("radio", name="4 stars: good").check()
    reviews.get_by_label("Your review").fill("On time and keen to learn.")
    reviews.get_by_role("button", name="Publish my review").click()
    expect(page.get_by_text("Both reviews are in, so both are now published.")).to_be_visible()
    expect(page.get_by_text("Mira is a patient teacher: I threw two bowls on my first go.")).to_be_visible()
    shot("06-both-reviews")
    assert Review.objects.filter(order=order, published_at__isnull=False).count() == 2

    # The seller's money page shows the net as available.
    page.goto("/orders/money/")
    available = page.get_by_role("heading", name="Available", level=3).locator("..")
    expect(available.locator(".amount")).to_have_text("£54.00")
    assert_no_horizontal_scroll(page)
    shot("07-seller-balance")


# --- A declined card, on a phone --------------------------------------------------------------------------------


def test_a_declined_card_is_explained_and_another_card_pays(page: Page, shot, log_in):
    listing = item_listing(title="Speckled oatmeal bowl", price_amount=4500, quantity=1)
    buyer = MemberFactory()
    page.set_viewport_size(PHONE)
    log_in(buyer.email, PASSWORD)
    page.goto(f"/orders/checkout/{listing.pk}/?quantity=1")
    review = page.get_by_role("region", name="2. Review and pay")
    review.get_by_role("radio", name="Test card that is declined").check()
    review.get_by_role("button", name="Pay £47.25").click()
    error = page.locator("#id_payment_method_error")
    expect(error).to_contain_text("Your card was declined.")
    expect(error).to_contain_text("Nothing was charged. Choose another card and try again.")
    assert_no_horizontal_scroll(page)
    shot("01-declined")
    # The bowl is still there: the buyer pays with the other card.
    page.get_by_role("radio", name="Test card that pays (Visa)").check()
    page.get_by_role("button", name="Pay £47.25").click()
    expect(page.get_by_text("Paid. Guildhall holds your payment")).to_be_visible()
    assert_no_horizontal_scroll(page)
    shot("02-paid")
    assert [order.state for order in Order.objects.filter(buyer=buyer).order_by("pk")] == ["cancelled", "paid"]


def test_a_card_needing_authentication_is_confirmed_on_a_second_step(page: Page, shot, log_in):
    listing = item_listing(title="Raku tea bowl", price_amount=6000)
    buyer = MemberFactory()
    page.set_viewport_size(PHONE)
    log_in(buyer.email, PASSWORD)
    page.goto(f"/orders/checkout/{listing.pk}/?quantity=1")
    page.get_by_role("radio", name=re.compile(r"^Test card that asks your bank")).check()
    page.get_by_role("button", name="Pay £63.00").click()
    expect(page.get_by_role("heading", name="Confirm your payment", level=1)).to_be_visible()
    shot("01-authenticate")
    page.get_by_role("button", name="Confirm and pay £63.00").click()
    expect(page.get_by_text("Paid. Guildhall holds your payment")).to_be_visible()


# --- A dispute decided by a moderator ------------------------------------------------------------------------


def test_a_dispute_ends_in_a_partial_refund_decided_by_a_moderator(page: Page, shot, log_in, log_out, photo, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(photo.parent / "private")},
        },
    }
    # given a delivered bowl
    seller = MemberFactory(display_name="Sam Seller")
    buyer = MemberFactory(display_name="Bea Buyer")
    moderator = MemberFactory(display_name="Mo Moderator", is_staff=True, is_superuser=True)
    listing = item_listing(seller=seller, title="Stoneware serving bowl", price_amount=10_000)
    order = outside_playwright(
        lambda: services.order_fulfil(
            order_id=services.order_create(buyer=buyer, listing_id=listing.pk, payment_method="pm_card_visa").pk,
            actor=seller,
        )
    )

    # The buyer reports it cracked, with a photo.
    page.set_viewport_size(DESKTOP)
    log_in(buyer.email, PASSWORD)
    page.goto(f"/orders/{order.reference}/")
    page.get_by_role("link", name="Report a problem").click()
    page.get_by_role("radio", name="It arrived damaged").check()
    page.get_by_label("Describe the problem").fill("A crack runs across the base; it leaks when filled.")
    page.get_by_label("Photos or documents (optional)").set_input_files(str(photo))
    shot("01-report")
    page.get_by_role("button", name="Report the problem").click()
    expect(page.get_by_text(re.compile(r"^Problem reported\. The payment is frozen"))).to_be_visible()
    dispute = page.get_by_role("region", name="The reported problem")
    expect(dispute.get_by_role("link", name=re.compile("cracked-bowl.jpg"))).to_be_visible()
    log_out()

    # The seller answers and offers £20.00; the buyer declines and asks a moderator.
    log_in(seller.email, PASSWORD)
    page.goto(f"/orders/{order.reference}/")
    dispute = page.get_by_role("region", name="The reported problem")
    dispute.get_by_label("Your message").fill("It was fine when it left. Could the courier have dropped it?")
    dispute.get_by_role("button", name="Send", exact=True).click()
    dispute = page.get_by_role("region", name="The reported problem")
    dispute.get_by_label("Refund to the buyer").fill("20.00")
    dispute.get_by_role("button", name="Send the proposal").click()
    expect(page.get_by_text(re.compile(r"^Proposal sent: a refund of GBP 20\.00"))).to_be_visible()
    log_out()

    log_in(buyer.email, PASSWORD)
    page.goto(f"/orders/{order.reference}/")
    dispute = page.get_by_role("region", name="The reported problem")
    expect(dispute.get_by_text("It was fine when it left.")).to_be_visible()
    shot("02-proposal")
    dispute.get_by_role("button", name="Decline", exact=True).click()
    page.get_by_role("button", name="We cannot agree: ask a moderator to decide").click()
    expect(page.get_by_text("A moderator will read the conversation and the evidence, then decide.")).to_be_visible()
    log_out()

    # The moderator decides in the Django admin: £50.00 back, with reasons.
    log_in(moderator.email, PASSWORD)
    page.goto("/django-admin/orders/dispute/")
    page.get_by_role("link", name=re.compile(str(order.reference))).first.click()
    page.get_by_role("link", name="Decide this dispute").click()
    expect(page.get_by_text("It was fine when it left.")).to_be_visible()
    page.get_by_label("Refund part to the buyer, release the rest").check()
    page.get_by_label("Partial refund").fill("50.00")
    page.get_by_label("Reasons").fill("The photo shows a firing crack, not transit damage; the bowl is usable.")
    shot("03-admin-decision")
    page.get_by_role("button", name="Decide and move the money").click()
    expect(page.get_by_text("Dispute decided; both parties have been told.")).to_be_visible()
    page.goto("/orders/")
    log_out()

    # Both parties read the outcome on the order page; the money moved.
    for member, step in ((buyer, "04-buyer-outcome"), (seller, "05-seller-outcome")):
        log_in(member.email, PASSWORD)
        page.goto(f"/orders/{order.reference}/")
        outcome = page.get_by_role("region", name="The reported problem")
        expect(outcome.get_by_text("Partly refunded")).to_be_visible()
        expect(outcome.get_by_text("The photo shows a firing crack")).to_be_visible()
        shot(step)
        log_out()
    order.refresh_from_db()
    assert order.state == OrderState.RESOLVED
    assert order.refunds.get().amount == 5000
