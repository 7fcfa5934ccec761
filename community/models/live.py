"""Live sessions: scheduled Q&A sessions and meetups with RSVPs, a live room (chat and a Q&A queue) and an archive
topic in the forums afterwards; and the ambassadors' terms.

A session moves scheduled -> ended (the host ends it, or the beat task finds it past its end) or scheduled ->
cancelled; `community.live.services` writes every transition under a lock on the session row. Seats: at most
`capacity` RSVPs are "going"; later ones wait in line by the time they asked, and move up when a seat frees.
A question's `upvote_count` is kept by the services under a lock on the question row, one vote per member.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .members import Role

DURATION_MIN_MINUTES = 15
DURATION_MAX_MINUTES = 8 * 60
CAPACITY_MAX = 10_000


class SessionVisibility(models.TextChoices):
    MEMBERS = "members", _("All members")
    ROLE = "role", _("Members with a role")
    INVITE = "invite", _("Invited members only")


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    ENDED = "ended", _("Ended")
    CANCELLED = "cancelled", _("Cancelled")


class LiveSession(models.Model):
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"),
        default=60,
        validators=[MinValueValidator(DURATION_MIN_MINUTES), MaxValueValidator(DURATION_MAX_MINUTES)],
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), default=100, validators=[MinValueValidator(1), MaxValueValidator(CAPACITY_MAX)]
    )
    # Kept from starts_at and duration_minutes by save(), so that "not over yet" is a plain indexed filter.
    ends_at = models.DateTimeField(_("ends at"), editable=False)
    topic = models.CharField(_("topic"), max_length=80, blank=True)
    # A region is one of the forum's regional categories: the same regions ambassadors serve.
    region = models.ForeignKey(
        "community.ForumCategory",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="live_sessions",
        limit_choices_to={"facet": "region"},
        verbose_name=_("region"),
    )
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="hosted_live_sessions", verbose_name=_("host")
    )
    visibility = models.CharField(
        _("open to"), max_length=8, choices=SessionVisibility.choices, default=SessionVisibility.MEMBERS
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)
    invitees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="live_session_invitations", verbose_name=_("invited")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    # Bumped on every change calendars should pick up (RFC 5545 SEQUENCE).
    sequence = models.PositiveIntegerField(default=0, editable=False)
    archive_topic = models.ForeignKey(
        "community.Topic", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("live session")
        verbose_name_plural = _("live sessions")
        indexes = [models.Index(fields=["status", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(visibility="role") | ~Q(role=""), name="live_session_role_when_restricted"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="live_session_capacity_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.ends_at = self.starts_at + timedelta(minutes=self.duration_minutes)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"starts_at", "duration_minutes"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "ends_at"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("live:session", kwargs={"pk": self.pk})

    @property
    def is_scheduled(self) -> bool:
        return self.status == SessionStatus.SCHEDULED

    @property
    def is_past(self) -> bool:
        return self.ends_at <= timezone.now()


class RSVPStatus(models.TextChoices):
    GOING = "going", _("Going")
    WAITLIST = "waitlist", _("On the waitlist")


class LiveRSVP(models.Model):
    """A member's place in a session: going (holds a seat) or waiting for one. Cancelling deletes the row."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="rsvps")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_rsvps")
    status = models.CharField(_("status"), max_length=8, choices=RSVPStatus.choices, default=RSVPStatus.GOING)
    created_at = models.DateTimeField(default=timezone.now)
    # Reminders already sent (claimed atomically by the beat task, so a doubled run sends nothing twice).
    reminded_day_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_hour_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("RSVP")
        verbose_name_plural = _("RSVPs")
        constraints = [models.UniqueConstraint(fields=["session", "member"], name="unique_live_rsvp")]
        indexes = [models.Index(fields=["session", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.member_id}@{self.session_id}:{self.status}"


class LiveQuestion(models.Model):
    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="questions")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_questions")
    body = models.CharField(_("question"), max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    upvote_count = models.PositiveIntegerField(default=0, editable=False)
    pinned = models.BooleanField(_("pinned"), default=False)
    answered_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        # The queue: pinned first, then open questions by votes, answered ones last.
        ordering = ["-pinned", F("answered_at").asc(nulls_first=True), "-upvote_count", "created_at", "id"]
        verbose_name = _("live question")
        verbose_name_plural = _("live questions")
        indexes = [models.Index(fields=["session", "created_at"])]

    def __str__(self) -> str:
        return self.body[:60]


class LiveQuestionVote(models.Model):
    question = models.ForeignKey(LiveQuestion, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["question", "member"], name="unique_live_question_vote")]

    def __str__(self) -> str:
        return f"{self.member_id}->{self.question_id}"


class LiveChatMessage(models.Model):
    """Plain text, shown escaped; the transcript of the archive is made of these."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="chat_messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.CharField(_("message"), max_length=500)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["session", "created_at"])]

    def __str__(self) -> str:
        return self.body[:60]


class CalendarFeedToken(models.Model):
    """The secret in a member's personal calendar feed URL. Revoking deletes it; a new one makes a new URL."""

    member = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"feed:{self.member_id}"


class AmbassadorTerm(models.Model):
    """A rotating programme: during `starts_on`..`ends_on` (inclusive) the member is an ambassador of `region`:
    the badge shows by their name, they host live sessions and pin topics in the region's forum categories."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ambassador_terms", verbose_name=_("member")
    )
    region = models.ForeignKey(
        "community.ForumCategory",
        on_delete=models.PROTECT,
        related_name="ambassador_terms",
        limit_choices_to={"facet": "region"},
        verbose_name=_("region"),
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    class Meta:
        ordering = ["-starts_on", "id"]
        verbose_name = _("ambassador term")
        verbose_name_plural = _("ambassador terms")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="ambassador_term_ends_after_start")
        ]
        indexes = [models.Index(fields=["starts_on", "ends_on"])]

    def __str__(self) -> str:
        return f"{self.member} · {self.region} ({self.starts_on}–{self.ends_on})"

    @property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return self.starts_on <= today <= self.ends_on


def ambassadors_cache_key(on) -> str:
    """The cache key of the ids of members in an ambassador term on that day (see community.live.selectors)."""
    return f"live:ambassadors:{on.isoformat()}"


@receiver([post_save, post_delete], sender=AmbassadorTerm, dispatch_uid="live_ambassadors_cache_clear")
def _ambassadors_cache_clear(sender, **kwargs) -> None:
    today = timezone.localdate()
    cache.delete_many([ambassadors_cache_key(today + timedelta(days=offset)) for offset in (-1, 0, 1)])
