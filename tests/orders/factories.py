"""Orders test data. Listings are written straight to the database in a valid published state (the listings app's
own tests cover how sellers get there), so these tests need no photos or image processing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from itertools import count
from typing import Any

from django.utils import timezone

from listings.models import AvailabilityException, AvailabilityRule, Category, Listing
from tests.factories import MemberFactory

__all__ = ["MemberFactory", "booking_listing", "category", "item_listing", "next_weekday_at"]

_sequence = count(1)


def category(name: str | None = None, *, parent: Category | None = None) -> Category:
    n = next(_sequence)
    fields = {"name": name or f"Category {n}", "slug": f"orders-category-{n}"}
    return parent.add_child(**fields) if parent else Category.add_root(**fields)


def _listing(*, seller=None, cat: Category | None = None, **fields: Any) -> Listing:
    n = next(_sequence)
    values: dict[str, Any] = {
        "seller": seller or MemberFactory(),
        "category": cat or category(),
        "title": f"Listing {n}",
        "slug": f"orders-listing-{n}",
        "description": "A thing worth buying.",
        "status": "published",
        "published_at": timezone.now(),
        "price_amount": 2400,
        "currency": "GBP",
        "location_name": "Bristol",
    }
    values.update(fields)
    return Listing.objects.create(**values)


def item_listing(*, seller=None, cat: Category | None = None, quantity: int = 3, **fields: Any) -> Listing:
    return _listing(seller=seller, cat=cat, kind="item", price_unit="each", quantity=quantity, **fields)


def booking_listing(
    *,
    seller=None,
    cat: Category | None = None,
    weekdays: range | list[int] = range(7),
    opens: time = time(9),
    closes: time = time(17),
    blocked: list | None = None,
    **fields: Any,
) -> Listing:
    values = {
        "price_unit": "hour",
        "price_amount": 3000,
        "capacity": 1,
        "lead_time_hours": 0,
        "max_advance_days": 90,
        "instant_book": True,
        "cancellation_policy": "moderate",
        **fields,
    }
    listing = _listing(seller=seller, cat=cat, kind="booking", **values)
    AvailabilityRule.objects.bulk_create(
        [AvailabilityRule(listing=listing, weekday=day, start_time=opens, end_time=closes) for day in weekdays]
    )
    mask = 0
    for day in weekdays:
        mask |= 1 << day
    Listing.objects.filter(pk=listing.pk).update(available_weekdays=mask)
    for day in blocked or []:
        AvailabilityException.objects.create(listing=listing, date=day, blocked=True)
    return listing


def next_weekday_at(weekday: int, hour: int, *, after: datetime | None = None, minute: int = 0) -> datetime:
    """The first `weekday` (0 = Monday) at least two days after `after` (default now), at hour:minute UTC."""
    after = after or timezone.now()
    day = (after + timedelta(days=2)).date()
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def order_row(*, listing: Listing | None = None, buyer=None, subtotal: int = 10_000, **fields: Any):
    """A bare order row (no reservation, no payment): somewhere for ledger tests to hold escrow."""
    import uuid

    from orders.models import Order, OrderPayee

    listing = listing or item_listing()
    commission = fields.pop("commission", subtotal // 10)
    buyer_fee = fields.pop("buyer_fee", subtotal // 20)
    order = Order.objects.create(
        buyer=buyer or MemberFactory(),
        seller=listing.seller,
        listing=listing,
        kind="item",
        currency=listing.currency,
        unit_price=subtotal,
        subtotal=subtotal,
        buyer_fee=buyer_fee,
        total=subtotal + buyer_fee,
        commission=commission,
        seller_net=subtotal - commission,
        seller_commission_bps=1000,
        buyer_fee_bps=500,
        cancellation_policy="moderate",
        gateway="offline",
        transfer_group=f"order-{uuid.uuid4().hex}",
        **fields,
    )
    OrderPayee.objects.create(order=order, member=listing.seller, basis_points=10_000)
    return order
