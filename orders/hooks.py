"""What other apps ask of orders through settings, without importing orders' internals (community must not
depend on orders): the messaging app's "is there a paid order between these two?" and "who are an order's
parties?" (settings MESSAGING_PAID_ORDER_CHECK and MESSAGING_ORDER_PARTIES point here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Avg, Count, F, Min, Q, Window
from django.db.models.functions import Coalesce, RowNumber

from orders.models import CancelledBy, DisputeOutcome, Order, OrderState, Review, ReviewRole

# Money has been taken and the seller has taken the order on: fulfilment may need a phone number or an address.
PAID_STATES = frozenset(
    {
        OrderState.ACCEPTED,
        OrderState.PAID,
        OrderState.FULFILLED,
        OrderState.COMPLETED,
        OrderState.RELEASED,
        OrderState.DISPUTED,
        OrderState.RESOLVED,
    }
)


def paid_order_exists(*, buyer_id: int, seller_id: int) -> bool:
    """Whether the two members have a paid order between them, in either direction."""
    pair = Q(buyer_id=buyer_id, seller_id=seller_id) | Q(buyer_id=seller_id, seller_id=buyer_id)
    return Order.objects.filter(pair, state__in=PAID_STATES).exists()


def order_parties(*, order_ref: int) -> tuple[int, int] | None:
    """(buyer id, seller id) of an order, or None when there is no such order."""
    return Order.objects.filter(pk=order_ref).values_list("buyer_id", "seller_id").first()


# --- Seller performance, for mentoring's milestones and outcomes (and later dashboards) ---------------------------

# The order defect rate looks at the seller's last DEFECT_WINDOW orders that reached an outcome.
DEFECT_WINDOW = 50
# An item paid for and marked delivered more than this later was fulfilled late.
LATE_FULFILMENT_AFTER = timedelta(days=3)
SOLD_STATES = frozenset({OrderState.COMPLETED, OrderState.RELEASED})
_REFUNDED = (DisputeOutcome.PARTIAL_REFUND, DisputeOutcome.FULL_REFUND)


@dataclass(frozen=True)
class SellerOrderStats:
    """One seller's figures. `defect_rate` is a percentage (None before any order reached an outcome)."""

    sales: int  # orders completed (money released to the seller)
    first_sale_at: datetime | None
    review_count: int  # buyers' reviews of the seller: published, not hidden
    review_average: Decimal | None
    defect_window: int  # orders the defect rate looked at
    defects: int
    seller_cancellations: int
    disputes_lost: int
    late_fulfilments: int

    @property
    def defect_rate(self) -> Decimal | None:
        if not self.defect_window:
            return None
        return (Decimal(100) * self.defects / self.defect_window).quantize(Decimal("0.1"))


def seller_order_stats(*, seller_ids: list[int], window: int = DEFECT_WINDOW) -> dict[int, SellerOrderStats]:
    """Sales, reviews and the order defect rate of each seller, in three queries whatever the number of sellers.

    The order defect rate: of the seller's last `window` orders that reached an outcome (completed, resolved after a
    dispute, or cancelled by the seller; newest first by when that happened), the share with a defect, where a
    defect is any of
    - a cancellation by the seller,
    - a dispute the seller lost: resolved with a partial or full refund to the buyer,
    - late fulfilment: an item marked delivered more than `LATE_FULFILMENT_AFTER` after it was paid for.
    Bookings are fulfilled when they end, so they are never late; an order with two defects counts once."""
    ids = sorted(set(seller_ids))
    if not ids:
        return {}
    sold = {
        row["seller_id"]: row
        for row in Order.objects.filter(seller_id__in=ids, state__in=SOLD_STATES)
        .values("seller_id")
        .annotate(sales=Count("pk"), first_sale_at=Min("completed_at"))
        .order_by()
    }
    reviews = {
        row["subject_id"]: row
        for row in Review.objects.filter(
            subject_id__in=ids, author_role=ReviewRole.BUYER, published_at__isnull=False, hidden_at__isnull=True
        )
        .values("subject_id")
        .annotate(n=Count("pk"), average=Avg("rating"))
        .order_by()
    }
    outcome = Q(state__in=SOLD_STATES) | Q(state=OrderState.RESOLVED) | Q(cancelled_by=CancelledBy.SELLER)
    recent = (
        Order.objects.filter(outcome, seller_id__in=ids)
        .annotate(outcome_at=Coalesce("completed_at", "cancelled_at", "updated_at"))
        .annotate(
            position=Window(
                RowNumber(), partition_by=[F("seller_id")], order_by=[F("outcome_at").desc(), F("pk").desc()]
            )
        )
        .filter(position__lte=window)
        .values_list("seller_id", "cancelled_by", "state", "dispute__outcome", "kind", "paid_at", "fulfilled_at")
    )
    counts: dict[int, list[int]] = {}  # seller -> [window, defects, cancellations, disputes lost, late]
    for seller_id, cancelled_by, state, dispute_outcome, kind, paid_at, fulfilled_at in recent:
        cancelled = cancelled_by == CancelledBy.SELLER
        lost = state == OrderState.RESOLVED and dispute_outcome in _REFUNDED
        late = bool(kind == "item" and paid_at and fulfilled_at and fulfilled_at - paid_at > LATE_FULFILMENT_AFTER)
        row = counts.setdefault(seller_id, [0, 0, 0, 0, 0])
        row[0] += 1
        row[1] += int(cancelled or lost or late)
        row[2] += int(cancelled)
        row[3] += int(lost)
        row[4] += int(late)
    stats = {}
    for seller_id in ids:
        sale, review = sold.get(seller_id, {}), reviews.get(seller_id, {})
        average = review.get("average")
        window_size, defects, cancellations, lost, late = counts.get(seller_id, [0, 0, 0, 0, 0])
        stats[seller_id] = SellerOrderStats(
            sales=sale.get("sales", 0),
            first_sale_at=sale.get("first_sale_at"),
            review_count=review.get("n", 0),
            review_average=None if average is None else Decimal(str(average)).quantize(Decimal("0.01")),
            defect_window=window_size,
            defects=defects,
            seller_cancellations=cancellations,
            disputes_lost=lost,
            late_fulfilments=late,
        )
    return stats


# A completed order: the buyer confirmed fulfilment (or the window passed), whether or not the money has moved on.
COMPLETED_STATES = frozenset({OrderState.COMPLETED, OrderState.RELEASED})
GOOD_REVIEW_MIN_RATING = 4


def member_marketplace_counts(*, member_id: int, since=None) -> dict[str, int]:
    """What community trust levels count from the marketplace: orders completed as buyer or seller, and good reviews
    (4 or 5 stars, visible and not hidden) received. With `since`, only those after that moment."""
    from orders.models import Review

    orders = Order.objects.filter(Q(buyer_id=member_id) | Q(seller_id=member_id), state__in=COMPLETED_STATES)
    reviews = Review.objects.filter(
        subject_id=member_id, rating__gte=GOOD_REVIEW_MIN_RATING, hidden_at__isnull=True, published_at__isnull=False
    )
    if since is not None:
        orders = orders.filter(completed_at__gte=since)
        reviews = reviews.filter(published_at__gte=since)
    return {"orders_completed": orders.count(), "good_reviews": reviews.count()}
