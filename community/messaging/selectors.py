"""Reads for private messaging. A conversation, its messages and attachments exist only for its members: everyone
else is told they do not exist (404)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.module_loading import import_string

from community.models import (
    Conversation,
    ConversationMember,
    Member,
    Message,
    MessageAttachment,
    Verification,
    VerificationStatus,
)

DEFAULT_PAID_ORDER_CHECK = "community.messaging.selectors.paid_order_never"
DEFAULT_ORDER_PARTIES = "community.messaging.selectors.order_parties_unknown"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PAGE_MESSAGES = 50
# How long an open conversation page counts as present without a sign of life (a crashed server never says bye).
PRESENCE_TTL_SECONDS = 15 * 60


# --- What the orders app tells us (pluggable, so community does not import orders) -----------------------------


def paid_order_never(*, buyer_id: int, seller_id: int) -> bool:
    """The default until settings.MESSAGING_PAID_ORDER_CHECK points at orders.selectors.paid_order_exists."""
    return False


def order_parties_unknown(*, order_ref: int) -> tuple[int, int] | None:
    """The default until settings.MESSAGING_ORDER_PARTIES points at the orders app: no order is known."""
    return None


def paid_order_between(*, member_id: int, other_id: int) -> bool:
    """Whether either member has paid the other for an order; contact details then pass unmasked."""
    check: Callable[..., bool] = import_string(
        getattr(settings, "MESSAGING_PAID_ORDER_CHECK", DEFAULT_PAID_ORDER_CHECK)
    )
    return bool(check(buyer_id=member_id, seller_id=other_id) or check(buyer_id=other_id, seller_id=member_id))


def order_parties(*, order_ref: int) -> tuple[int, int] | None:
    """(buyer id, seller id) of an order, or None when there is no such order."""
    lookup: Callable[..., tuple[int, int] | None] = import_string(
        getattr(settings, "MESSAGING_ORDER_PARTIES", DEFAULT_ORDER_PARTIES)
    )
    return lookup(order_ref=order_ref)


# --- Conversations ---------------------------------------------------------------------------------------------


def _approved_badges(path: str) -> Prefetch:
    return Prefetch(
        path,
        queryset=Verification.objects.filter(status=VerificationStatus.APPROVED).only("id", "member_id", "kind"),
        to_attr="approved_verifications",
    )


def conversations_with_people() -> QuerySet[Conversation]:
    """Conversations with both members, their badges, the listing and the last message, in a fixed number of
    queries."""
    return Conversation.objects.select_related(
        "listing", "last_message", "member_low__profile", "member_high__profile"
    ).prefetch_related(_approved_badges("member_low__verifications"), _approved_badges("member_high__verifications"))


def conversation_for_member(*, conversation_id: int, member: Member) -> Conversation:
    """A conversation the member takes part in; for anyone else it does not exist."""
    if not getattr(member, "is_authenticated", False):
        raise Http404
    conversation = (
        conversations_with_people()
        .filter(pk=conversation_id)
        .filter(Q(member_low_id=member.pk) | Q(member_high_id=member.pk))
        .first()
    )
    if conversation is None:
        raise Http404
    return conversation


def conversation_is_member(*, conversation_id: int, member_id: int) -> bool:
    return ConversationMember.objects.filter(conversation_id=conversation_id, member_id=member_id).exists()


def conversation_membership(*, conversation: Conversation, member: Member) -> ConversationMember:
    return ConversationMember.objects.get(conversation=conversation, member=member)


def conversation_find(
    *, member_id: int, other_id: int, listing_id: int | None = None, order_ref: int | None = None
) -> Conversation | None:
    """The one thread for an order, or for the pair and listing (or the pair alone)."""
    if order_ref is not None:
        return Conversation.objects.filter(order_ref=order_ref).first()
    low, high = sorted((member_id, other_id))
    return Conversation.objects.filter(
        member_low_id=low, member_high_id=high, listing_id=listing_id, order_ref__isnull=True
    ).first()


@dataclass(frozen=True)
class InboxRow:
    conversation: Conversation
    other: Member
    unread: int
    muted: bool


def _unread_subquery() -> Subquery:
    unread = (
        Message.objects.filter(conversation_id=OuterRef("conversation_id"))
        .exclude(sender_id=OuterRef("member_id"))
        .filter(created_at__gt=Coalesce(OuterRef("last_read_at"), Value(EPOCH)))
        .order_by()
        .values("conversation_id")
        .annotate(count=Count("id"))
        .values("count")
    )
    return Subquery(unread, output_field=IntegerField())


def inbox(*, member: Member) -> QuerySet[ConversationMember]:
    """The member's conversations, latest activity first, each with its unread count; a page of any size costs the
    same queries (see `inbox_rows`)."""
    return (
        ConversationMember.objects.filter(member=member)
        .select_related(
            "conversation__listing",
            "conversation__last_message",
            "conversation__member_low__profile",
            "conversation__member_high__profile",
        )
        .prefetch_related(
            "conversation__last_message__attachments",
            _approved_badges("conversation__member_low__verifications"),
            _approved_badges("conversation__member_high__verifications"),
        )
        .annotate(unread=Coalesce(_unread_subquery(), 0))
        .order_by(F("conversation__last_message_at").desc(nulls_last=True), "-conversation_id")
    )


def inbox_rows(memberships) -> list[InboxRow]:
    return [
        InboxRow(
            conversation=membership.conversation,
            other=membership.conversation.other_member(membership.member_id),
            unread=membership.unread,
            muted=membership.muted,
        )
        for membership in memberships
    ]


def unread_conversations_count(*, member: Member) -> int:
    """How many conversations have a message the member has not read (for a badge in the navigation)."""
    return (
        ConversationMember.objects.filter(member=member)
        .annotate(unread=_unread_subquery())
        .filter(unread__gt=0)
        .count()
    )


def conversation_unread_count(*, conversation: Conversation, member: Member) -> int:
    membership = conversation_membership(conversation=conversation, member=member)
    return (
        Message.objects.filter(conversation=conversation, created_at__gt=membership.last_read_at or EPOCH)
        .exclude(sender=member)
        .count()
    )


def presence_key(*, conversation_id: int, member_id: int) -> str:
    """A counter of the member's open pages of the conversation, kept in the cache by the websocket consumer."""
    return f"messaging:present:{conversation_id}:{member_id}"


def member_present(*, conversation_id: int, member_id: int) -> bool:
    """Whether the member has the conversation open right now; new messages then need no notification."""
    return bool(cache.get(presence_key(conversation_id=conversation_id, member_id=member_id)))


# --- Messages --------------------------------------------------------------------------------------------------


def messages_of(*, conversation: Conversation) -> QuerySet[Message]:
    return (
        Message.objects.filter(conversation=conversation)
        .select_related("sender__profile")
        .prefetch_related("attachments")
    )


def conversation_messages(
    *, conversation: Conversation, before_id: int | None = None, limit: int = PAGE_MESSAGES
) -> tuple[list[Message], bool]:
    """The latest `limit` messages (before `before_id` when given), oldest first, and whether earlier ones exist."""
    queryset = messages_of(conversation=conversation).order_by("-created_at", "-id")
    if before_id is not None:
        queryset = queryset.filter(id__lt=before_id)
    page = list(queryset[: limit + 1])
    return list(reversed(page[:limit])), len(page) > limit


def attachment_for_member(*, attachment_id: int, member: Member) -> MessageAttachment:
    """An attachment of a conversation the member takes part in; for anyone else it does not exist."""
    if not getattr(member, "is_authenticated", False):
        raise Http404
    attachment = (
        MessageAttachment.objects.select_related("message__conversation")
        .filter(pk=attachment_id)
        .filter(Q(message__conversation__member_low_id=member.pk) | Q(message__conversation__member_high_id=member.pk))
        .first()
    )
    if attachment is None or not attachment.file:
        raise Http404
    return attachment
