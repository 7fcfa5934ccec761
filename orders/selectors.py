"""Reads for orders: a member's orders, money held and owed, what the timeouts have to do next."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from community.models import Member, Role
from listings.models import Listing, ListingKind, ListingStatus
from orders.bookings import booking_window_problems
from orders.models import (
    RELEASED_HOLD_STATES,
    AccountKind,
    CancelledBy,
    Dispute,
    DisputeEvidence,
    DisputeMessage,
    DisputeStatus,
    Entry,
    GatewayCallStatus,
    Order,
    OrderEvent,
    OrderReminder,
    OrderState,
    Payout,
    Refund,
    Review,
    ReviewRole,
    SettlementProposal,
    TransactionKind,
)
from orders.policies import buyer_refund_amount
from orders.pricing import Quote, price_quote, ratio_of
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


def orders_of_member(*, member: Member) -> QuerySet[Order]:
    """Orders the member bought or sold."""
    return Order.objects.filter(Q(buyer=member) | Q(seller=member))


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


def cancellation_refund(*, order: Order, role: str, held: int, now: datetime | None = None) -> int:
    """What the buyer gets back if `role` (buyer or seller) cancels the order now: everything when the seller
    cancels or before the order is paid or accepted; otherwise what the cancellation policy says (orders.policies),
    never more than escrow holds. Shown before the cancellation is confirmed, and used by `order_cancel`."""
    if role == CancelledBy.SELLER or order.state in {OrderState.PENDING_PAYMENT, OrderState.REQUESTED}:
        return held
    policy_refund = buyer_refund_amount(
        total=order.total,
        policy=order.cancellation_policy,
        kind=order.kind,
        now=now or timezone.now(),
        starts_at=order.starts_at,
        delivered=order.fulfilled_at is not None,
    )
    return min(held, policy_refund)


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


# --- Checkout -------------------------------------------------------------------------------------------------


def listing_for_checkout(*, listing_id: int) -> Listing:
    """A published listing with what its checkout page shows (the seller, the weekly plan, blocked dates)."""
    listing = (
        Listing.objects.select_related("seller__profile", "category")
        .prefetch_related("availability_rules", "availability_exceptions")
        .filter(pk=listing_id, status=ListingStatus.PUBLISHED)
        .first()
    )
    if listing is None:
        raise Http404
    return listing


def checkout_quote(
    *,
    listing: Listing,
    buyer: Member,
    quantity: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
) -> Quote:
    """The price (orders.pricing.price_quote), after checking that it can be had now: enough stock, or a booking
    inside the listing's availability that does not overlap a taken slot. Checkout checks all of it again under a
    lock; this tells the buyer before they pay."""
    quote = price_quote(listing=listing, quantity=quantity, start=start, end=end, buyer=buyer)
    if listing.kind == ListingKind.ITEM:
        if listing.quantity < quote.quantity:
            raise ValidationError(
                {
                    "quantity": [
                        _("Sorry, this is sold out.")
                        if listing.quantity == 0
                        else _("Only %(n)s left.") % {"n": listing.quantity}
                    ]
                }
            )
        return quote
    assert start is not None and end is not None
    problems = booking_window_problems(listing=listing, start=start, end=end, now=now or timezone.now())
    if problems:
        raise ValidationError(problems)
    if quote.quantity > listing.capacity:
        raise ValidationError({"quantity": [_("At most %(n)s places.") % {"n": listing.capacity}]})
    booked = sum(places for _start, _end, places in booking_busy_ranges(listing=listing, start=start, end=end))
    if booked + quote.quantity > listing.capacity:
        raise ValidationError({"start": [_("These times are already booked. Choose other times.")]})
    return quote


# --- Order pages: tabs, what each party can do, receipts and statements -------------------------------------

SELLER_TABS: dict[str, tuple[str, ...]] = {
    "action": (OrderState.REQUESTED, OrderState.PAID, OrderState.DISPUTED),
    "waiting": (OrderState.PENDING_PAYMENT, OrderState.ACCEPTED, OrderState.FULFILLED, OrderState.COMPLETED),
    "done": (OrderState.RELEASED, OrderState.RESOLVED),
    "cancelled": (OrderState.DECLINED, OrderState.EXPIRED, OrderState.CANCELLED),
}


def order_list_queryset(queryset: QuerySet[Order]) -> QuerySet[Order]:
    """What an order list shows, in a fixed number of queries whatever the number of orders."""
    return queryset.select_related("listing", "buyer__profile", "seller__profile", "dispute")


def orders_of_seller_counts(*, seller: Member) -> dict[str, int]:
    """How many of the seller's orders each tab of SELLER_TABS holds (and "" for all), in one query."""
    rows = dict(
        Order.objects.filter(seller=seller).values("state").annotate(n=Count("pk")).order_by().values_list("state", "n")
    )
    counts = {tab: sum(rows.get(state, 0) for state in states) for tab, states in SELLER_TABS.items()}
    counts[""] = sum(rows.values())
    return counts


def order_for_party(*, order_id: int, member: Member) -> Order:
    """By primary key (the API): an order its buyer or seller may see; anyone else gets a 404."""
    order = (
        Order.objects.select_related("listing", "buyer__profile", "seller__profile")
        .filter(Q(buyer=member) | Q(seller=member), pk=order_id)
        .first()
    )
    if order is None:
        raise Http404
    return order


def order_role(*, order: Order, member: Member) -> str:
    if member.pk == order.buyer_id:
        return CancelledBy.BUYER
    if member.pk == order.seller_id:
        return CancelledBy.SELLER
    raise Http404


def order_actions(*, order: Order, member: Member, now: datetime | None = None) -> list[str]:
    """What the member can do with the order now: the buttons of the order page and the API's `actions`. The
    services check all of it again; this only decides what to offer."""
    now = now or timezone.now()
    role = order_role(order=order, member=member)
    state = order.state
    actions: list[str] = []
    if role == CancelledBy.BUYER:
        if state == OrderState.PENDING_PAYMENT:
            actions.append("authenticate" if order.charge_reference else "pay")
        if state == OrderState.FULFILLED:
            actions.append("confirm")
        if state in {OrderState.PENDING_PAYMENT, OrderState.REQUESTED, OrderState.ACCEPTED, OrderState.PAID}:
            actions.append("cancel")
        if state in {OrderState.PAID, OrderState.FULFILLED}:
            actions.append("dispute")
    else:
        if state == OrderState.REQUESTED and not (order.respond_by and order.respond_by < now):
            actions += ["accept", "decline"]
        if state == OrderState.PAID and (
            order.kind == ListingKind.ITEM or (order.ends_at is not None and order.ends_at <= now)
        ):
            actions.append("fulfil")
        if state in {OrderState.PAID, OrderState.ACCEPTED}:
            actions.append("cancel")
        if state in {OrderState.PAID, OrderState.FULFILLED}:
            actions.append("refund")
    if state in {OrderState.COMPLETED, OrderState.RELEASED} and order.completed_at:
        from orders.reviews import REVIEW_WINDOW

        written = {review.author_role for review in order.reviews.all()}
        if role not in written and now <= order.completed_at + REVIEW_WINDOW:
            actions.append("review")
    return actions


@dataclass(frozen=True)
class OrderStatement:
    """An order's money, as agreed at checkout and as it actually moved (from the ledger), for one party."""

    currency: str
    subtotal: int
    buyer_fee: int
    total: int
    commission: int
    seller_net: int
    paid: int
    refunded: int
    held: int
    released: int
    commission_kept: int  # the part of the platform's release that is commission (not the buyer's fee)
    to_member: int  # released into this member's balance

    @property
    def net_paid(self) -> int:
        """What the buyer paid after refunds."""
        return self.paid - self.refunded


def order_statement(*, order: Order, member: Member | None = None) -> OrderStatement:
    rows = (
        Entry.objects.filter(transaction__order=order)
        .values("transaction__kind", "account__kind", "account__owner_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    paid = refunded = released = platform = to_member = held = 0
    for row in rows:
        kind, account_kind, total = row["transaction__kind"], row["account__kind"], row["total"]
        if account_kind == AccountKind.ESCROW:
            held += total
            if kind == TransactionKind.CHARGE:
                paid += total
            elif kind == TransactionKind.REFUND:
                refunded -= total
            elif kind == TransactionKind.RELEASE:
                released -= total
        elif kind == TransactionKind.RELEASE and account_kind == AccountKind.PLATFORM_REVENUE:
            platform += total
        elif (
            kind == TransactionKind.RELEASE
            and account_kind == AccountKind.SELLER_PAYABLE
            and member is not None
            and row["account__owner_id"] == member.pk
        ):
            to_member += total
    commission_kept = ratio_of(platform, order.commission, order.platform_amount) if order.platform_amount else 0
    return OrderStatement(
        currency=order.currency,
        subtotal=order.subtotal,
        buyer_fee=order.buyer_fee,
        total=order.total,
        commission=order.commission,
        seller_net=order.seller_net,
        paid=paid,
        refunded=refunded,
        held=held,
        released=released,
        commission_kept=commission_kept,
        to_member=to_member,
    )


# --- The seller's money page --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SellerMoney:
    currency: str
    held: int  # the seller's share (after commission) of what escrow holds for their open orders
    available: int  # released, not yet paid out
    paid_out: int


def seller_money(*, seller: Member) -> list[SellerMoney]:
    """Held, available and paid out per currency: three sums from the ledger, whatever the number of orders."""
    held: dict[str, int] = {}
    rows = (
        Entry.objects.filter(account__kind=AccountKind.ESCROW, account__order__seller=seller)
        .values("account__order_id", "account__currency", "account__order__seller_net", "account__order__total")
        .annotate(held=Sum("amount"))
        .filter(held__gt=0)
        .order_by()
    )
    for row in rows:
        share = ratio_of(row["held"], row["account__order__seller_net"], row["account__order__total"])
        held[row["account__currency"]] = held.get(row["account__currency"], 0) + share
    balances = {balance.currency: balance for balance in seller_balances(seller=seller)}
    return [
        SellerMoney(
            currency=currency,
            held=held.get(currency, 0),
            available=balances[currency].available if currency in balances else 0,
            paid_out=balances[currency].paid_out if currency in balances else 0,
        )
        for currency in sorted(set(held) | set(balances))
    ]


def seller_tax_years(*, seller: Member) -> list[int]:
    """Years in which the seller was paid for orders, newest first."""
    days = Order.objects.filter(seller=seller, released_at__isnull=False).dates("released_at", "year")
    return sorted({day.year for day in days}, reverse=True)


@dataclass(frozen=True)
class TaxRow:
    released_on: date
    reference: str
    listing: str
    currency: str
    gross: int  # what the sale earned before commission: net + commission kept
    fees: int  # commission kept by Guildhall
    refunded: int  # back to the buyer
    net: int  # paid into the seller's balance


EMPTY_TAX_BUCKET = {"refunded": 0, "platform": 0, "net": 0, "payees": 0}


def seller_tax_rows(*, seller: Member, year: int, chunk: int = 500) -> Iterator[TaxRow]:
    """One row per order released to the seller in `year` (UTC), oldest first, read in chunks so a long year
    streams in constant memory: two queries per chunk."""
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    orders = (
        Order.objects.filter(seller=seller, released_at__gte=start, released_at__lt=end)
        .order_by("released_at", "pk")
        .values_list("pk", "reference", "listing__title", "currency", "commission", "buyer_fee", "released_at")
    )
    last = None
    while True:
        page = orders.filter(Q(released_at__gt=last[0]) | Q(released_at=last[0], pk__gt=last[1])) if last else orders
        batch = list(page[:chunk])
        if not batch:
            return
        last = (batch[-1][6], batch[-1][0])
        sums: dict[int, dict[str, int]] = {}
        for row in (
            Entry.objects.filter(transaction__order_id__in=[order[0] for order in batch])
            .filter(
                Q(account__kind=AccountKind.ESCROW, transaction__kind=TransactionKind.REFUND)
                | Q(account__kind=AccountKind.PLATFORM_REVENUE, transaction__kind=TransactionKind.RELEASE)
                | Q(account__kind=AccountKind.SELLER_PAYABLE, transaction__kind=TransactionKind.RELEASE)
            )
            .values("transaction__order_id", "account__kind", "account__owner_id")
            .annotate(total=Sum("amount"))
            .order_by()
        ):
            bucket = sums.setdefault(row["transaction__order_id"], dict(EMPTY_TAX_BUCKET))
            if row["account__kind"] == AccountKind.ESCROW:
                bucket["refunded"] -= row["total"]
            elif row["account__kind"] == AccountKind.PLATFORM_REVENUE:
                bucket["platform"] += row["total"]
            else:
                bucket["payees"] += row["total"]
                if row["account__owner_id"] == seller.pk:
                    bucket["net"] += row["total"]
        for pk, reference, title, currency, commission, buyer_fee, released_at in batch:
            bucket = sums.get(pk, EMPTY_TAX_BUCKET)
            platform_amount = commission + buyer_fee
            fees = ratio_of(bucket["platform"], commission, platform_amount) if platform_amount else 0
            yield TaxRow(
                released_on=released_at.date(),
                reference=str(reference),
                listing=title,
                currency=currency,
                gross=bucket["payees"] + fees,
                fees=fees,
                refunded=bucket["refunded"],
                net=bucket["net"],
            )


# --- Disputes -------------------------------------------------------------------------------------------------


def dispute_for_order(*, order: Order) -> Dispute | None:
    """The order's dispute with its conversation, evidence and proposals (a fixed number of queries)."""
    return (
        Dispute.objects.filter(order=order)
        .select_related("decided_by__profile")
        .prefetch_related(
            Prefetch("messages", queryset=DisputeMessage.objects.select_related("author__profile")),
            Prefetch("evidence", queryset=DisputeEvidence.objects.select_related("uploaded_by__profile")),
            Prefetch("proposals", queryset=SettlementProposal.objects.select_related("proposed_by__profile")),
        )
        .first()
    )


def evidence_for_member(*, evidence_id: int, member: Member) -> DisputeEvidence:
    """A dispute's file for its two parties and for moderators; anyone else is told it does not exist."""
    evidence = DisputeEvidence.objects.select_related("dispute__order").filter(pk=evidence_id).first()
    if evidence is None or not member.is_authenticated:
        raise Http404
    order = evidence.dispute.order
    if member.pk not in (order.buyer_id, order.seller_id) and not (member.is_staff or member.has_role(Role.MODERATOR)):
        raise Http404
    return evidence


def disputes_due_to_escalate(*, now: datetime | None = None) -> list[int]:
    """Order ids of open disputes the seller did not answer in time, or the parties did not settle in time."""
    now = now or timezone.now()
    return list(
        Dispute.objects.filter(status=DisputeStatus.OPEN)
        .filter(Q(seller_responded_at__isnull=True, respond_by__lte=now) | Q(settle_by__lte=now))
        .order_by("pk")
        .values_list("order_id", flat=True)[:500]
    )


# --- Reviews --------------------------------------------------------------------------------------------------

REVIEWS_SHOWN = 20


def _reviews_visible(now: datetime | None = None) -> QuerySet[Review]:
    """Reviews anyone may read: past `visible_from`. Hidden ones stay listed, with the moderator's reason in
    place of their text (the template shows which)."""
    return Review.objects.filter(visible_from__lte=now or timezone.now()).select_related(
        "author__profile", "subject__profile", "listing"
    )


def reviews_for_listing(listing: Listing, *, limit: int = REVIEWS_SHOWN) -> list[Review]:
    """Buyers' reviews of orders for the listing, newest first (the listing page's reviews partial)."""
    return list(_reviews_visible().filter(listing=listing, author_role=ReviewRole.BUYER)[:limit])


def reviews_for_member(member: Member, *, limit: int = REVIEWS_SHOWN) -> list[Review]:
    """Reviews about the member, as a seller and as a buyer, newest first (the profile's reviews partial)."""
    return list(_reviews_visible().filter(subject=member)[:limit])


@dataclass(frozen=True)
class OrderReviews:
    mine: Review | None
    theirs: Review | None  # None until it is visible
    theirs_written: bool  # the other side has written theirs (without showing it)
    closes_at: datetime | None


def order_reviews(*, order: Order, member: Member, now: datetime | None = None) -> OrderReviews:
    from orders.reviews import review_window_closes_at

    now = now or timezone.now()
    role = order_role(order=order, member=member)
    mine = theirs = None
    for review in order.reviews.select_related("author__profile", "subject__profile"):
        if review.author_role == role:
            mine = review
        else:
            theirs = review
    return OrderReviews(
        mine=mine,
        theirs=theirs if theirs is not None and theirs.visible_from <= now else None,
        theirs_written=theirs is not None,
        closes_at=review_window_closes_at(order),
    )
