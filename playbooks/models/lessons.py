"""Forum lessons learned and the playbooks they test: links chosen by the lesson's author or a facilitator, and
promotions of a lesson into a playbook section by a facilitator."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LessonPlaybookLink(models.Model):
    """A lesson-learned topic tests this playbook."""

    topic = models.ForeignKey("community.Topic", on_delete=models.CASCADE, related_name="playbook_links")
    page = models.ForeignKey("playbooks.PlaybookPage", on_delete=models.CASCADE, related_name="lesson_links")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("lesson's playbook")
        constraints = [models.UniqueConstraint(fields=["topic", "page"], name="playbooks_lesson_link_once")]

    def __str__(self) -> str:
        return f"{self.topic_id} tests {self.page_id}"


class LessonPromotion(models.Model):
    """A facilitator turned a lesson into a "lesson learned" section of a playbook: a draft revision submitted to
    the peer review, never published directly. Append-only: who promoted what, when, into which revision."""

    topic = models.ForeignKey("community.Topic", on_delete=models.CASCADE, related_name="playbook_promotions")
    page = models.ForeignKey("playbooks.PlaybookPage", on_delete=models.CASCADE, related_name="lesson_promotions")
    revision = models.ForeignKey(
        "wagtailcore.Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    block_id = models.CharField(max_length=64)
    promoted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    promoted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("lesson promotion")
        ordering = ["-promoted_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.topic_id} -> {self.page_id}"
