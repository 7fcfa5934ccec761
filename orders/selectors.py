"""Reads for orders: a member's orders, money held and owed, what the timeouts have to do next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from community.models import Member
from listings.models import Listing, ListingKind
from orders.models import (
    RELEASED_HOLD_STATES,
    AccountKind,
    CancelledBy,
    Entry,
    GatewayCallStatus,
    Order,
    OrderEvent,
    OrderReminder,
    OrderState,
    Payout,
    Refund,
    TransactionKind,
)
from orders.timeouts import (
    BOOKING_AUTO_COMPLETE_AFTER,
    BOOKING_REMINDER_BEFORE,
    GATEWAY_RETRY_AFTER,
    ITEM_AUTO_COMPLETE_AFTER,
    ITEM_REMINDER_BEFORE,
    PAYMENT_ABANDON_AFTER,
    REQUEST_REMINDER_BEFORE,
)

# --- A member's orders ------------------------------------------------------------------------------------


def orders_of_buyer(*, buyer: Member) -> QuerySet[Order]:
    return Order.objects.filter(buyer=buyer).select_related("listing", "seller__profile")


def orders_of_seller(*, seller: Member, states: list[str] | None = None) -> QuerySet[Order]:
    queryset = Order.objects.filter(seller=seller).select_related("listing", "buyer__profile")
    return queryset.filter(state__in=states) if states else queryset


def order_for_member(*, reference: str, member: Member) -> Order:
    """An order its buyer or seller may see; anyone else is told it does not exist."""
    order = (
        Order.objects.select_related("listing", "buyer__profile", "seller__profile")
        .filter(Q(buyer=member) | Q(seller=member), reference=reference)
        .first()
    )
    if order is None:
        raise Http404
    return order


def order_events(*, order: Order) -> QuerySet[OrderEvent]:
    return order.events.select_related("actor__profile")


# --- Money ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderMoney:
    paid: int
    held: int
    refunded: int
    released: int


def order_money(*, order: Order) -> OrderMoney:
    """Where the order's money is now, from the ledger."""
    rows = dict(
        Entry.objects.filter(account__kind=AccountKind.ESCROW, account__order=order)
        .values("transaction__kind")
        .annotate(total=Sum("amount"))
        .values_list("transaction__kind", "total")
    )
    paid = rows.get(TransactionKind.CHARGE, 0)
    refunded = -rows.get(TransactionKind.REFUND, 0)
    released = -rows.get(TransactionKind.RELEASE, 0)
    return OrderMoney(paid=paid, held=paid - refunded - released, refunded=refunded, released=released)


@dataclass(frozen=True)
class SellerBalance:
    currency: str
    available: int  # released and not yet paid out
    paid_out: int


def seller_balances(*, seller: Member) -> list[SellerBalance]:
    rows = (
        Entry.objects.filter(
            account__owner=seller, account__kind__in=[AccountKind.SELLER_PAYABLE, AccountKind.SELLER_PAID_OUT]
        )
        .values("account__currency", "account__kind")
        .annotate(total=Sum("amount"))
    )
    by_currency: dict[str, dict[str, int]] = {}
    for row in rows:
        by_currency.setdefault(row["account__currency"], {})[row["account__kind"]] = row["total"]
    return [
        SellerBalance(
            currency=currency,
            available=kinds.get(AccountKind.SELLER_PAYABLE, 0),
            paid_out=kinds.get(AccountKind.SELLER_PAID_OUT, 0),
        )
        for currency, kinds in sorted(by_currency.items())
    ]


def payouts_of_seller(*, seller: Member) -> QuerySet[Payout]:
    return Payout.objects.filter(seller=seller)


def ledger_totals() -> dict[str, int]:
    """The sum of every balance per currency: zero, always (operators' health check)."""
    return dict(
        Entry.objects.values("account__currency")
        .annotate(total=Sum("amount"))
        .values_list("account__currency", "total")
    )


def seller_cancellations_count(*, seller: Member, since: datetime | None = None) -> int:
    """Orders the seller cancelled: counts against the seller (dashboards, trust)."""
    queryset = Order.objects.filter(seller=seller, cancelled_by=CancelledBy.SELLER)
    return queryset.filter(cancelled_at__gte=since).count() if since else queryset.count()


def booking_busy_ranges(*, listing: Listing, start: datetime, end: datetime) -> list[tuple[datetime, datetime, int]]:
    """Booked (start, end, places) overlapping [start, end): what a calendar greys out."""
    return list(
        Order.objects.filter(listing=listing, kind=ListingKind.BOOKING, starts_at__lt=end, ends_at__gt=start)
        .exclude(state__in=RELEASED_HOLD_STATES)
        .order_by("starts_at")
        .values_list("starts_at", "ends_at", "quantity")
    )


# --- What the timeouts do next (orders.tasks) --------------------------------------------------------------


def _ids(queryset: QuerySet[Order]) -> list[int]:
    return list(queryset.order_by("pk").values_list("pk", flat=True)[:500])


def orders_requests_due_to_expire(*, now: datetime | None = None) -> list[int]:
    return _ids(Order.objects.filter(state=OrderState.REQUESTED, respond_by__lte=now or timezone.now()))


def orders_payments_abandoned(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return _ids(Order.objects.filter(state=OrderState.PENDING_PAYMENT, created_at__lte=now - PAYMENT_ABANDON_AFTER))


def orders_bookings_due_to_fulfil(*, now: datetime | None = None) -> list[int]:
    return _ids(
        Order.objects.filter(state=OrderState.PAID, kind=ListingKind.BOOKING, ends_at__lte=now or timezone.now())
    )


def orders_due_to_complete(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return _ids(
        Order.objects.filter(state=OrderState.FULFILLED).filter(
            Q(kind=ListingKind.ITEM, fulfilled_at__lte=now - ITEM_AUTO_COMPLETE_AFTER)
            | Q(kind=ListingKind.BOOKING, ends_at__lte=now - BOOKING_AUTO_COMPLETE_AFTER)
        )
    )


def reminders_due(*, now: datetime | None = None) -> list[tuple[int, str]]:
    """(order id, reminder kind) for each reminder whose time has come and that has not been sent."""
    now = now or timezone.now()
    due = {
        "request_expiring": Order.objects.filter(
            state=OrderState.REQUESTED, respond_by__gt=now, respond_by__lte=now + REQUEST_REMINDER_BEFORE
        ),
        "item_auto_complete": Order.objects.filter(
            state=OrderState.FULFILLED,
            kind=ListingKind.ITEM,
            fulfilled_at__lte=now - ITEM_AUTO_COMPLETE_AFTER + ITEM_REMINDER_BEFORE,
        ),
        "booking_auto_complete": Order.objects.filter(
            state=OrderState.FULFILLED,
            kind=ListingKind.BOOKING,
            ends_at__lte=now - BOOKING_AUTO_COMPLETE_AFTER + BOOKING_REMINDER_BEFORE,
        ),
    }
    result = []
    for kind, queryset in due.items():
        sent = OrderReminder.objects.filter(kind=kind).values("order_id")
        result += [(order_id, kind) for order_id in _ids(queryset.exclude(pk__in=sent))]
    return result


def refunds_to_retry(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        Refund.objects.filter(status=GatewayCallStatus.PENDING, created_at__lte=now - GATEWAY_RETRY_AFTER)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )


def payouts_to_retry(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        Payout.objects.filter(status=GatewayCallStatus.PENDING, created_at__lte=now - GATEWAY_RETRY_AFTER)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
