"""Background work for the notifications centre (Celery)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="community.notification_email_send", acks_late=True, ignore_result=True)
def notification_email_send(notification_id: int, subject: str, body: str) -> bool:
    from community.notifications.services import notification_email_deliver

    return notification_email_deliver(notification_id=notification_id, subject=subject, body=body)


@shared_task(name="community.notifications_digest_send", acks_late=True, ignore_result=True)
def notifications_digest_send() -> int:
    """Daily (beat): yesterday's digest, once per member."""
    from community.notifications.services import notifications_digest_send as send

    return send()
