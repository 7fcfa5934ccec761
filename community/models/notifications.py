from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    """What a notification is about; members choose per kind how they hear of it by email."""

    ORDERS = "orders", _("Orders, payments and disputes")
    MESSAGES = "messages", _("Private messages")
    FORUMS = "forums", _("Forum replies and mentions")
    MENTORING = "mentoring", _("Mentoring")
    EVENTS = "events", _("Live sessions and events")
    MODERATION = "moderation", _("Moderation")
    ACCOUNT = "account", _("Your account and verification")


class EmailDelivery(models.TextChoices):
    IMMEDIATELY = "immediately", _("Immediately")
    DIGEST = "digest", _("In the daily digest")
    NEVER = "never", _("Never")


# Money and moderation are never held back by default; chatter waits for the digest.
EMAIL_DELIVERY_DEFAULTS = {
    NotificationKind.ORDERS: EmailDelivery.IMMEDIATELY,
    NotificationKind.MESSAGES: EmailDelivery.IMMEDIATELY,
    NotificationKind.FORUMS: EmailDelivery.DIGEST,
    NotificationKind.MENTORING: EmailDelivery.IMMEDIATELY,
    NotificationKind.EVENTS: EmailDelivery.DIGEST,
    NotificationKind.MODERATION: EmailDelivery.IMMEDIATELY,
    NotificationKind.ACCOUNT: EmailDelivery.IMMEDIATELY,
}


class Notification(models.Model):
    """Something a member should know about; pushed live over the notifications websocket after commit."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices, default=NotificationKind.ACCOUNT)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["member", "read_at"])]

    def __str__(self) -> str:
        return self.text


class NotificationPreference(models.Model):
    """A member's choice of email for one kind; a kind without a row uses EMAIL_DELIVERY_DEFAULTS."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    email = models.CharField(max_length=20, choices=EmailDelivery.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "kind"], name="notification_preference_one_per_kind")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.kind}: {self.email}"


class NotificationDigest(models.Model):
    """One row per member per day a digest was sent: a second run of the beat task the same day sends nothing."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    count = models.PositiveIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "day"], name="notification_digest_one_per_day")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.day}"
