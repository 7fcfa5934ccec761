"""The orders API: checkout in two steps, the transitions with their 403/404/409 answers, reviews and the balance."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from orders import services
from orders.models import CommissionConfig, Order, OrderState
from tests.orders.factories import MemberFactory, booking_listing, item_listing, next_weekday_at

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders"
VISA = "pm_card_visa"


@pytest.fixture(autouse=True)
def _rates():
    CommissionConfig.objects.create(seller_bps=1000, buyer_fee_bps=500, minimum_commission=0)


def client_for(member) -> APIClient:
    token, _created = Token.objects.get_or_create(user=member)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
    return client


def gbp(amount: int) -> dict:
    return {"amount": amount, "currency": "GBP"}


def paid_order(listing=None, buyer=None) -> Order:
    listing = listing or item_listing(price_amount=10_000)
    return services.order_create(buyer=buyer or MemberFactory(), listing_id=listing.pk, payment_method=VISA)


# --- Checkout in two steps --------------------------------------------------------------------------------


def test_creating_an_order_answers_201_with_the_price_and_awaits_payment():
    # given
    listing = item_listing(price_amount=2400, quantity=5)
    buyer = MemberFactory()
    api = client_for(buyer)
    # when
    response = api.post(ORDERS, {"listing": listing.pk, "quantity": 2}, format="json")
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending_payment"
    assert body["role"] == "buyer"
    assert body["price"] == {
        "unit_price": gbp(2400),
        "units": 1,
        "quantity": 2,
        "subtotal": gbp(4800),
        "buyer_fee": gbp(240),
        "total": gbp(5040),
        "commission": None,
        "seller_net": None,
    }
    assert body["actions"] == ["pay", "cancel"]
    assert body["listing"]["id"] == listing.pk and body["seller"]["id"] == listing.seller_id
    # when they pay
    paid = api.post(f"{ORDERS}/{body['id']}/pay", {"payment_method": VISA}, format="json")
    # then
    assert paid.status_code == 200
    assert paid.json()["status"] == "paid"
    assert paid.json()["actions"] == ["cancel", "dispute"]


def test_a_booking_is_created_with_its_start_and_end():
    listing = booking_listing(price_amount=3000)
    start = next_weekday_at(0, 10)
    response = client_for(MemberFactory()).post(
        ORDERS,
        {"listing": listing.pk, "start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["price"]["units"] == 2 and body["price"]["total"] == gbp(6300)
    assert body["start"].startswith(start.date().isoformat())


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "listing"),
        ({"listing": "abc"}, "listing"),
        ({"listing": 1, "quantity": "2"}, "quantity"),
        ({"listing": 1, "quantity": 0}, "quantity"),
        ({"listing": 999_999}, "listing"),
    ],
)
def test_bad_input_is_a_field_error(payload, field):
    response = client_for(MemberFactory()).post(ORDERS, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_booking_outside_the_hours_is_a_field_error_on_start():
    listing = booking_listing()
    start = next_weekday_at(0, 20)
    response = client_for(MemberFactory()).post(
        ORDERS,
        {"listing": listing.pk, "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"errors": {"start": ["The listing is not available at these times."]}}


def test_a_declined_card_is_a_field_error_and_cancels_the_order():
    listing = item_listing(quantity=1)
    api = client_for(MemberFactory())
    order_id = api.post(ORDERS, {"listing": listing.pk}, format="json").json()["id"]
    response = api.post(f"{ORDERS}/{order_id}/pay", {"payment_method": "pm_card_chargeDeclined"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": {"payment_method": ["Your card was declined."]}}
    assert Order.objects.get(pk=order_id).state == OrderState.CANCELLED
    again = api.post(f"{ORDERS}/{order_id}/pay", {"payment_method": VISA}, format="json")
    assert again.status_code == 409
    assert again.json() == {"detail": "This order is not waiting for a payment."}


def test_a_card_needing_authentication_comes_back_with_a_next_action():
    api = client_for(MemberFactory())
    order_id = api.post(ORDERS, {"listing": item_listing().pk}, format="json").json()["id"]
    response = api.post(f"{ORDERS}/{order_id}/pay", {"payment_method": "pm_card_authenticationRequired"}, format="json")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "pending_payment"
    assert body["next_action"]["type"] == "authenticate" and body["next_action"]["client_secret"]
    assert body["actions"] == ["authenticate", "cancel"]
    confirmed = api.post(f"{ORDERS}/{order_id}/pay/confirm", format="json")
    assert confirmed.json()["status"] == "paid" and confirmed.json()["next_action"] is None


def test_pay_needs_a_payment_method():
    api = client_for(MemberFactory())
    order_id = api.post(ORDERS, {"listing": item_listing().pk}, format="json").json()["id"]
    response = api.post(f"{ORDERS}/{order_id}/pay", {}, format="json")
    assert response.status_code == 400 and "payment_method" in response.json()["errors"]


# --- Who may do what --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["", "/pay", "/accept", "/decline", "/fulfil", "/confirm", "/cancel", "/dispute", "/reviews"]
)
def test_a_stranger_gets_404_for_someone_elses_order(path):
    order = paid_order()
    api = client_for(MemberFactory())
    if path in ("", "/reviews"):
        assert api.get(f"{ORDERS}/{order.pk}{path}").status_code == 404
    if path:
        response = api.post(f"{ORDERS}/{order.pk}{path}", {"payment_method": VISA, "reason": "x"}, format="json")
        assert response.status_code == 404
    order.refresh_from_db()
    assert order.state == OrderState.PAID


def test_a_transition_that_belongs_to_the_other_party_is_403_with_the_reason():
    order = paid_order()
    response = client_for(order.buyer).post(f"{ORDERS}/{order.pk}/fulfil", format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Only the seller can do this."}
    response = client_for(order.seller).post(f"{ORDERS}/{order.pk}/dispute", {"reason": "No"}, format="json")
    assert response.status_code == 403 and response.json() == {"detail": "Only the buyer can do this."}


def test_a_transition_the_state_does_not_allow_is_409_with_the_reason():
    order = paid_order()
    response = client_for(order.seller).post(f"{ORDERS}/{order.pk}/accept", format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": "An order that is “Paid” cannot become “Accepted”."}
    response = client_for(order.buyer).post(f"{ORDERS}/{order.pk}/confirm", format="json")
    assert response.status_code == 409


def test_the_whole_journey_through_the_api():
    listing = booking_listing(instant_book=False, price_amount=4000)
    start = next_weekday_at(0, 10)
    buyer, seller = client_for(MemberFactory()), client_for(listing.seller)
    created = buyer.post(
        ORDERS,
        {"listing": listing.pk, "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()},
        format="json",
    ).json()
    order_id = created["id"]
    assert buyer.post(f"{ORDERS}/{order_id}/pay", {"payment_method": VISA}, format="json").json()["status"] == (
        "requested"
    )
    as_seller = seller.get(f"{ORDERS}/{order_id}").json()
    assert as_seller["role"] == "seller" and as_seller["actions"] == ["accept", "decline"]
    assert as_seller["price"]["commission"] == gbp(400) and as_seller["price"]["seller_net"] == gbp(3600)
    assert seller.post(f"{ORDERS}/{order_id}/accept", format="json").json()["status"] == "paid"
    Order.objects.filter(pk=order_id).update(
        starts_at=start - timedelta(days=30), ends_at=start - timedelta(days=30, hours=-1)
    )
    assert seller.post(f"{ORDERS}/{order_id}/fulfil", format="json").json()["status"] == "fulfilled"
    assert buyer.post(f"{ORDERS}/{order_id}/confirm", format="json").json()["status"] == "released"
    balance = seller.get("/api/v1/balance").json()
    assert balance["balances"] == [{"currency": "GBP", "held": gbp(0), "available": gbp(3600), "paid_out": gbp(0)}]
    review = buyer.post(f"{ORDERS}/{order_id}/reviews", {"rating": 5, "text": "Lovely"}, format="json")
    assert review.status_code == 201
    assert review.json()["visible"] is False and review.json()["rating"] == 5
    assert seller.get(f"{ORDERS}/{order_id}/reviews").json() == []  # hidden until the seller's is in
    seller.post(f"{ORDERS}/{order_id}/reviews", {"rating": 4}, format="json")
    assert [r["author_role"] for r in seller.get(f"{ORDERS}/{order_id}/reviews").json()] == ["seller", "buyer"]


def test_a_dispute_needs_a_reason_and_freezes_the_money():
    order = paid_order()
    api = client_for(order.buyer)
    missing = api.post(f"{ORDERS}/{order.pk}/dispute", {"reason": ""}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()["errors"]
    response = api.post(
        f"{ORDERS}/{order.pk}/dispute", {"reason": "It never came", "category": "not_received"}, format="json"
    )
    body = response.json()
    assert body["status"] == "disputed"
    assert body["dispute"]["status"] == "open" and body["dispute"]["reason"] == "It never came"


def test_cancelling_through_the_api_follows_the_policy():
    order = paid_order()
    response = client_for(order.buyer).post(f"{ORDERS}/{order.pk}/cancel", {"note": "Changed my mind"}, format="json")
    assert response.json()["status"] == "cancelled"


def test_reviews_validate_the_rating_and_come_once():
    order = paid_order()
    services.order_fulfil(order_id=order.pk, actor=order.seller)
    api = client_for(order.buyer)
    early = api.post(f"{ORDERS}/{order.pk}/reviews", {"rating": 5}, format="json")
    assert early.status_code == 409
    services.order_complete(order_id=order.pk, actor=order.buyer)
    for rating in (0, 6, "5", 4.5, None):
        bad = api.post(f"{ORDERS}/{order.pk}/reviews", {"rating": rating}, format="json")
        assert bad.status_code == 400 and "rating" in bad.json()["errors"], rating
    assert api.post(f"{ORDERS}/{order.pk}/reviews", {"rating": 5}, format="json").status_code == 201
    twice = api.post(f"{ORDERS}/{order.pk}/reviews", {"rating": 1}, format="json")
    assert twice.status_code == 409 and twice.json() == {"detail": "You have already reviewed this order."}


# --- Lists ----------------------------------------------------------------------------------------------


def test_the_list_shows_both_sides_and_filters():
    member = MemberFactory()
    bought = paid_order(buyer=member)
    sold = paid_order(item_listing(seller=member))
    api = client_for(member)
    body = api.get(ORDERS).json()
    assert body["count"] == 2
    assert {row["id"]: row["role"] for row in body["results"]} == {bought.pk: "buyer", sold.pk: "seller"}
    assert [row["id"] for row in api.get(ORDERS, {"role": "seller"}).json()["results"]] == [sold.pk]
    assert api.get(ORDERS, {"status": "released"}).json()["count"] == 0
    assert api.get(ORDERS, {"status": "nonsense"}).status_code == 400


def test_the_list_costs_the_same_queries_for_more_orders():
    member = MemberFactory()
    api = client_for(member)
    paid_order(buyer=member)
    paid_order(item_listing(seller=member))
    api.get(ORDERS)
    with CaptureQueriesContext(connection) as few:
        api.get(ORDERS)
    for _ in range(4):
        paid_order(buyer=member)
        paid_order(item_listing(seller=member))
    with CaptureQueriesContext(connection) as many:
        assert len(api.get(ORDERS).json()["results"]) == 10
    assert len(many) == len(few)


def test_anonymous_callers_are_turned_away():
    assert APIClient().get(ORDERS).status_code in (401, 403)
    assert APIClient().get("/api/v1/balance").status_code in (401, 403)


def test_the_schema_documents_the_order_endpoints():
    schema = APIClient().get("/api/v1/schema/", {"format": "json"}).json()
    for path in ("/api/v1/orders", "/api/v1/orders/{id}/pay", "/api/v1/orders/{id}/reviews", "/api/v1/balance"):
        assert path in schema["paths"], path
    assert "payment_method" in str(schema["paths"]["/api/v1/orders/{id}/pay"])
