"""Writes for reviews: two-way, once per side, after a completed order.

The rules:
- Only an order that completed (and so released its money) can be reviewed, by its buyer (of the seller) and its
  seller (of the buyer), once each, within `REVIEW_WINDOW` of completion.
- Neither side sees the other's review before both are in or the window closes (`Review.visible_from`), so
  nobody writes in answer to the other.
- A review is never edited or deleted. The reviewed member may reply once; a moderator may hide an abusive
  review, and the reason is shown in its place.
- The seller's rating (their profile) and the listing's are the average of the visible, not hidden reviews
  written by buyers. They are stored by `community.services.profile_rating_set` and
  `listings.services.listing_rating_set` whenever such a review becomes visible or is hidden; a review that
  becomes visible because the window closed is counted by the beat task `reviews_publish_due`.

Each service locks the order row first, as the order services do, so the two sides writing at once cannot both
believe they are first.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Avg, Count
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from community.models import Member, Role
from community.notifications.services import notification_send
from community.services import profile_rating_set
from listings.services import listing_rating_set
from orders.models import Order, OrderState, Review, ReviewRole
from orders.services import _notify, _order_locked, _order_url, _role_of
from orders.signals import review_published

REVIEW_WINDOW = timedelta(days=14)
REVIEWABLE_STATES = frozenset({OrderState.COMPLETED, OrderState.RELEASED})
REVIEW_TEXT_MAX_CHARS = 2_000
REPLY_MAX_CHARS = 1_000


def review_window_closes_at(order: Order) -> datetime | None:
    return order.completed_at + REVIEW_WINDOW if order.completed_at else None


def _rating_clean(rating) -> int:
    if isinstance(rating, str) and rating.strip().isdigit():
        rating = int(rating.strip())
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise ValidationError({"rating": [_("Give a rating from 1 to 5 stars.")]})
    return rating


def _text_clean(text: str, *, field: str, limit: int) -> str:
    text = (text or "").strip()
    if len(text) > limit:
        raise ValidationError({field: [_("Keep it under %(limit)s characters.") % {"limit": f"{limit:,}"}]})
    return text


@transaction.atomic
def review_create(*, order_id: int, author: Member, rating: int, text: str = "") -> Review:
    """The buyer reviews the seller, or the seller the buyer. The second review of an order makes both visible
    at once; the first waits for it, or for the window to close."""
    order = _order_locked(order_id)
    role = _role_of(order, author)  # strangers: 404
    now = timezone.now()
    if order.state not in REVIEWABLE_STATES or order.completed_at is None:
        raise ValidationError({"state": [_("You can review an order once it is complete.")]})
    closes_at = review_window_closes_at(order)
    if closes_at is not None and now > closes_at:
        raise ValidationError({"state": [_("The time to review this order has passed.")]})
    rating = _rating_clean(rating)
    text = _text_clean(text, field="text", limit=REVIEW_TEXT_MAX_CHARS)
    author_role = ReviewRole.BUYER if role == "buyer" else ReviewRole.SELLER
    reviews = {review.author_role: review for review in Review.objects.select_for_update().filter(order=order)}
    if author_role in reviews:
        raise ValidationError({"state": [_("You have already reviewed this order.")]})
    other = reviews.get(ReviewRole.SELLER if author_role == ReviewRole.BUYER else ReviewRole.BUYER)
    review = Review.objects.create(
        order=order,
        listing_id=order.listing_id,
        author=author,
        subject_id=order.seller_id if author_role == ReviewRole.BUYER else order.buyer_id,
        author_role=author_role,
        rating=rating,
        text=text,
        visible_from=now if other is not None else closes_at,
    )
    if other is not None:
        other.visible_from = now
        other.save(update_fields=["visible_from"])
        _publish([review, other], now=now)
    _notify(order, "review_received", "seller" if author_role == ReviewRole.BUYER else "buyer")
    return review


@transaction.atomic
def review_reply(*, review_id: int, member: Member, text: str) -> Review:
    """The reviewed member answers a visible review, once; the reply cannot be changed afterwards."""
    review = _review_locked(review_id, member)
    if review.subject_id != member.pk:
        raise PermissionDenied(_("Only the member who was reviewed can reply."))
    if review.visible_from > timezone.now():
        raise ValidationError({"state": [_("You can reply once the review is published.")]})
    if review.hidden_at is not None:
        raise ValidationError({"state": [_("A moderator hid this review: it cannot be replied to.")]})
    if review.replied_at is not None:
        raise ValidationError({"state": [_("You have already replied to this review.")]})
    text = _text_clean(text, field="reply", limit=REPLY_MAX_CHARS)
    if not text:
        raise ValidationError({"reply": [_("Write your reply.")]})
    review.reply = text
    review.replied_at = timezone.now()
    review.save(update_fields=["reply", "replied_at"])
    return review


@transaction.atomic
def review_hide(*, review_id: int, moderator: Member, reason: str) -> Review:
    """A moderator hides an abusive review. The reason is shown in its place; the ratings no longer count it."""
    if not (moderator.is_staff or moderator.has_role(Role.MODERATOR)):
        raise PermissionDenied(_("Only moderators hide reviews."))
    review = Review.objects.select_for_update().filter(pk=review_id).first()
    if review is None:
        raise Http404
    reason = _text_clean(reason, field="reason", limit=REPLY_MAX_CHARS)
    if not reason:
        raise ValidationError({"reason": [_("Say why the review is hidden: both parties see it.")]})
    if review.hidden_at is not None:
        raise ValidationError({"state": [_("This review is already hidden.")]})
    review.hidden_at = timezone.now()
    review.hidden_reason = reason
    review.hidden_by = moderator
    review.save(update_fields=["hidden_at", "hidden_reason", "hidden_by"])
    if review.published_at is not None and review.author_role == ReviewRole.BUYER:
        _ratings_refresh(seller_ids={review.subject_id}, listing_ids={review.listing_id})
    notification_send(
        member=review.author,
        kind="moderation",
        text=_("A moderator hid your review: %(reason)s") % {"reason": reason},
        url=_order_url(review.order),
    )
    return review


@transaction.atomic
def reviews_publish_due(*, now: datetime | None = None) -> int:
    """Counts in the ratings the reviews whose window closed without the other side's review (beat task)."""
    now = now or timezone.now()
    due = list(
        Review.objects.select_for_update().filter(published_at__isnull=True, visible_from__lte=now).order_by("pk")[:500]
    )
    _publish(due, now=now)
    return len(due)


def _review_locked(review_id: int, member: Member) -> Review:
    order_id = Review.objects.filter(pk=review_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise Http404
    order = _order_locked(order_id)
    _role_of(order, member)  # strangers: 404
    return Review.objects.select_for_update().select_related("order").get(pk=review_id)


def _publish(reviews: list[Review], *, now: datetime) -> None:
    if not reviews:
        return
    Review.objects.filter(pk__in=[review.pk for review in reviews]).update(published_at=now)
    published = list(reviews)
    transaction.on_commit(lambda: review_published.send(sender=Review, reviews=published))
    counted = [review for review in reviews if review.author_role == ReviewRole.BUYER and review.hidden_at is None]
    _ratings_refresh(
        seller_ids={review.subject_id for review in counted}, listing_ids={review.listing_id for review in counted}
    )


def _average(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _ratings_refresh(*, seller_ids: set[int], listing_ids: set[int]) -> None:
    """Recomputes the stored averages from the reviews that count: published, not hidden, written by buyers."""
    counted = Review.objects.filter(author_role=ReviewRole.BUYER, published_at__isnull=False, hidden_at__isnull=True)
    by_seller = {
        row["subject_id"]: row
        for row in counted.filter(subject_id__in=seller_ids)
        .values("subject_id")
        .annotate(average=Avg("rating"), count=Count("pk"))
        .order_by()
    }
    for member in Member.objects.filter(pk__in=seller_ids):
        row = by_seller.get(member.pk)
        profile_rating_set(
            member=member, average=_average(row["average"]) if row else None, count=row["count"] if row else 0
        )
    by_listing = {
        row["listing_id"]: row
        for row in counted.filter(listing_id__in=listing_ids)
        .values("listing_id")
        .annotate(average=Avg("rating"), count=Count("pk"))
        .order_by()
    }
    for listing_id in listing_ids:
        row = by_listing.get(listing_id)
        listing_rating_set(
            listing_id=listing_id,
            average=_average(row["average"]) if row else None,
            count=row["count"] if row else 0,
        )
