"""Order pages: checkout, the order page's buttons, who may see and do what, and the lists' query budgets."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community.models import Notification
from listings.models import Listing
from orders import ledger, services
from orders.models import CommissionConfig, Order, OrderState
from tests.factories import PASSWORD
from tests.orders.factories import MemberFactory, booking_listing, item_listing, next_weekday_at

pytestmark = pytest.mark.django_db

VISA = "pm_card_visa"
DECLINED = "pm_card_chargeDeclined"
THREE_D_SECURE = "pm_card_authenticationRequired"


@pytest.fixture(autouse=True)
def _rates():
    CommissionConfig.objects.create(seller_bps=1000, buyer_fee_bps=500, minimum_commission=0)


def signed_in(member) -> Client:
    client = Client()
    client.force_login(member)
    return client


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def detail(order) -> str:
    return reverse("orders:detail", kwargs={"reference": order.reference})


def action(name: str, order) -> str:
    return reverse(f"orders:{name}", kwargs={"reference": order.reference})


def bought(listing=None, buyer=None, **kwargs) -> Order:
    listing = listing or item_listing(price_amount=10_000)
    return services.order_create(buyer=buyer or MemberFactory(), listing_id=listing.pk, payment_method=VISA, **kwargs)


# --- Checkout ---------------------------------------------------------------------------------------------


def test_checkout_needs_an_account():
    listing = item_listing()
    response = Client().get(reverse("orders:checkout", args=[listing.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_an_item_checkout_shows_the_price_computed_on_the_server_then_pays():
    # given
    listing = item_listing(price_amount=2400, quantity=3, title="Teal mug")
    buyer = MemberFactory()
    client = signed_in(buyer)
    url = reverse("orders:checkout", args=[listing.pk])
    # when the buyer asks for two
    review = client.get(url, {"quantity": 2})
    # then the page shows subtotal, service fee and total, and the test cards
    page = text_of(review)
    assert review.status_code == 200
    assert "£48.00" in page and "£2.40" in page and "£50.40" in page
    assert "Pay £50.40" in page
    for card in (VISA, DECLINED, THREE_D_SECURE):
        assert f'value="{card}"' in page
    # when they pay with the card that works
    paid = client.post(url, {"quantity": "2", "payment_method": VISA})
    # then
    order = buyer.orders_bought.get()
    assert paid.status_code == 302 and paid["Location"] == detail(order)
    assert order.state == OrderState.PAID and order.total == 5040
    assert Listing.objects.get(pk=listing.pk).quantity == 1
    assert "Paid. Guildhall holds your payment" in text_of(client.get(detail(order)))


def test_a_declined_card_says_so_clearly_and_keeps_the_choice():
    listing = item_listing(quantity=1)
    buyer = MemberFactory()
    response = signed_in(buyer).post(
        reverse("orders:checkout", args=[listing.pk]), {"quantity": "1", "payment_method": DECLINED}
    )
    page = text_of(response)
    assert response.status_code == 400
    assert "Your card was declined." in page
    assert "Nothing was charged. Choose another card and try again." in page
    assert 'aria-invalid="true"' not in page.split("Pay with")[0][-200:]  # the quantity itself is fine
    assert Listing.objects.get(pk=listing.pk).quantity == 1
    assert buyer.orders_bought.get().state == OrderState.CANCELLED


def test_a_card_that_needs_authentication_has_a_confirmation_step():
    listing = item_listing()
    buyer = MemberFactory()
    client = signed_in(buyer)
    response = client.post(
        reverse("orders:checkout", args=[listing.pk]), {"quantity": "1", "payment_method": THREE_D_SECURE}
    )
    order = buyer.orders_bought.get()
    assert response["Location"] == action("authenticate", order)
    assert order.state == OrderState.PENDING_PAYMENT
    page = text_of(client.get(action("authenticate", order)))
    assert "Your bank asks you to confirm" in page
    confirmed = client.post(action("authenticate", order), {"action": "confirm"})
    assert confirmed["Location"] == detail(order)
    order.refresh_from_db()
    assert order.state == OrderState.PAID


def test_a_buyer_may_cancel_at_the_authentication_step():
    listing = item_listing(quantity=1)
    buyer = MemberFactory()
    client = signed_in(buyer)
    client.post(reverse("orders:checkout", args=[listing.pk]), {"quantity": "1", "payment_method": THREE_D_SECURE})
    order = buyer.orders_bought.get()
    client.post(action("authenticate", order), {"action": "cancel"})
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    assert Listing.objects.get(pk=listing.pk).quantity == 1


def test_a_booking_outside_the_sellers_hours_is_refused_on_the_times():
    listing = booking_listing()
    monday = next_weekday_at(0, 18)
    response = signed_in(MemberFactory()).get(
        reverse("orders:checkout", args=[listing.pk]),
        {"start_date": monday.date().isoformat(), "start_time": "18:00", "end_time": "19:00"},
    )
    page = text_of(response)
    assert "The listing is not available at these times." in page
    assert "Pay £" not in page


def test_a_request_to_book_is_held_until_the_seller_answers():
    listing = booking_listing(instant_book=False, price_amount=3000)
    monday = next_weekday_at(0, 10)
    buyer = MemberFactory()
    client = signed_in(buyer)
    params = {"start_date": monday.date().isoformat(), "start_time": "10:00", "end_time": "12:00"}
    review = text_of(client.get(reverse("orders:checkout", args=[listing.pk]), params))
    assert "£60.00" in review and "£63.00" in review
    assert "This is a request to book" in review
    client.post(reverse("orders:checkout", args=[listing.pk]), {**params, "payment_method": VISA})
    order = buyer.orders_bought.get()
    assert order.state == OrderState.REQUESTED
    assert (order.starts_at, order.ends_at) == (monday, monday + timedelta(hours=2))
    assert "Waiting for the seller to accept" in text_of(client.get(detail(order)))


def test_the_seller_cannot_check_out_their_own_listing():
    listing = item_listing()
    response = signed_in(listing.seller).get(reverse("orders:checkout", args=[listing.pk]))
    assert response.status_code == 302 and response["Location"] == listing.get_absolute_url()


# --- Who sees what ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["detail", "receipt", "statement", "cancel", "refund", "dispute", "pay", "authenticate"]
)
def test_a_stranger_gets_404_for_someone_elses_order_pages(name):
    order = bought()
    response = signed_in(MemberFactory()).get(action(name, order))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "name", ["accept", "decline", "fulfil", "confirm", "cancel", "refund", "dispute", "review", "dispute_message"]
)
def test_a_stranger_gets_404_for_someone_elses_order_buttons(name):
    order = bought()
    response = signed_in(MemberFactory()).post(action(name, order), {"note": "x", "amount": "1"})
    assert response.status_code == 404
    order.refresh_from_db()
    assert order.state == OrderState.PAID


def test_the_other_partys_button_is_forbidden():
    order = bought()
    services.order_fulfil(order_id=order.pk, actor=order.seller)
    response = signed_in(order.seller).post(action("confirm", order))
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.state == OrderState.FULFILLED


def test_a_button_the_state_does_not_allow_explains_why():
    order = bought()
    client = signed_in(order.buyer)
    response = client.post(action("confirm", order), follow=True)
    assert "An order that is “Paid” cannot become “Completed”." in text_of(response)


def test_buttons_need_the_csrf_token():
    order = bought()
    client = Client(enforce_csrf_checks=True)
    client.force_login(order.seller)
    assert client.post(action("fulfil", order)).status_code == 403
    order.refresh_from_db()
    assert order.state == OrderState.PAID


def test_order_pages_need_an_account():
    order = bought()
    response = Client().get(detail(order))
    assert response.status_code == 302 and "login" in response["Location"]


# --- The buttons, state by state --------------------------------------------------------------------------


def test_the_seller_accepts_a_request_from_the_order_page():
    listing = booking_listing(instant_book=False)
    order = services.order_create(
        buyer=MemberFactory(),
        listing_id=listing.pk,
        start=next_weekday_at(0, 10),
        end=next_weekday_at(0, 11),
        payment_method=VISA,
    )
    client = signed_in(order.seller)
    page = text_of(client.get(detail(order)))
    assert "Accept the request" in page and "Decline the request" in page
    client.post(action("accept", order))
    order.refresh_from_db()
    assert order.state == OrderState.PAID


def test_the_seller_declines_a_request_and_the_buyer_is_refunded():
    listing = booking_listing(instant_book=False)
    order = services.order_create(
        buyer=MemberFactory(),
        listing_id=listing.pk,
        start=next_weekday_at(0, 10),
        end=next_weekday_at(0, 11),
        payment_method=VISA,
    )
    signed_in(order.seller).post(action("decline", order), {"note": "Away that week"})
    order.refresh_from_db()
    assert order.state == OrderState.DECLINED
    assert ledger.escrow_balance(order=order) == 0
    assert "Away that week" in text_of(signed_in(order.buyer).get(detail(order)))


def test_delivered_then_confirmed_releases_the_money(django_capture_on_commit_callbacks):
    order = bought()
    seller_page = text_of(signed_in(order.seller).get(detail(order)))
    assert "Mark as delivered" in seller_page and "Your net" in seller_page and "£90.00" in seller_page
    signed_in(order.seller).post(action("fulfil", order))
    buyer = signed_in(order.buyer)
    buyer_page = text_of(buyer.get(detail(order)))
    assert "Confirm all is well and pay the seller" in buyer_page and "Report a problem" in buyer_page
    assert "Guildhall commission" not in buyer_page  # the buyer sees their own side
    with django_capture_on_commit_callbacks(execute=True):
        buyer.post(action("confirm", order))
    order.refresh_from_db()
    assert order.state == OrderState.RELEASED
    assert ledger.escrow_balance(order=order) == 0
    assert any("You have been paid" in message.subject for message in mail.outbox)


def test_cancelling_shows_the_policys_refund_before_confirming(clock):
    # given a moderate booking starting in two days: half back
    listing = booking_listing(cancellation_policy="moderate", price_amount=10_000)
    start = next_weekday_at(2, 10, after=clock.now)
    order = services.order_create(
        buyer=MemberFactory(), listing_id=listing.pk, start=start, end=start + timedelta(hours=1), payment_method=VISA
    )
    clock.now = start - timedelta(days=2)
    client = signed_in(order.buyer)
    # when the buyer asks to cancel, the page says how much comes back
    page = text_of(client.get(action("cancel", order)))
    assert "Cancel and refund £52.50" in page
    assert "£105.00" in page
    assert order.state == OrderState.PAID  # nothing happened yet
    # when they confirm
    client.post(action("cancel", order), {"note": "Plans changed"})
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    assert ledger.member_balance(member=order.buyer, kind="refunds", currency="GBP") == 5250


def test_the_seller_gives_a_partial_refund_once_per_form():
    order = bought()
    client = signed_in(order.seller)
    form = text_of(client.get(action("refund", order)))
    key = re.search(r'name="key" value="([0-9a-f]+)"', form).group(1)
    for _ in range(2):  # a double click
        client.post(action("refund", order), {"amount": "12.50", "note": "Chipped", "key": key})
    assert order.refunds.get().amount == 1250
    too_much = client.post(action("refund", order), {"amount": "500", "key": "other"})
    assert too_much.status_code == 400 and "Refund between" in text_of(too_much)


def test_every_transition_leaves_an_in_site_notification_for_the_other_party():
    order = bought()
    assert Notification.objects.filter(member=order.seller, text__contains="New order").exists()
    signed_in(order.seller).post(action("fulfil", order))
    note = Notification.objects.filter(member=order.buyer).latest("pk")
    assert "on its way" in note.text and note.url == detail(order)


def test_the_timeline_lists_each_event():
    order = bought()
    services.order_fulfil(order_id=order.pk, actor=order.seller)
    page = text_of(signed_in(order.buyer).get(detail(order)))
    for text in ("Order placed", "Paid: Guildhall holds the payment", "Delivered or took place"):
        assert text in page


def test_the_receipt_shows_what_the_buyer_paid():
    order = bought(item_listing(price_amount=2400))
    page = text_of(signed_in(order.buyer).get(action("receipt", order)))
    assert "Receipt" in page and "£24.00" in page and "£1.20" in page and "£25.20" in page
    assert str(order.reference) in page


# --- Lists --------------------------------------------------------------------------------------------------


def count_queries(client, url) -> int:
    client.get(url)  # the first request of a session does some one-off work (the session, the menu)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_buyers_list_costs_the_same_queries_for_more_orders():
    buyer = MemberFactory()
    client = signed_in(buyer)
    bought(buyer=buyer)
    few = count_queries(client, reverse("orders:mine"))
    for _ in range(5):
        bought(buyer=buyer)
    assert count_queries(client, reverse("orders:mine")) == few


def test_the_sellers_list_costs_the_same_queries_for_more_orders():
    seller = MemberFactory()
    client = signed_in(seller)
    bought(item_listing(seller=seller, quantity=20))
    few = count_queries(client, reverse("orders:selling"))
    for _ in range(5):
        bought(item_listing(seller=seller, quantity=20))
    assert count_queries(client, reverse("orders:selling")) == few
    assert count_queries(client, reverse("orders:selling") + "?tab=action") == few


def test_the_sellers_tabs_count_and_filter():
    seller = MemberFactory()
    paid = bought(item_listing(seller=seller))
    done = bought(item_listing(seller=seller))
    services.order_fulfil(order_id=done.pk, actor=seller)
    services.order_complete(order_id=done.pk, actor=done.buyer)
    client = signed_in(seller)
    page = text_of(client.get(reverse("orders:selling") + "?tab=action"))
    assert paid.listing.title in page and done.listing.title not in page
    assert re.search(r"To do <span class=\"tab-count\">1</span>", page)


def test_someone_signed_in_with_a_password_reaches_their_orders():
    buyer = MemberFactory()
    client = Client()
    assert client.login(email=buyer.email, password=PASSWORD)
    assert client.get(reverse("orders:mine")).status_code == 200


def test_an_order_awaiting_payment_is_paid_from_its_page():
    # given an order created without paying (through the API, say)
    listing = item_listing(price_amount=2000)
    buyer = MemberFactory()
    order = services.order_create(buyer=buyer, listing_id=listing.pk)
    client = signed_in(buyer)
    page = text_of(client.get(detail(order)))
    assert "Pay £21.00" in page
    # the seller has nothing to pay
    assert signed_in(order.seller).get(action("pay", order))["Location"] == detail(order)
    # when the buyer pays on the pay page
    assert "Pay £21.00" in text_of(client.get(action("pay", order)))
    client.post(action("pay", order), {"payment_method": VISA})
    order.refresh_from_db()
    assert order.state == OrderState.PAID


def test_a_refused_payment_on_the_pay_page_sends_the_buyer_back_to_checkout():
    listing = item_listing(price_amount=2000, quantity=2)
    buyer = MemberFactory()
    order = services.order_create(buyer=buyer, listing_id=listing.pk, quantity=2)
    response = signed_in(buyer).post(action("pay", order), {"payment_method": DECLINED})
    assert response["Location"] == reverse("orders:checkout", args=[listing.pk]) + "?quantity=2"
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
