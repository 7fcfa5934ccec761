"""Moderation: sanctions (silence, suspension) with their appeal, and the moderation log.

A sanction is active while it is not lifted and its end is in the future, so it ends by itself at `ends_at`; no
job has to run. A member appeals a sanction at most once; a moderator decides the appeal with a reason. Every
moderator action (and a few the system takes, such as noting a member who hit the flag cap) is one row of
`ModerationAction`, append-only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SanctionKind(models.TextChoices):
    SILENCE = "silence", _("Silenced")
    SUSPEND = "suspend", _("Suspended")


class Sanction(models.Model):
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sanctions")
    kind = models.CharField(_("kind"), max_length=8, choices=SanctionKind.choices)
    reason = models.TextField(_("reason"), max_length=2000)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(_("ends"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lift_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["member", "ends_at"])]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="sanction_ends")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.member_id} until {self.ends_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None and self.starts_at <= timezone.now() < self.ends_at


class AppealStatus(models.TextChoices):
    OPEN = "open", _("Waiting for a moderator")
    GRANTED = "granted", _("Granted: the sanction was lifted")
    DENIED = "denied", _("Denied: the sanction stands")


class Appeal(models.Model):
    sanction = models.OneToOneField(Sanction, on_delete=models.CASCADE, related_name="appeal")
    text = models.TextField(_("your appeal"), max_length=2000)
    status = models.CharField(max_length=8, choices=AppealStatus.choices, default=AppealStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Appeal of sanction {self.sanction_id} ({self.status})"


class ModerationActionKind(models.TextChoices):
    HIDE = "hide", _("Post hidden")
    RESTORE = "restore", _("Post restored")
    SILENCE = "silence", _("Member silenced")
    SUSPEND = "suspend", _("Member suspended")
    LIFT = "lift", _("Sanction lifted")
    APPEAL_DECIDED = "appeal_decided", _("Appeal decided")
    FLAG_DISMISSED = "flag_dismissed", _("Flags dismissed")
    TRUST_LOCKED = "trust_locked", _("Trust level locked")
    FLAG_CAP = "flag_cap", _("Member hit the daily flag cap")


class ModerationAction(models.Model):
    """One line of the moderation log. `actor` is empty for what the system noted by itself."""

    action = models.CharField(max_length=16, choices=ModerationActionKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="moderation_actions"
    )
    post = models.ForeignKey("community.Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    sanction = models.ForeignKey(Sanction, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("moderation log entry")
        verbose_name_plural = _("moderation log")

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.created_at:%Y-%m-%d %H:%M})"
