"""Mentorships: a request that becomes a mentorship, its audit trail, sessions, goals and the two ratings."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class MentorshipState(models.TextChoices):
    PROPOSED = "proposed", _("Requested")
    ACCEPTED = "accepted", _("Accepted")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    ENDED = "ended", _("Ended")


# States in which a mentorship is still open (a request waiting, or a mentor and mentee working together).
OPEN_STATES = (MentorshipState.PROPOSED, MentorshipState.ACCEPTED, MentorshipState.ACTIVE)
# States that take one of the mentor's places.
ENGAGED_STATES = (MentorshipState.ACCEPTED, MentorshipState.ACTIVE)


class EndReason(models.TextChoices):
    DECLINED = "declined", _("Declined by the mentor")
    WITHDRAWN = "withdrawn", _("Withdrawn by the mentee")
    SUPERSEDED = "superseded", _("Another mentor accepted first")
    STOPPED = "stopped", _("Stopped early")


class MentorshipOrigin(models.TextChoices):
    REQUEST = "request", _("Requested by the mentee")
    INTAKE = "intake", _("Proposed by an intake")


class Mentorship(models.Model):
    """One mentor and one mentee. Starts as a request (`proposed`); its state changes only through the services in
    `mentoring.services`, one per transition, each writing a `MentorshipEvent`.

    Invariants, kept by constraints as well as by the services: a pair has at most one open mentorship, and a mentee
    works with at most one mentor at a time."""

    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentorships_led")
    mentee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentorships")
    track = models.ForeignKey("mentoring.Track", on_delete=models.PROTECT, related_name="mentorships")
    state = models.CharField(
        max_length=10, choices=MentorshipState.choices, default=MentorshipState.PROPOSED, editable=False
    )
    origin = models.CharField(max_length=8, choices=MentorshipOrigin.choices, default=MentorshipOrigin.REQUEST)
    score = models.PositiveSmallIntegerField(
        _("match score"), default=0, help_text=_("The matching score when the mentorship was proposed (0-100).")
    )
    end_reason = models.CharField(_("why it ended"), max_length=10, choices=EndReason.choices, blank=True)
    end_note = models.TextField(_("note on ending"), max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The mentee lets the mentor see their outcome figures (anonymised insight); they may take it back at any time.
    insight_consent = models.BooleanField(_("mentor may see my shop's figures"), default=False, editable=False)
    insight_consent_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("mentorship")
        verbose_name_plural = _("mentorships")
        constraints = [
            models.CheckConstraint(condition=~Q(mentor=models.F("mentee")), name="mentoring_not_own_mentor"),
            models.UniqueConstraint(
                fields=["mentor", "mentee"],
                condition=Q(state__in=OPEN_STATES),
                name="mentoring_one_open_mentorship_per_pair",
            ),
            models.UniqueConstraint(
                fields=["mentee"],
                condition=Q(state__in=ENGAGED_STATES),
                name="mentoring_one_mentor_at_a_time",
            ),
        ]
        indexes = [
            models.Index(fields=["mentor", "state"]),
            models.Index(fields=["mentee", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.mentor} → {self.mentee} ({self.state})"

    def get_absolute_url(self) -> str:
        return reverse("mentoring:mentorship", kwargs={"pk": self.pk})

    def is_party(self, member) -> bool:
        return member.pk in (self.mentor_id, self.mentee_id)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_engaged(self) -> bool:
        return self.state in ENGAGED_STATES


class MentorshipEvent(models.Model):
    """The audit trail: one row per state change, written by the service that made it; never updated."""

    mentorship = models.ForeignKey(Mentorship, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=10, choices=MentorshipState.choices, blank=True)
    to_state = models.CharField(max_length=10, choices=MentorshipState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.mentorship_id}: {self.from_state or '-'} → {self.to_state}"


class MentorshipSession(models.Model):
    """A meeting of the two, logged by either of them; one in the future is planned, one in the past was held."""

    mentorship = models.ForeignKey(Mentorship, on_delete=models.CASCADE, related_name="sessions")
    scheduled_at = models.DateTimeField(_("when"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("length (minutes)"), default=60, validators=[MinValueValidator(10), MaxValueValidator(480)]
    )
    notes = models.TextField(_("notes"), max_length=5000, blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    logged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-scheduled_at", "-id"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    def __str__(self) -> str:
        return f"{self.mentorship_id} @ {self.scheduled_at:%Y-%m-%d %H:%M}"


class Goal(models.Model):
    """Something the mentee wants to achieve in this mentorship, with how far along it is."""

    mentorship = models.ForeignKey(Mentorship, on_delete=models.CASCADE, related_name="goals")
    text = models.CharField(_("goal"), max_length=200)
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(progress__lte=100), name="mentoring_goal_progress_0_100")]

    def __str__(self) -> str:
        return self.text


class RatingSide(models.TextChoices):
    """Who wrote the rating: the mentee rates the mentor, the mentor rates the mentee."""

    MENTEE = "mentee", _("The mentee's rating of the mentor")
    MENTOR = "mentor", _("The mentor's rating of the mentee")


class MentorshipRating(models.Model):
    """One rating per side, only once the mentorship is completed. Mentee-side ratings feed the mentor's score in
    matching."""

    mentorship = models.ForeignKey(Mentorship, on_delete=models.CASCADE, related_name="ratings")
    side = models.CharField(max_length=6, choices=RatingSide.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    score = models.PositiveSmallIntegerField(_("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mentorship", "side"], name="mentoring_one_rating_per_side"),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="mentoring_rating_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.mentorship_id}:{self.side}={self.score}"


class SnapshotKind(models.TextChoices):
    START = "start", _("At the start")
    END = "end", _("At the end")


class OutcomeSnapshot(models.Model):
    """The mentee's shop figures when the mentorship became active (`start`) and when it closed (`end`), so the
    two can be compared later. Written once each by the services that make those transitions; never updated.

    `conversion` is completed sales per published listing (listing views are not tracked), `defect_rate` a
    percentage of the last orders that reached an outcome (see `orders.hooks.seller_order_stats`)."""

    mentorship = models.ForeignKey(Mentorship, on_delete=models.CASCADE, related_name="snapshots")
    kind = models.CharField(max_length=5, choices=SnapshotKind.choices)
    taken_at = models.DateTimeField()
    listings = models.PositiveIntegerField(default=0)
    sales = models.PositiveIntegerField(default=0)
    conversion = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    review_count = models.PositiveIntegerField(default=0)
    review_average = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    defect_rate = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    defect_window = models.PositiveIntegerField(default=0)
    days_to_first_sale = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["mentorship", "taken_at"]
        constraints = [models.UniqueConstraint(fields=["mentorship", "kind"], name="mentoring_one_snapshot_per_kind")]
        verbose_name = _("outcome snapshot")
        verbose_name_plural = _("outcome snapshots")

    def __str__(self) -> str:
        return f"{self.mentorship_id}:{self.kind}"
