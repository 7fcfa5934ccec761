"""The Celery app. Embedded default: a filesystem broker under VAR_DIR; production: Redis (REDIS_URL)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")

app = Celery("guildhall")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["community.messaging"])  # not an app of its own: named here
