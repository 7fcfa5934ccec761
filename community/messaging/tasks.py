"""Background work for private messaging (Celery)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="community.messaging.message_email_if_unread", acks_late=True)
def message_email_if_unread(message_id: int, recipient_id: int) -> bool:
    """Runs some minutes after a message is sent: emails the recipient if it is still unread (idempotent)."""
    from community.messaging.services import message_email_if_unread as email_if_unread

    return email_if_unread(message_id=message_id, recipient_id=recipient_id)
