from celery import shared_task


@shared_task(name="hub.ping")
def ping() -> str:
    """Answers "pong": proves a worker consumes the broker (smoke test, `manage.py celery_ping`)."""
    return "pong"
