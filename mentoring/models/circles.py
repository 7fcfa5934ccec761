"""Coaching circles: 4 to 8 sellers at a similar stage who meet on a regular rhythm with a facilitator, and their
shared thread."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from community.models import SellerStage

CIRCLE_MIN_SIZE = 4
CIRCLE_MAX_SIZE = 8


class MeetingFrequency(models.TextChoices):
    WEEKLY = "weekly", _("Every week")
    FORTNIGHTLY = "fortnightly", _("Every two weeks")
    MONTHLY = "monthly", _("Every month")


class CoachingCircle(models.Model):
    """A group of peers with a facilitator. `max_members` (4 to 8) caps the members, not counting the facilitator;
    the row is locked by every service that adds a member, so the cap holds when many join at once. A circle with
    fewer than `CIRCLE_MIN_SIZE` members is still forming.

    Meetings recur from `first_meeting_at` by `frequency`, reckoned in `timezone` so they keep their local time
    across daylight-saving changes."""

    name = models.CharField(_("name"), max_length=120)
    stage = models.CharField(_("seller stage"), max_length=16, choices=SellerStage.choices)
    description = models.TextField(_("what the circle is about"), max_length=2000, blank=True)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="circles_facilitated"
    )
    max_members = models.PositiveSmallIntegerField(
        _("members at most"),
        default=6,
        validators=[MinValueValidator(CIRCLE_MIN_SIZE), MaxValueValidator(CIRCLE_MAX_SIZE)],
    )
    open_to_requests = models.BooleanField(
        _("sellers at this stage may ask to join"), default=True, help_text=_("You still approve each request.")
    )
    frequency = models.CharField(
        _("meets"), max_length=12, choices=MeetingFrequency.choices, default=MeetingFrequency.FORTNIGHTLY
    )
    first_meeting_at = models.DateTimeField(_("first meeting"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("length (minutes)"), default=60, validators=[MinValueValidator(15), MaxValueValidator(240)]
    )
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    meeting_url = models.URLField(_("where you meet (video link)"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("coaching circle")
        verbose_name_plural = _("coaching circles")
        constraints = [
            models.CheckConstraint(
                condition=Q(max_members__gte=CIRCLE_MIN_SIZE, max_members__lte=CIRCLE_MAX_SIZE),
                name="mentoring_circle_size_4_8",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("mentoring:circle", kwargs={"pk": self.pk})


class CircleMemberState(models.TextChoices):
    REQUESTED = "requested", _("Asked to join")
    MEMBER = "member", _("Member")


class CircleMember(models.Model):
    """A member of a circle, or a seller who asked to join and waits for the facilitator."""

    circle = models.ForeignKey(CoachingCircle, on_delete=models.CASCADE, related_name="memberships")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="circle_memberships")
    state = models.CharField(max_length=10, choices=CircleMemberState.choices, default=CircleMemberState.MEMBER)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    joined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at", "created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["circle", "member"], name="mentoring_circle_member_once")]
        indexes = [models.Index(fields=["member", "state"])]

    def __str__(self) -> str:
        return f"{self.member_id} in {self.circle_id} ({self.state})"


class CirclePost(models.Model):
    """A message in the circle's thread. Markdown, rendered and sanitised (nh3) once, when written."""

    circle = models.ForeignKey(CoachingCircle, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField(_("message"), max_length=5000)
    body_html = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["circle", "created_at"])]

    def __str__(self) -> str:
        return f"post {self.pk} in {self.circle_id}"
