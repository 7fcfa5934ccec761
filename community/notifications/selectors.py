"""Reads for the notifications centre."""

from __future__ import annotations

from django.db.models import QuerySet

from community.models import (
    EMAIL_DELIVERY_DEFAULTS,
    EmailDelivery,
    Member,
    Notification,
    NotificationKind,
    NotificationPreference,
)


def notifications_for(*, member: Member, unread_only: bool = False) -> QuerySet[Notification]:
    items = Notification.objects.filter(member=member)
    if unread_only:
        items = items.filter(read_at__isnull=True)
    return items.order_by("-created_at", "-id")


def notification_get(*, member: Member, notification_id: int) -> Notification | None:
    """A member's own notification; someone else's is None, exactly as one that does not exist."""
    return Notification.objects.filter(member=member, pk=notification_id).first()


def email_preferences(*, member: Member) -> dict[str, str]:
    """Every kind with the member's choice, defaults filled in."""
    chosen = dict(NotificationPreference.objects.filter(member=member).values_list("kind", "email"))
    return {kind: chosen.get(kind, str(EMAIL_DELIVERY_DEFAULTS[kind])) for kind in NotificationKind.values}


def email_delivery_for(*, member: Member, kind: str) -> str:
    chosen = NotificationPreference.objects.filter(member=member, kind=kind).values_list("email", flat=True).first()
    return chosen or str(EMAIL_DELIVERY_DEFAULTS.get(kind, EmailDelivery.IMMEDIATELY))
