"""The welcome series: an ordered path of playbooks for a seller stage, and each member's ticked-off steps."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.models import Orderable

from community.models import SellerStage


class WelcomeSeries(ClusterableModel):
    """Playbooks in the order a seller at this stage should read them (a snippet facilitators edit)."""

    title = models.CharField(_("title"), max_length=120)
    seller_stage = models.CharField(
        _("seller stage"), max_length=16, choices=SellerStage.choices, default=SellerStage.NEW
    )
    intro = models.TextField(_("introduction"), max_length=600, blank=True)
    live = models.BooleanField(_("shown to members"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    panels = [
        FieldPanel("title"),
        FieldPanel("seller_stage"),
        FieldPanel("intro"),
        FieldPanel("live"),
        InlinePanel("items", label=_("Playbooks, in order"), min_num=1),
    ]

    class Meta:
        ordering = ["seller_stage", "title"]
        verbose_name = _("welcome series")
        verbose_name_plural = _("welcome series")

    def __str__(self) -> str:
        return self.title


class WelcomeSeriesItem(Orderable):
    series = ParentalKey(WelcomeSeries, on_delete=models.CASCADE, related_name="items")
    page = models.ForeignKey(
        "playbooks.PlaybookPage", on_delete=models.CASCADE, related_name="+", verbose_name=_("playbook")
    )

    panels = [FieldPanel("page")]

    class Meta(Orderable.Meta):
        verbose_name = _("playbook in a welcome series")
        constraints = [models.UniqueConstraint(fields=["series", "page"], name="playbooks_series_page_once")]


class WelcomeProgress(models.Model):
    """One ticked step (a step block, or one item of a checklist) of one playbook by one member. Unticking
    deletes the row, so a member's progress is the set of rows they hold."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="playbook_progress")
    page = models.ForeignKey("playbooks.PlaybookPage", on_delete=models.CASCADE, related_name="welcome_progress")
    step_key = models.CharField(max_length=80)
    done_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("welcome progress")
        verbose_name_plural = _("welcome progress")
        constraints = [
            models.UniqueConstraint(fields=["member", "page", "step_key"], name="playbooks_progress_step_once")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.page_id} {self.step_key}"
