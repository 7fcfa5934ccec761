"""Trust levels (the rules are in `community.trust`): each member's stored level and the daily visits it counts.

`MemberTrust.level` is what the gates read; `community.trust.trust_levels_refresh` recomputes it nightly and the
member's own trust page recomputes it on view. A moderator may lock a level: `locked_level` then wins over the
computed one until unlocked.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TrustLevel(models.IntegerChoices):
    NEW = 0, _("New member")
    BASIC = 1, _("Basic member")
    MEMBER = 2, _("Member")
    REGULAR = 3, _("Regular")
    LEADER = 4, _("Leader")


class MemberTrust(models.Model):
    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="trust"
    )
    level = models.PositiveSmallIntegerField(_("trust level"), choices=TrustLevel.choices, default=TrustLevel.NEW)
    locked_level = models.PositiveSmallIntegerField(
        _("locked at level"), choices=TrustLevel.choices, null=True, blank=True
    )
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # When the member reached their current level (level 3 cannot be lost in its first two weeks).
    level_since = models.DateTimeField(default=timezone.now)
    computed_at = models.DateTimeField(null=True, blank=True)
    # The figures of the last computation, keyed by metric, shown on the trust page.
    figures = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("member trust")
        verbose_name_plural = _("member trust")

    def __str__(self) -> str:
        return f"{self.member_id}: TL{self.level}"


class MemberVisit(models.Model):
    """One row per member per day they were signed in and used the site (written at most once a day)."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="visits")
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "day"], name="member_visit_once_a_day")]
        indexes = [models.Index(fields=["member", "-day"])]

    def __str__(self) -> str:
        return f"{self.member_id} on {self.day}"
