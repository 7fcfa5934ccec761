"""Private messaging between members: conversations, their members, messages with attachments, and the leakage
attempts and flags that moderators review.

A conversation has exactly two members. `member_low`/`member_high` hold them ordered by id, so that the database
itself keeps one thread per pair and listing, and one per order. `order_ref` is the id of an `orders.Order` kept as
a plain integer: the orders app is built alongside this one and may not import from it (orders uses community, not
the other way round); `community.messaging.services` checks an order's parties through the pluggable
`MESSAGING_ORDER_PARTIES` setting before a thread is tied to it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .verification import private_storage


class Conversation(models.Model):
    member_low = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    member_high = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    listing = models.ForeignKey(
        "listings.Listing", on_delete=models.PROTECT, null=True, blank=True, related_name="conversations"
    )
    order_ref = models.PositiveBigIntegerField(
        _("order"), null=True, blank=True, help_text=_("The id of the orders.Order this thread is about.")
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Kept by message_send so the inbox lists conversations with their last message in one query.
    last_message = models.ForeignKey(
        "community.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(member_low__lt=F("member_high")), name="conversation_members_ordered"),
            models.UniqueConstraint(
                fields=["order_ref"], condition=Q(order_ref__isnull=False), name="conversation_one_per_order"
            ),
            models.UniqueConstraint(
                fields=["member_low", "member_high", "listing"],
                condition=Q(order_ref__isnull=True, listing__isnull=False),
                name="conversation_one_per_pair_and_listing",
            ),
            models.UniqueConstraint(
                fields=["member_low", "member_high"],
                condition=Q(order_ref__isnull=True, listing__isnull=True),
                name="conversation_one_direct_per_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"Conversation {self.pk}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("messaging:conversation", kwargs={"pk": self.pk})

    def other_member_id(self, member_id: int) -> int:
        return self.member_high_id if member_id == self.member_low_id else self.member_low_id

    def other_member(self, member_id: int):
        return self.member_high if member_id == self.member_low_id else self.member_low


class ConversationMember(models.Model):
    """One member's place in a conversation: what they have read, whether they muted it, and up to which message
    they were emailed while away (so the away email is sent once per unread stretch, whatever the retries)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="memberships")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="conversation_memberships"
    )
    last_read_at = models.DateTimeField(null=True, blank=True)
    muted = models.BooleanField(_("muted"), default=False)
    emailed_through_message_id = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "member"], name="unique_conversation_member"),
        ]
        indexes = [models.Index(fields=["member", "conversation"])]

    def __str__(self) -> str:
        return f"{self.member_id} in {self.conversation_id}"


class Message(models.Model):
    """A message as the recipient sees it. When contact details were hidden, `original_body` keeps what the sender
    typed for moderators; it is never shown to either member."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("message"), blank=True)
    original_body = models.TextField(blank=True, editable=False)
    masked = models.BooleanField(default=False)
    leak_kinds = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["conversation", "created_at"]),
            models.Index(fields=["sender", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk}"


def attachment_upload_to(instance: MessageAttachment, filename: str) -> str:
    return f"messages/{instance.message.conversation_id}/{filename}"


class MessageAttachment(models.Model):
    """An image or PDF sent with a message. Stored privately under a server-chosen name and streamed only to the
    conversation's members."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=private_storage, upload_to=attachment_upload_to)
    name = models.CharField(max_length=100, help_text=_("A display name made safe from what the sender uploaded."))
    size = models.PositiveIntegerField(default=0)
    is_image = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class LeakageAttempt(models.Model):
    """Contact or payment details that were hidden from a message sent before a paid order. Append-only evidence
    for moderators; three within a week flag the sender."""

    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="leakage_attempts")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    message = models.OneToOneField(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="leakage_attempt"
    )
    kinds = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["sender", "created_at"])]

    def __str__(self) -> str:
        return f"{self.sender_id}: {', '.join(self.kinds)}"


class LeakageFlag(models.Model):
    """A sender who kept trying to take deals off Guildhall; open until a moderator reviews it."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="leakage_flags")
    attempts = models.PositiveIntegerField(help_text=_("Attempts in the seven days before the flag."))
    created_at = models.DateTimeField(default=timezone.now)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["member", "reviewed_at"])]

    def __str__(self) -> str:
        return f"Leakage flag on {self.member_id}"
