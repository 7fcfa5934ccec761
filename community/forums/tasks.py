"""Background work for the forums (Celery)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="community.forums.topic_counters_repair")
def topic_counters_repair(topic_id: int) -> int:
    """Recounts a topic's posts and last activity from its posts (idempotent); returns the post count."""
    from community.forums.services import topic_counters_repair as repair

    return repair(topic_id=topic_id).post_count
