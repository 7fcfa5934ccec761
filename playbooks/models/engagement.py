"""What members do with playbooks: the description templates they use, and their feedback."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TemplateUseContext(models.TextChoices):
    LISTING_FORM = "listing_form", _("Listing form")
    PLAYBOOK_PAGE = "playbook_page", _("Copied from the playbook")
    ORDER_PAGE = "order_page", _("Order page")
    MESSAGING = "messaging", _("Buyer messaging")


class TemplateUse(models.Model):
    """A member used a playbook's template (a description template, a fulfilment tip's message, a reply
    template). Append-only: facilitators learn which templates help."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="template_uses")
    page = models.ForeignKey("playbooks.PlaybookPage", on_delete=models.CASCADE, related_name="template_uses")
    block_id = models.CharField(max_length=64)
    context = models.CharField(max_length=20, choices=TemplateUseContext.choices)
    listing = models.ForeignKey("listings.Listing", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("template use")
        indexes = [models.Index(fields=["page", "block_id"])]

    def __str__(self) -> str:
        return f"{self.page_id}/{self.block_id} by {self.member_id}"


class PlaybookFeedback(models.Model):
    """A member's vote (helpful or not) and optional comment on a playbook: one per member and page, changeable.
    Comments are plain text, always escaped when shown; facilitators resolve them in the CMS."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="playbook_feedback")
    page = models.ForeignKey("playbooks.PlaybookPage", on_delete=models.CASCADE, related_name="feedback_entries")
    helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("comment"), max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("playbook feedback")
        verbose_name_plural = _("playbook feedback")
        constraints = [models.UniqueConstraint(fields=["member", "page"], name="playbooks_feedback_once")]
        indexes = [models.Index(fields=["resolved_at", "-updated_at"])]

    def __str__(self) -> str:
        return f"{self.page_id} by {self.member_id}: {'helpful' if self.helpful else 'not helpful'}"

    @property
    def is_open(self) -> bool:
        return bool(self.comment) and self.resolved_at is None
