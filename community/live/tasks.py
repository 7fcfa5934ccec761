"""Background work for live sessions (Celery beat; see CELERY_BEAT_SCHEDULE). Both tasks are idempotent."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="community.live.reminders_send")
def reminders_send() -> int:
    """Emails members going to a session 24 hours and 1 hour before it; returns how many were sent."""
    from community.live.services import reminders_send as send

    return send()


@shared_task(name="community.live.sessions_finish")
def sessions_finish() -> int:
    """Ends sessions left open past their end and archives ended sessions that have no archive topic yet."""
    from community.live.services import sessions_finish as finish

    return finish()
