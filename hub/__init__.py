"""The Django project. The design calls it `site/`, but `site` is a standard-library module, so it is `hub/`."""

from .celery import app as celery_app

__all__ = ["celery_app"]
