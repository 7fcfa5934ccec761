"""The stripe gateway's card step in Chromium: checkout leads to the pay page, whose card form is Stripe's Payment
Element. js.stripe.com cannot be reached from here (and some buyers block it): the page must say so plainly instead
of showing a dead form."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from orders.models import CommissionConfig, Order, OrderState
from tests.factories import PASSWORD, MemberFactory
from tests.orders.factories import item_listing
from tests.orders.stripe_fake import use_stripe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _rates():
    CommissionConfig.objects.create(seller_bps=1000, buyer_fee_bps=500, minimum_commission=0)


def test_the_card_step_says_so_when_stripe_js_cannot_load(
    page: Page, shot, log_in, stripe_server, settings, monkeypatch
):
    # given the stripe gateway, and a browser that cannot reach js.stripe.com
    fake = use_stripe(stripe_server, settings, monkeypatch)
    page.route("https://js.stripe.com/**", lambda route: route.abort())
    listing = item_listing(title="Ash glaze jug", price_amount=4500, quantity=1)
    buyer = MemberFactory()
    page.set_viewport_size(PHONE)
    log_in(buyer.email, PASSWORD)
    # when the buyer reviews the price and goes on to pay
    page.goto(f"/orders/checkout/{listing.pk}/?quantity=1")
    page.get_by_role("button", name="Continue to pay £47.25 by card").click()
    # then the pay page explains that the card form could not load, and offers no dead button
    expect(page.get_by_role("heading", name="Pay for your order", level=1)).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("The secure card form could not load from Stripe.")
    expect(page.get_by_role("button", name="Pay £47.25")).to_be_hidden()
    shot("01-stripe-js-unavailable")
    # and the order waits, with its PaymentIntent on Stripe for the server's total
    order = Order.objects.get(buyer=buyer)
    assert order.state == OrderState.PENDING_PAYMENT
    [intent] = fake.objects("payment_intent")
    assert (intent["id"], intent["amount"]) == (order.charge_reference, order.total) == (intent["id"], 4725)
