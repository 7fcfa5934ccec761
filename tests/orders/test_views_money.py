"""The seller's money pages: balances from the ledger, payouts, a statement per order and the yearly tax CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders import services
from orders.models import CommissionConfig, Order
from tests.orders.factories import MemberFactory, item_listing

pytestmark = pytest.mark.django_db

VISA = "pm_card_visa"


@pytest.fixture(autouse=True)
def _rates(settings):
    settings.PAYOUT_MINIMUM = 1000
    CommissionConfig.objects.create(seller_bps=1000, buyer_fee_bps=500, minimum_commission=0)


def signed_in(member) -> Client:
    client = Client()
    client.force_login(member)
    return client


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def sale(seller, price=10_000, *, release=True, title=None) -> Order:
    listing = item_listing(seller=seller, price_amount=price, **({"title": title} if title else {}))
    order = services.order_create(buyer=MemberFactory(), listing_id=listing.pk, payment_method=VISA)
    if release:
        services.order_fulfil(order_id=order.pk, actor=seller)
        order = services.order_complete(order_id=order.pk, actor=order.buyer)
    return order


def test_the_balance_shows_held_available_and_paid_out(django_capture_on_commit_callbacks):
    seller = MemberFactory()
    sale(seller)  # 90.00 available
    sale(seller, 5000, release=False)  # 45.00 of the seller's held
    client = signed_in(seller)
    page = text_of(client.get(reverse("orders:money")))
    assert re.search(r"Held in escrow</h3><p class=\"amount\">£45.00", page)
    assert re.search(r"Available</h3><p class=\"amount\">£90.00", page)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("orders:payout"))
    page = text_of(client.get(reverse("orders:money")))
    assert "Payout of GBP 90.00 requested." in page
    assert re.search(r"Paid out</h3><p class=\"amount\">£90.00", page)
    assert "Succeeded" in page


def test_a_payout_below_the_minimum_is_refused_with_the_minimum():
    seller = MemberFactory()
    sale(seller, 500)
    page = text_of(signed_in(seller).post(reverse("orders:payout"), follow=True))
    assert "Payouts start from GBP 10.00" in page


def test_the_money_page_costs_the_same_queries_with_more_orders():
    seller = MemberFactory()
    client = signed_in(seller)
    sale(seller)
    sale(seller, release=False)
    client.get(reverse("orders:money"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("orders:money"))
    for _ in range(3):
        sale(seller)
        sale(seller, release=False)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("orders:money"))
    assert len(many) == len(few)


def test_a_statement_per_order_for_the_seller_only():
    seller = MemberFactory()
    order = sale(seller)
    url = reverse("orders:statement", kwargs={"reference": order.reference})
    page = text_of(signed_in(seller).get(url))
    for amount in ("£100.00", "−£10.00", "£90.00", "£5.00", "£105.00"):
        assert amount in page, amount
    assert signed_in(order.buyer).get(url).status_code == 404
    assert signed_in(MemberFactory()).get(url).status_code == 404


def test_the_yearly_tax_summary_is_a_streamed_csv():
    # given two released sales and a partial refund on one, and one still held
    seller = MemberFactory()
    sale(seller, 10_000, title="=HYPERLINK(evil)")
    refunded = sale(seller, 5000, release=False)
    services.order_refund(order_id=refunded.pk, seller=seller, amount=1050)
    services.order_fulfil(order_id=refunded.pk, actor=seller)
    services.order_complete(order_id=refunded.pk, actor=refunded.buyer)
    sale(seller, 2000, release=False)
    year = timezone.now().year
    # when
    response = signed_in(seller).get(reverse("orders:tax_summary", args=[year]))
    # then
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="guildhall-sales-{year}.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "Released on",
        "Order reference",
        "Listing",
        "Currency",
        "Gross",
        "Fees",
        "Refunded to buyer",
        "Net",
    ]
    first, second = rows[1], rows[2]
    assert first[2] == "'=HYPERLINK(evil)"  # never a formula in a spreadsheet
    assert first[3:] == ["GBP", "100.00", "10.00", "0.00", "90.00"]
    # 52.50 paid, 10.50 refunded: 42.00 released, of which 6.00 to the platform (4.00 commission, 2.00 fee)
    assert second[3:] == ["GBP", "40.00", "4.00", "10.50", "36.00"]
    assert rows[3] == []
    assert rows[5] == [str(year), "2", "", "GBP", "140.00", "14.00", "10.50", "126.00"]
    assert len(rows) == 6


def test_the_tax_summary_of_a_year_without_sales_is_just_headers():
    seller = MemberFactory()
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(signed_in(seller).get(reverse("orders:tax_summary", args=[2001])).streaming_content).decode()
            )
        )
    )
    assert len(rows) == 3 and rows[1] == []


def test_money_pages_need_an_account():
    for url in (reverse("orders:money"), reverse("orders:tax_summary", args=[2024])):
        response = Client().get(url)
        assert response.status_code == 302
    assert Client().post(reverse("orders:payout")).status_code == 302
