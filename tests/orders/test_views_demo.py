"""The demo orders (orders.demo.seed_orders): every lasting state between the demo members, reviews, a payout
and disputes, loaded once; and every demo order page renders for both parties."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from community.models import Member
from hub.management.commands.seed_demo import Command, demo_email
from orders.demo import seed_orders
from orders.models import Dispute, Order, Payout, Review
from orders.selectors import ledger_totals
from tests.orders.factories import booking_listing, item_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_members():
    Command().seed_members()
    members = {local: Member.objects.get(email=demo_email(local)) for local in ("buyer", "seller", "seller2")}
    for seller in (members["seller"], members["seller2"]):
        for _ in range(8):
            item_listing(seller=seller, quantity=5, price_amount=3000)
        booking_listing(seller=seller, lead_time_hours=24)
        booking_listing(seller=seller, lead_time_hours=24, instant_book=False)
    return members


def test_seed_orders_fills_every_lasting_state_once(demo_members):
    created = seed_orders()
    states = set(Order.objects.values_list("state", flat=True))
    assert states >= {
        "pending_payment",
        "requested",
        "declined",
        "expired",
        "paid",
        "fulfilled",
        "released",
        "cancelled",
        "disputed",
        "resolved",
    }
    assert created == Order.objects.count()
    assert Review.objects.count() >= 5
    assert Dispute.objects.filter(status="open").count() == 1
    assert Dispute.objects.filter(status="decided").count() == 1
    assert Payout.objects.filter(seller=demo_members["seller"]).exists()
    assert set(ledger_totals().values()) == {0}
    # a second run adds nothing
    assert seed_orders() == 0
    assert Order.objects.count() == created


def test_every_demo_order_page_renders_for_both_parties(demo_members):
    seed_orders()
    for order in Order.objects.select_related("buyer", "seller"):
        for member in (order.buyer, order.seller):
            client = Client()
            client.force_login(member)
            response = client.get(reverse("orders:detail", kwargs={"reference": order.reference}))
            assert response.status_code == 200, (order.state, member.email)
    for local in ("buyer", "seller"):
        client = Client()
        client.force_login(demo_members[local])
        for name in ("orders:mine", "orders:selling", "orders:money"):
            assert client.get(reverse(name)).status_code == 200
