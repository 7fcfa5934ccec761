"""Keeps the search index whole after a playbook is published.

Wagtail indexes a page on post_save, which fires before modelcluster commits the page's tags and categories; the
index would miss the tags a publish just added. page_published is sent once the publish has committed them."""

from __future__ import annotations

from django.dispatch import receiver
from wagtail.search import index
from wagtail.signals import page_published

from playbooks.models import PlaybookPage


@receiver(page_published, sender=PlaybookPage)
def playbook_reindex_on_publish(sender, instance: PlaybookPage, **kwargs) -> None:
    index.insert_or_update_object(instance)
