"""The stripe gateway's card step: the pay page renders Stripe's Payment Element for a PaymentIntent the server
created for the order's total; Stripe.js confirms it in the browser (here: over HTTP against the fake, with a test
card, since js.stripe.com cannot load); the return view reads the PaymentIntent back from Stripe and records the
payment once, together with the webhook."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from orders import ledger, services
from orders.ledger_check import ledger_problems
from orders.models import LedgerTransaction, OrderState
from tests.orders.factories import MemberFactory, item_listing
from tests.orders.stripe_fake import PUBLISHABLE_KEY, deliver, use_stripe

pytestmark = pytest.mark.django_db

VISA = "pm_card_visa"
DECLINED = "pm_card_chargeDeclined"


@pytest.fixture
def fake(stripe_server, settings, monkeypatch):
    return use_stripe(stripe_server, settings, monkeypatch)


@pytest.fixture
def order(fake):
    """An order waiting for payment through Stripe (created through the API or the checkout page)."""
    listing = item_listing(price_amount=2400, quantity=3)
    return services.order_create(buyer=MemberFactory(), listing_id=listing.pk, quantity=2)


def pay_url(order) -> str:
    return reverse("orders:pay", kwargs={"reference": order.reference})


def return_url(order, intent_id: str, status: str = "succeeded") -> str:
    url = reverse("orders:pay_return", kwargs={"reference": order.reference})
    return f"{url}?payment_intent={intent_id}&payment_intent_client_secret=x&redirect_status={status}"


def flash(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def intents_of(fake, order) -> list[dict]:
    return [pi for pi in fake.objects("payment_intent") if pi.get("transfer_group") == order.transfer_group]


def open_pay_page(fake, client, order):
    client.force_login(order.buyer)
    response = client.get(pay_url(order), {"amount": 1})  # a price sent by the browser is ignored
    assert response.status_code == 200
    [intent] = intents_of(fake, order)
    return response, intent


def fundings(order) -> int:
    return LedgerTransaction.objects.filter(idempotency_key=f"order:{order.reference}:charge").count()


def test_the_pay_page_renders_the_payment_element_for_a_server_priced_payment_intent(fake, client, order):
    # when the buyer opens the pay page
    response, intent = open_pay_page(fake, client, order)
    # then Stripe holds a PaymentIntent for the order's total, in its transfer group, not yet paid
    assert (intent["amount"], intent["currency"]) == (order.total, "gbp") == (4800 + order.buyer_fee, "gbp")
    assert intent["status"] == "requires_payment_method"
    assert intent["metadata"] == {"guildhall_key": f"order:{order.reference}:charge:intent"}
    # and the page carries the Payment Element's container, Stripe.js, the publishable key and the client secret
    html = response.content.decode()
    assert 'id="payment-element"' in html
    assert '<script src="https://js.stripe.com/v3/"' in html
    assert PUBLISHABLE_KEY in html
    assert intent["client_secret"] in html
    assert reverse("orders:pay_return", kwargs={"reference": order.reference}) in html
    # and says what to do when the script cannot run
    assert "<noscript>" in html and "Paying by card needs JavaScript" in html
    assert "could not load from Stripe" in html
    # when the page is opened again
    client.get(pay_url(order))
    # then the same PaymentIntent is used
    assert len(intents_of(fake, order)) == 1
    order.refresh_from_db()
    assert (order.state, order.charge_reference) == (OrderState.PENDING_PAYMENT, intent["id"])


def test_the_return_view_marks_the_order_paid_once_with_the_webhook_too(fake, client, order):
    # given the buyer confirmed the card in the Payment Element
    _response, intent = open_pay_page(fake, client, order)
    assert fake.confirm_in_browser(intent["id"], VISA, client_secret=intent["client_secret"]).status_code == 200
    # when Stripe sends the browser back, twice (a reload)
    first = client.get(return_url(order, intent["id"]))
    second = client.get(return_url(order, intent["id"]))
    # then the order is paid once, its money in escrow
    detail = reverse("orders:detail", kwargs={"reference": order.reference})
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == detail
    assert "Paid. Guildhall holds your payment until the order is complete." in flash(first)
    order.refresh_from_db()
    assert order.state == OrderState.PAID
    assert ledger.escrow_balance(order=order) == order.total
    # when the webhook arrives as well, three times
    [event] = fake.events("payment_intent.succeeded")
    for _ in range(3):
        assert deliver(client, event).status_code == 200
    # then nothing was booked twice
    order.refresh_from_db()
    assert order.state == OrderState.PAID
    assert fundings(order) == 1
    assert ledger.escrow_balance(order=order) == order.total
    assert ledger_problems() == []


def test_the_webhook_first_then_the_return_view(fake, client, order):
    _response, intent = open_pay_page(fake, client, order)
    fake.confirm_in_browser(intent["id"], VISA, client_secret=intent["client_secret"])
    [event] = fake.events("payment_intent.succeeded")
    assert deliver(client, event).status_code == 200
    order.refresh_from_db()
    assert order.state == OrderState.PAID
    response = client.get(return_url(order, intent["id"]))
    assert response.url == reverse("orders:detail", kwargs={"reference": order.reference})
    assert fundings(order) == 1
    assert ledger_problems() == []


def test_the_query_string_is_not_trusted(fake, client, order):
    # given a PaymentIntent nobody confirmed
    _response, intent = open_pay_page(fake, client, order)
    # when someone calls the return view saying it succeeded
    response = client.get(return_url(order, intent["id"], status="succeeded"))
    # then Stripe's word counts: still waiting, back to the card form
    assert response.url == pay_url(order)
    order.refresh_from_db()
    assert order.state == OrderState.PENDING_PAYMENT
    assert fundings(order) == 0


def test_another_orders_payment_intent_is_refused(fake, client, order):
    # given the same buyer's second order, paid
    other = services.order_create(buyer=order.buyer, listing_id=item_listing(quantity=1).pk)
    _response, intent = open_pay_page(fake, client, other)
    fake.confirm_in_browser(intent["id"], VISA, client_secret=intent["client_secret"])
    open_pay_page(fake, client, order)
    # when the first order's return view is given the other order's PaymentIntent
    response = client.get(return_url(order, intent["id"]))
    # then it is refused and the first order is not paid
    assert response.status_code == 404
    order.refresh_from_db()
    assert order.state == OrderState.PENDING_PAYMENT
    # and nobody else can use the buyer's return view
    client.force_login(MemberFactory())
    assert client.get(return_url(other, intent["id"])).status_code == 404
    assert client.get(pay_url(other)).status_code == 404


def test_a_declined_card_leaves_the_order_unpaid_with_a_clear_message(fake, client, order):
    # given the buyer's card is declined in the Payment Element
    _response, intent = open_pay_page(fake, client, order)
    declined = fake.confirm_in_browser(intent["id"], DECLINED, client_secret=intent["client_secret"])
    assert declined.status_code == 402
    # when the browser comes back (after authentication, say) or Stripe's failure event arrives
    response = client.get(return_url(order, intent["id"], status="failed"))
    [event] = fake.events("payment_intent.payment_failed")
    assert deliver(client, event).status_code == 200
    # then the order still waits for a card, and the buyer is told why, back on the card form
    assert response.url == pay_url(order)
    assert flash(response) == ["Your card was declined. Nothing was charged. Try again, or use another card."]
    order.refresh_from_db()
    assert order.state == OrderState.PENDING_PAYMENT
    assert ledger.escrow_balance(order=order) == 0
    # when they try another card on the same PaymentIntent
    _response, again = open_pay_page(fake, client, order)
    assert again["id"] == intent["id"]
    assert fake.confirm_in_browser(intent["id"], VISA, client_secret=intent["client_secret"]).status_code == 200
    client.get(return_url(order, intent["id"]))
    # then it is paid
    order.refresh_from_db()
    assert order.state == OrderState.PAID
    assert ledger.escrow_balance(order=order) == order.total


def test_a_wrong_client_secret_cannot_confirm(fake, client, order):
    _response, intent = open_pay_page(fake, client, order)
    assert fake.confirm_in_browser(intent["id"], VISA, client_secret="pi_nope_secret_x").status_code == 401


def test_checkout_creates_the_order_and_goes_to_the_card_step(fake, client):
    # given
    listing = item_listing(price_amount=2400, quantity=3)
    buyer = MemberFactory()
    client.force_login(buyer)
    checkout = reverse("orders:checkout", kwargs={"listing_id": listing.pk})
    # the review step offers the card step, not test cards
    page = client.get(checkout, {"quantity": 2}).content.decode()
    assert "Continue to pay" in page
    assert "pm_card_visa" not in page
    # when the buyer goes on, sending a price of their own
    response = client.post(checkout, {"quantity": 2, "total": 1})
    # then the order waits for payment at the server's price, and the card step is next
    order = buyer.orders_bought.get()
    assert response.url == pay_url(order)
    assert order.state == OrderState.PENDING_PAYMENT
    assert order.total == 4800 + order.buyer_fee
    assert fake.objects("payment_intent") == []
