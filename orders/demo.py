"""Demo orders for `seed_demo`: orders in every state that lasts between the demo members, with reviews, a payout,
an open dispute and one a moderator decided.

Everything goes through orders.services and orders.reviews with the offline gateway's test cards, so the demo's
books balance like real ones. Times that must lie in the past (a booking that has ended, a request nobody answered)
are moved on the order row before the service that needs them runs. `accepted` and `completed` are passing states
(an accepted request is paid at once; a completed order is released at once): they show in timelines only.

Idempotent: a database that already holds an order between two demo members is left as it is.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from community.models import Member
from listings.models import Listing, ListingKind, ListingStatus, PriceUnit
from listings.services import listing_update
from orders import reviews, selectors, services
from orders.bookings import listing_timezone
from orders.gateways.offline import CARD_SUCCEEDS
from orders.models import GatewayCallStatus, Order, Payout, Refund

DEMO_DOMAIN = "demo.guildhall.test"
SEARCH_DAYS = 60


def _member(local: str) -> Member | None:
    return Member.objects.filter(email=f"{local}@{DEMO_DOMAIN}").first()


def _items(seller: Member) -> list[Listing]:
    return list(
        Listing.objects.filter(
            seller=seller, kind=ListingKind.ITEM, status=ListingStatus.PUBLISHED, quantity__gte=1
        ).order_by("-quantity", "pk")
    )


def _bookables(seller: Member) -> list[Listing]:
    return list(
        Listing.objects.filter(seller=seller, kind=ListingKind.BOOKING, status=ListingStatus.PUBLISHED)
        .exclude(price_unit=PriceUnit.NIGHT)
        .prefetch_related("availability_rules", "availability_exceptions")
        .order_by("pk")
    )


def _free_slot(listing: Listing, buyer: Member, *, after_days: int = 2) -> tuple[datetime, datetime] | None:
    """The first hour (or the first opening's whole window, for day rentals) that can be booked."""
    tz = listing_timezone(listing)
    rules = sorted(listing.availability_rules.all(), key=lambda rule: (rule.weekday, rule.start_time))
    today = timezone.now().astimezone(tz).date()
    for offset in range(after_days, SEARCH_DAYS):
        day = today + timedelta(days=offset)
        for rule in rules:
            if rule.weekday != day.weekday():
                continue
            start = datetime.combine(day, rule.start_time, tzinfo=tz)
            if listing.price_unit == PriceUnit.HOUR:
                end = start + timedelta(hours=1)
            else:
                end = datetime.combine(day, rule.end_time, tzinfo=tz)
            try:
                selectors.checkout_quote(listing=listing, buyer=buyer, start=start, end=end)
            except ValidationError:
                continue
            return start, end
    return None


def _buy(buyer: Member, listing: Listing, *, pay: bool = True) -> Order:
    return services.order_create(
        buyer=buyer, listing_id=listing.pk, quantity=1, payment_method=CARD_SUCCEEDS if pay else None
    )


def _book(buyer: Member, listing: Listing) -> Order | None:
    slot = _free_slot(listing, buyer)
    if slot is None:
        return None
    return services.order_create(
        buyer=buyer, listing_id=listing.pk, start=slot[0], end=slot[1], payment_method=CARD_SUCCEEDS
    )


def _released(order: Order) -> Order:
    if order.kind == ListingKind.BOOKING:
        ended = timezone.now() - timedelta(days=2)
        Order.objects.filter(pk=order.pk).update(starts_at=ended - (order.ends_at - order.starts_at), ends_at=ended)
        services.order_fulfil(order_id=order.pk)
    else:
        services.order_fulfil(order_id=order.pk, actor=order.seller)
    return services.order_complete(order_id=order.pk, actor=order.buyer)


def _has_demo_orders(members: list[Member]) -> bool:
    return Order.objects.filter(Q(buyer__in=members) & Q(seller__in=members)).exists()


def _item_scenarios(buyer: Member, seller: Member, moderator: Member | None) -> int:
    items = _items(seller)
    if not items:
        return 0

    def listing(n: int) -> Listing:
        """The n-th item, or the next one that still has stock."""
        for step in range(len(items)):
            candidate = items[(n + step) % len(items)]
            candidate.refresh_from_db(fields=["quantity"])
            if candidate.quantity >= 1:
                return candidate
        raise ValidationError("The demo sellers' items are sold out.")

    created = 0
    # Released, reviewed by both, with the seller's reply.
    order = _released(_buy(buyer, listing(0)))
    review = reviews.review_create(
        order_id=order.pk,
        author=buyer,
        rating=5,
        text="Beautifully made and packed with care. It arrived two days after I ordered.",
    )
    reviews.review_create(order_id=order.pk, author=seller, rating=5, text="Quick to pay and lovely to deal with.")
    reviews.review_reply(review_id=review.pk, member=seller, text="Thank you, Bea! Enjoy it.")
    # Released, reviewed by the buyer only: hidden until the seller reviews or the window closes.
    order = _released(_buy(buyer, listing(1)))
    reviews.review_create(
        order_id=order.pk, author=buyer, rating=4, text="Lovely glaze, a little smaller than I hoped."
    )
    # Delivered, waiting for the buyer to confirm.
    order = _buy(buyer, listing(2))
    services.order_fulfil(order_id=order.pk, actor=seller)
    # Paid, for the seller to send.
    _buy(buyer, listing(3))
    # Waiting for payment.
    _buy(buyer, listing(4), pay=False)
    # Cancelled by the buyer before it was sent: refunded in full.
    order = _buy(buyer, listing(5))
    services.order_cancel(order_id=order.pk, actor=buyer, note="Ordered the wrong colour, sorry.")
    # An open dispute: the buyer reports damage, the seller answers and offers a partial refund.
    order = _buy(buyer, listing(6))
    services.order_fulfil(order_id=order.pk, actor=seller)
    services.order_dispute_open(
        order_id=order.pk,
        buyer=buyer,
        category="damaged",
        note="The handle came off in the box. The rest is fine.",
    )
    services.dispute_message_add(
        order_id=order.pk, author=seller, body="So sorry! Could you keep it and take part of the price back?"
    )
    services.dispute_proposal_create(
        order_id=order.pk, member=seller, refund_amount=order.total // 3, note="A third back for the handle."
    )
    created += 7
    # A dispute a moderator decided: half back, with the reasons.
    if moderator is not None:
        order = _buy(buyer, listing(7))
        services.order_fulfil(order_id=order.pk, actor=seller)
        services.order_dispute_open(
            order_id=order.pk, buyer=buyer, category="not_as_described", note="The colour is nothing like the photos."
        )
        services.dispute_message_add(order_id=order.pk, author=seller, body="It is the same glaze; screens differ.")
        services.dispute_escalate(order_id=order.pk, actor=buyer)
        services.order_dispute_resolve(
            order_id=order.pk,
            moderator=moderator,
            refund_amount=order.total // 2,
            note="The photos were taken in warm light and the listing does not say so: half back, and the buyer "
            "keeps the item.",
        )
        created += 1
    return created


def _booking_scenarios(buyer: Member, seller: Member) -> int:
    bookables = _bookables(seller)
    if not bookables:
        return 0
    instant, request = bookables[0], bookables[-1]
    created = 0
    # An upcoming instant booking, paid.
    if _book(buyer, instant):
        created += 1
    # A booking that took place, was released and reviewed by both.
    order = _book(buyer, instant)
    if order is not None:
        order = _released(order)
        reviews.review_create(order_id=order.pk, author=buyer, rating=5, text="Patient teacher, great afternoon.")
        reviews.review_create(order_id=order.pk, author=seller, rating=5, text="On time and keen to learn.")
        created += 1
    # Requests to book: one waiting for the seller, one declined, one nobody answered.
    if len(bookables) > 1 and request.instant_book:
        listing_update(listing_id=request.pk, seller=seller, data={"instant_book": False})
        request.refresh_from_db()
    if not request.instant_book:
        if _book(buyer, request):
            created += 1
        order = _book(buyer, request)
        if order is not None:
            services.order_decline(order_id=order.pk, seller=seller, note="I am away that week, sorry.")
            created += 1
        order = _book(buyer, request)
        if order is not None:
            Order.objects.filter(pk=order.pk).update(respond_by=timezone.now() - timedelta(minutes=1))
            services.order_expire(order_id=order.pk)
            created += 1
    return created


def _gateway_calls_settle() -> None:
    """Sends the refunds and payouts the seed booked (a worker would, after commit)."""
    for refund_id in Refund.objects.filter(status=GatewayCallStatus.PENDING).values_list("pk", flat=True):
        transaction.on_commit(lambda refund_id=refund_id: services.refund_send(refund_id=refund_id))
    for payout_id in Payout.objects.filter(status=GatewayCallStatus.PENDING).values_list("pk", flat=True):
        transaction.on_commit(lambda payout_id=payout_id: services.payout_send(payout_id=payout_id))


@transaction.atomic
def seed_orders() -> int:
    """Adds the demo orders (see the module docstring); returns how many it created."""
    buyer, seller, seller2, moderator = (_member(local) for local in ("buyer", "seller", "seller2", "moderator"))
    members = [member for member in (buyer, seller, seller2, moderator) if member is not None]
    if buyer is None or seller is None or _has_demo_orders(members):
        return 0
    created = _item_scenarios(buyer, seller, moderator)
    created += _booking_scenarios(buyer, seller)
    if seller2 is not None:
        created += _booking_scenarios(buyer, seller2)
        # Another buyer for the first seller, released, so a payout has something to pay.
        items = _items(seller)
        if items:
            _released(_buy(seller2, items[-1]))
            created += 1
    with suppress(ValidationError):  # below the minimum: nothing to pay out yet
        services.payout_create(seller=seller)
    _gateway_calls_settle()
    return created
