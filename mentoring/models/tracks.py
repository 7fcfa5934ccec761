"""Tracks: a path for sellers at one stage, its milestones, and which milestones each member has reached."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import SellerStage


class Track(models.Model):
    """What a mentorship works towards at one seller stage, and how long it usually takes.

    The mentor guide is a plain URL or a CMS page for now: playbook page types are being built in `playbooks/`, and a
    page foreign key keeps working whichever page type they become."""

    stage = models.CharField(_("seller stage"), max_length=16, choices=SellerStage.choices)
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    suggested_weeks = models.PositiveSmallIntegerField(
        _("suggested length (weeks)"), default=8, validators=[MinValueValidator(1), MaxValueValidator(104)]
    )
    guide_url = models.URLField(_("mentor guide (URL)"), blank=True)
    guide_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("mentor guide (page)"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("A playbook page; used instead of the URL when both are set."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("track")
        verbose_name_plural = _("tracks")

    def __str__(self) -> str:
        return self.name

    @property
    def guide_link(self) -> str:
        if self.guide_page_id and self.guide_page and self.guide_page.live:
            return self.guide_page.url or ""
        return self.guide_url


class MilestoneKind(models.TextChoices):
    FIRST_LISTING = "first_listing", _("First published listing")
    FIRST_SALE = "first_sale", _("First sale")
    TEN_REVIEWS_4_5 = "ten_reviews_4_5", _("Ten reviews averaging 4.5 or more")
    DEFECT_RATE_UNDER = "defect_rate_under", _("Defect rate under the threshold")
    CUSTOM = "custom", _("Custom")


class Milestone(models.Model):
    """A step of a track. `threshold` means, by kind: for `defect_rate_under` the percentage of orders with a problem
    that must not be reached; for `ten_reviews_4_5` the lowest average rating (4.5 when empty); unused otherwise."""

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="milestones")
    kind = models.CharField(_("kind"), max_length=20, choices=MilestoneKind.choices)
    title = models.CharField(_("title"), max_length=120, blank=True, help_text=_("Required for a custom milestone."))
    threshold = models.DecimalField(_("threshold"), max_digits=6, decimal_places=2, null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["track", "order", "id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if self.kind == MilestoneKind.CUSTOM and not self.title.strip():
            raise ValidationError({"title": _("Give a custom milestone a title.")})
        if self.kind == MilestoneKind.DEFECT_RATE_UNDER and self.threshold is None:
            raise ValidationError({"threshold": _("Give the defect rate (a percentage) to stay under.")})

    @property
    def label(self) -> str:
        if self.title:
            return self.title
        if self.kind == MilestoneKind.DEFECT_RATE_UNDER and self.threshold is not None:
            return _("Defect rate under %(threshold)s%%") % {"threshold": f"{self.threshold.normalize():f}"}
        return str(self.get_kind_display())

    @property
    def is_custom(self) -> bool:
        return self.kind == MilestoneKind.CUSTOM


class MilestoneProgress(models.Model):
    """A milestone a member reached. Written once (never updated): reaching it again changes nothing."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="milestones_reached")
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="reached_by")
    achieved_at = models.DateTimeField(_("achieved at"), default=timezone.now)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "milestone"], name="mentoring_milestone_reached_once"),
        ]
        verbose_name = _("milestone reached")
        verbose_name_plural = _("milestones reached")

    def __str__(self) -> str:
        return f"{self.member_id}:{self.milestone_id}"
