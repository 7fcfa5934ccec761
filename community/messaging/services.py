"""Writes for private messaging: starting a conversation, sending, reading, muting and the away email.

Silenced and suspended members cannot send (`community.moderation`); a new member (trust level 0) sends a capped
number of messages a day (`community.trust.ALLOWANCES`).

The leakage rule: until either member has paid the other for an order (settings.MESSAGING_PAID_ORDER_CHECK), the
contact and payment details that `community.leakage` finds are masked in the delivered message, the sender is told
why, and the attempt is recorded; the third attempt within seven days flags the sender to moderators. After a paid
order, messages pass as typed. Live delivery and emails happen only after the transaction commits.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community import leakage, moderation, trust
from community.messaging import selectors
from community.models import (
    Conversation,
    ConversationMember,
    LeakageAttempt,
    LeakageFlag,
    Member,
    Message,
    MessageAttachment,
    Notification,
    NotificationKind,
    Role,
)
from community.notifications.services import notification_email, notification_send
from community.services import notification_create
from community.validators import safe_upload_name, validate_image_upload
from hub.realtime import group_send

BODY_MAX_CHARS = 5_000
MAX_ATTACHMENTS = 5
MESSAGES_PER_WINDOW = 30
MESSAGE_WINDOW = timedelta(minutes=10)
NEW_CONVERSATIONS_PER_DAY = 10
LEAKAGE_FLAG_AFTER = 3
LEAKAGE_WINDOW = timedelta(days=7)
EMAIL_PREVIEW_CHARS = 500


class RateLimited(ValidationError):
    """Too many messages or new conversations; the API answers 429, the pages show the message."""


@dataclass(frozen=True)
class MessageDelivery:
    """A message as it was delivered, and what the sender is told when details were hidden (None otherwise)."""

    message: Message
    warning: str | None

    @property
    def conversation(self) -> Conversation:
        return self.message.conversation


def conversation_group(conversation_id: int) -> str:
    return f"conversation.{conversation_id}"


def away_email_delay() -> timedelta:
    return timedelta(minutes=getattr(settings, "MESSAGING_AWAY_EMAIL_MINUTES", 10))


def attachment_max_bytes() -> int:
    return getattr(settings, "MESSAGING_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)


# --- Validation --------------------------------------------------------------------------------------------------


def _member_reachable_check(member: Member, *, field: str) -> None:
    if not member.is_active or member.deleted_at is not None:
        raise ValidationError({field: _("This member's account is closed; they cannot receive messages.")})


def _body_clean(body: str, *, has_attachments: bool) -> str:
    body = (body or "").strip()
    if not body and not has_attachments:
        raise ValidationError({"body": _("Write a message or attach a file.")})
    if len(body) > BODY_MAX_CHARS:
        raise ValidationError(
            {
                "body": _("Keep the message under %(limit)s characters (it has %(count)s).")
                % {"limit": f"{BODY_MAX_CHARS:,}", "count": f"{len(body):,}"}
            }
        )
    return body


def validate_attachment(file) -> bool:
    """An image (JPEG, PNG, WebP, GIF under the pixel limit) or a PDF, under the size limit, checked by content.
    Returns whether it is an image."""
    limit = attachment_max_bytes()
    if (getattr(file, "size", 0) or 0) > limit:
        raise ValidationError(
            _("“%(name)s” is too large; the limit is %(limit)s MB.")
            % {"name": _display_name(getattr(file, "name", "")), "limit": limit // 1024 // 1024},
            code="file_too_large",
        )
    file.seek(0)
    head = file.read(5)
    file.seek(0)
    if head == b"%PDF-":
        return False
    try:
        validate_image_upload(file, max_bytes=limit, max_pixels=settings.AVATAR_MAX_PIXELS)
    except ValidationError as error:
        if error.code == "invalid_image":
            raise ValidationError(
                _("Attach images (JPEG, PNG, WebP, GIF) or PDF files only."), code="invalid_attachment"
            ) from error
        raise
    return True


_UNSAFE_NAME = re.compile(r"[^\w.\- ()]+", re.UNICODE)


def _display_name(raw: str, *, extension: str | None = None) -> str:
    """What the recipient sees as the file's name: no path, no markup characters, the real extension."""
    base = os.path.basename(str(raw).replace("\\", "/"))
    stem = _UNSAFE_NAME.sub("-", os.path.splitext(base)[0]).strip(" .-")[:60] or "attachment"
    return f"{stem}.{extension}" if extension else stem


def _rate_limit_check(sender: Member) -> None:
    since = timezone.now() - MESSAGE_WINDOW
    if Message.objects.filter(sender=sender, created_at__gte=since).count() >= MESSAGES_PER_WINDOW:
        raise RateLimited(
            {
                "body": _("You have sent %(count)s messages in 10 minutes. Wait a few minutes and try again.")
                % {"count": MESSAGES_PER_WINDOW}
            },
        )


def _new_conversation_limit_check(sender: Member) -> None:
    since = timezone.now() - timedelta(days=1)
    if Conversation.objects.filter(started_by=sender, created_at__gte=since).count() >= NEW_CONVERSATIONS_PER_DAY:
        raise RateLimited(
            {
                "recipient": _(
                    "You have started %(count)s new conversations today. Reply in your existing ones, or try again "
                    "tomorrow."
                )
                % {"count": NEW_CONVERSATIONS_PER_DAY}
            }
        )


# --- Starting and sending ----------------------------------------------------------------------------------------


def _listing_check(*, listing, sender: Member, recipient: Member) -> None:
    from listings.services import listing_visible_to

    if listing.seller_id not in (sender.pk, recipient.pk):
        raise ValidationError({"listing": _("This listing is not sold by either of you.")})
    if not listing_visible_to(listing, sender):
        raise ValidationError({"listing": _("This listing is not available.")})


def _order_check(*, order_ref: int, sender: Member, recipient: Member) -> None:
    parties = selectors.order_parties(order_ref=order_ref)
    if parties is None or set(parties) != {sender.pk, recipient.pk}:
        raise ValidationError({"order": _("This order was not found.")})


@transaction.atomic
def conversation_start(
    *,
    sender: Member,
    recipient: Member,
    body: str,
    listing=None,
    order_ref: int | None = None,
    attachments=(),
) -> MessageDelivery:
    """Sends the first message to `recipient`, about a listing or an order if given. There is one thread per pair
    and listing and one per order: when it exists already, the message is added to it."""
    moderation.sanction_post_check(sender)
    if recipient.pk == sender.pk:
        raise ValidationError({"recipient": _("You cannot send a message to yourself.")})
    _member_reachable_check(recipient, field="recipient")
    if order_ref is not None:
        _order_check(order_ref=order_ref, sender=sender, recipient=recipient)
    elif listing is not None:
        _listing_check(listing=listing, sender=sender, recipient=recipient)
    _body_clean(body, has_attachments=bool(attachments))
    # One sender's writes run one at a time, so the rate limits count exactly.
    Member.objects.select_for_update().filter(pk=sender.pk).first()
    listing_id = None if order_ref is not None or listing is None else listing.pk
    conversation = selectors.conversation_find(
        member_id=sender.pk, other_id=recipient.pk, listing_id=listing_id, order_ref=order_ref
    )
    if conversation is None:
        _new_conversation_limit_check(sender)
        _rate_limit_check(sender)
        low, high = sorted((sender.pk, recipient.pk))
        try:
            with transaction.atomic():
                conversation = Conversation.objects.create(
                    member_low_id=low,
                    member_high_id=high,
                    started_by=sender,
                    listing_id=listing_id,
                    order_ref=order_ref,
                )
                ConversationMember.objects.bulk_create(
                    [
                        ConversationMember(conversation=conversation, member_id=low),
                        ConversationMember(conversation=conversation, member_id=high),
                    ]
                )
        except IntegrityError:
            # The other member opened the same thread at the same moment: use theirs.
            conversation = selectors.conversation_find(
                member_id=sender.pk, other_id=recipient.pk, listing_id=listing_id, order_ref=order_ref
            )
            if conversation is None:
                raise
    return message_send(conversation=conversation, sender=sender, body=body, attachments=attachments)


@transaction.atomic
def message_send(*, conversation: Conversation, sender: Member, body: str, attachments=()) -> MessageDelivery:
    """Delivers a message to the other member; masks contact details before a paid order (see the module)."""
    if not selectors.conversation_is_member(conversation_id=conversation.pk, member_id=sender.pk):
        raise PermissionDenied
    moderation.sanction_post_check(sender)
    recipient = Member.objects.get(pk=conversation.other_member_id(sender.pk))
    _member_reachable_check(recipient, field="body")
    attachments = list(attachments or ())
    body = _body_clean(body, has_attachments=bool(attachments))
    if len(attachments) > MAX_ATTACHMENTS:
        raise ValidationError(
            {"attachments": _("Attach up to %(count)s files to one message.") % {"count": MAX_ATTACHMENTS}}
        )
    kinds_of_files: list[bool] = []
    for file in attachments:
        try:
            kinds_of_files.append(validate_attachment(file))
        except ValidationError as error:
            raise ValidationError({"attachments": error.messages}) from error
    Member.objects.select_for_update().filter(pk=sender.pk).first()
    _rate_limit_check(sender)
    trust.messages_per_day_check(
        sender=sender,
        sent_today=lambda: Message.objects.filter(
            sender=sender, created_at__gte=timezone.now() - timedelta(days=1)
        ).count(),
        error=RateLimited,
    )

    guarded = not selectors.paid_order_between(member_id=sender.pk, other_id=recipient.pk)
    result = leakage.scan(body) if guarded else leakage.ScanResult()
    now = timezone.now()
    message = Message.objects.create(
        conversation=conversation,
        sender=sender,
        body=leakage.mask(body, result) if result.leaked else body,
        original_body=body if result.leaked else "",
        masked=result.leaked,
        leak_kinds=list(result.kinds),
        created_at=now,
    )
    for file, is_image in zip(attachments, kinds_of_files, strict=True):
        _attachment_store(message=message, file=file, is_image=is_image, guarded=guarded)
    if result.leaked:
        _leakage_record(sender=sender, conversation=conversation, message=message, kinds=list(result.kinds))

    recipient_membership = ConversationMember.objects.select_for_update().get(
        conversation=conversation, member=recipient
    )
    had_unread = (
        Message.objects.filter(
            conversation=conversation, created_at__gt=recipient_membership.last_read_at or selectors.EPOCH
        )
        .exclude(sender=recipient)
        .exclude(pk=message.pk)
        .exists()
    )
    conversation.last_message = message
    conversation.last_message_at = now
    conversation.save(update_fields=["last_message", "last_message_at"])
    ConversationMember.objects.filter(conversation=conversation, member=sender).update(last_read_at=now)

    present = selectors.member_present(conversation_id=conversation.pk, member_id=recipient.pk)
    if not recipient_membership.muted and not had_unread and not present:
        # One notification per unread stretch: the badge in the navigation counts conversations to read, not
        # every message of a chatty one. Reading the conversation marks it read (conversation_read); a recipient
        # who has the conversation open sees the message arrive instead.
        notification_create(
            member=recipient,
            kind=NotificationKind.MESSAGES,
            text=_("New message from %(name)s") % {"name": sender.display_name},
            url=conversation.get_absolute_url(),
        )
    _broadcast_on_commit(
        conversation.pk, lambda: {"type": "conversation.message", "message": message_payload(message_id=message.pk)}
    )
    if not recipient_membership.muted:
        _away_email_schedule(message_id=message.pk, recipient_id=recipient.pk)
    return MessageDelivery(message=message, warning=leakage.warning_for(result))


def _attachment_store(*, message: Message, file, is_image: bool, guarded: bool) -> MessageAttachment:
    original_name = getattr(file, "name", "") or ""
    stored_name = safe_upload_name(file, stem="attachment")
    extension = stored_name.rsplit(".", 1)[-1]
    name = _display_name(original_name, extension=extension)
    if guarded and leakage.scan(os.path.splitext(name)[0].replace("-", " ").replace("_", " ")).leaked:
        # A file name is text too: "call-me-07700900123.pdf" does not slip past the mask.
        name = f"attachment.{extension}"
    file.name = stored_name
    return MessageAttachment.objects.create(
        message=message, file=file, name=name, size=getattr(file, "size", 0) or 0, is_image=is_image
    )


def _leakage_record(*, sender: Member, conversation: Conversation, message: Message, kinds: list[str]) -> None:
    LeakageAttempt.objects.create(sender=sender, conversation=conversation, message=message, kinds=kinds)
    since = timezone.now() - LEAKAGE_WINDOW
    attempts = LeakageAttempt.objects.filter(sender=sender, created_at__gte=since).count()
    if attempts < LEAKAGE_FLAG_AFTER:
        return
    if LeakageFlag.objects.filter(member=sender, reviewed_at__isnull=True).exists():
        return
    flag = LeakageFlag.objects.create(member=sender, attempts=attempts)
    try:
        url = reverse("admin:community_leakageflag_change", args=[flag.pk])
    except NoReverseMatch:
        url = ""
    text = ngettext(
        "%(name)s tried to share contact details %(count)s time in a week.",
        "%(name)s tried to share contact details %(count)s times in a week.",
        attempts,
    ) % {"name": sender.display_name, "count": attempts}
    moderators = Member.objects.filter(role_grants__role=Role.MODERATOR, is_active=True).exclude(pk=sender.pk)
    for moderator in moderators.distinct():
        notification_send(member=moderator, kind=NotificationKind.MODERATION, text=text, url=url)


@transaction.atomic
def conversation_read(*, conversation: Conversation, member: Member) -> ConversationMember:
    """Marks everything in the conversation read for `member`, with its notifications, and tells the other side."""
    membership = ConversationMember.objects.select_for_update().filter(conversation=conversation, member=member).first()
    if membership is None:
        raise PermissionDenied
    now = timezone.now()
    membership.last_read_at = now
    membership.save(update_fields=["last_read_at"])
    Notification.objects.filter(member=member, url=conversation.get_absolute_url(), read_at__isnull=True).update(
        read_at=now
    )
    _broadcast_on_commit(conversation.pk, {"type": "conversation.read", "member_id": member.pk, "at": now.isoformat()})
    return membership


@transaction.atomic
def conversation_mute_set(*, conversation: Conversation, member: Member, muted: bool) -> ConversationMember:
    """A muted conversation sends no notifications and no emails; messages still arrive and count as unread."""
    membership = ConversationMember.objects.select_for_update().filter(conversation=conversation, member=member).first()
    if membership is None:
        raise PermissionDenied
    membership.muted = muted
    membership.save(update_fields=["muted"])
    return membership


# --- Live delivery -----------------------------------------------------------------------------------------------


def _broadcast_on_commit(conversation_id: int, event: dict[str, Any] | Callable[[], dict[str, Any]]) -> None:
    """Sends `event` (or what the callable makes of it, read after commit) to the conversation's open pages."""

    def push() -> None:
        group_send(conversation_group(conversation_id), event() if callable(event) else event)

    transaction.on_commit(push, robust=True)


def message_payload(*, message_id: int) -> dict[str, Any] | None:
    """What the websocket sends for a new message: the delivered body only, never the original."""
    message = Message.objects.select_related("sender__profile").prefetch_related("attachments").filter(pk=message_id)
    message = message.first()
    if message is None:
        return None
    return {
        "id": message.pk,
        "conversation_id": message.conversation_id,
        "sender_id": message.sender_id,
        "sender_name": str(message.sender.display_name),
        "body": message.body,
        "masked": message.masked,
        "created_at": message.created_at.isoformat(),
        "attachments": [
            {
                "id": attachment.pk,
                "name": attachment.name,
                "url": reverse("messaging:attachment", kwargs={"pk": attachment.pk}),
                "is_image": attachment.is_image,
            }
            for attachment in message.attachments.all()
        ],
    }


# --- The away email ----------------------------------------------------------------------------------------------


def _away_email_schedule(*, message_id: int, recipient_id: int) -> None:
    from community.messaging.tasks import message_email_if_unread

    delay = away_email_delay().total_seconds()
    transaction.on_commit(
        lambda: message_email_if_unread.apply_async((message_id, recipient_id), countdown=delay), robust=True
    )


@transaction.atomic
def message_email_if_unread(*, message_id: int, recipient_id: int) -> bool:
    """Emails the recipient about unread messages once they have been away for a while. Idempotent: the
    membership remembers the last message an email covered, so retries and later tasks of the same unread stretch
    send nothing. The mark commits before the email is handed to the mail backend, so a failed send is not retried
    (at most one email, never two). Returns whether an email goes out."""
    message = Message.objects.select_related("sender__profile", "conversation").filter(pk=message_id).first()
    if message is None or message.sender_id == recipient_id:
        return False
    membership = (
        ConversationMember.objects.select_for_update()
        .select_related("member")
        .filter(conversation_id=message.conversation_id, member_id=recipient_id)
        .first()
    )
    if membership is None or membership.muted or not membership.member.is_active:
        return False
    if membership.last_read_at and membership.last_read_at >= message.created_at:
        return False
    if membership.emailed_through_message_id >= message.pk:
        return False
    unread = list(
        Message.objects.filter(
            conversation_id=message.conversation_id, created_at__gt=membership.last_read_at or selectors.EPOCH
        )
        .exclude(sender_id=recipient_id)
        .order_by("created_at", "id")
        .values_list("id", "body")
    )
    if not unread:
        return False
    membership.emailed_through_message_id = max(unread[-1][0], message.pk)
    membership.save(update_fields=["emailed_through_message_id"])
    sender_name = str(message.sender.display_name)
    url = settings.SITE_URL.rstrip("/") + message.conversation.get_absolute_url()
    preview = unread[-1][1][:EMAIL_PREVIEW_CHARS] or _("(an attachment)")
    subject = ngettext(
        "A new message from %(name)s on Guildhall",
        "%(count)s new messages from %(name)s on Guildhall",
        len(unread),
    ) % {"name": sender_name, "count": len(unread)}
    body = _(
        "%(name)s wrote to you:\n\n%(preview)s\n\nReply on Guildhall: %(url)s\n\n"
        "You can mute this conversation on its page to stop these emails."
    ) % {"name": sender_name, "preview": preview, "url": url}
    member = membership.member
    transaction.on_commit(
        lambda: notification_email(member=member, kind=NotificationKind.MESSAGES, subject=subject, body=body)
    )
    return True
