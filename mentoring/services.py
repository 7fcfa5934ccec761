"""Writes for mentoring: mentor and mentee profiles, the mentorship state machine (one service per transition),
sessions, goals, ratings, the intake, and milestones.

Every state change locks the mentorship row, checks `TRANSITIONS`, writes a `MentorshipEvent` and leaves
notifications to `transaction.on_commit` (through `community.notifications.services.notification_send`). A
mentorship that is not the member's own is an `Http404`, exactly like one that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from community.models import Member, NotificationKind, Role, RoleGrant
from community.notifications.services import notification_send
from community.services import member_roles_set, profile_update
from listings.models import Category, ListingStatus
from listings.selectors import listings_of_seller
from mentoring import matching, selectors
from mentoring.models import (
    ENGAGED_STATES,
    OPEN_STATES,
    EndReason,
    Goal,
    MenteeProfile,
    MentorProfile,
    Mentorship,
    MentorshipEvent,
    MentorshipOrigin,
    MentorshipRating,
    MentorshipSession,
    MentorshipState,
    Milestone,
    MilestoneKind,
    MilestoneProgress,
    OutcomeSnapshot,
    RatingSide,
    SnapshotKind,
    Track,
)
from mentoring.outcomes import seller_outcome
from orders.hooks import seller_order_stats

State = MentorshipState

# The state machine: which state each state may become. Terminal states have no way out.
TRANSITIONS: dict[str, set[str]] = {
    State.PROPOSED: {State.ACCEPTED, State.ENDED},
    State.ACCEPTED: {State.ACTIVE, State.ENDED},
    State.ACTIVE: {State.COMPLETED, State.ENDED},
    State.COMPLETED: set(),
    State.ENDED: set(),
}

REQUESTS_PER_DAY = 10  # mentorship requests a mentee may send in 24 hours
MAX_GOALS = 5  # goals a request may carry
MAX_GOALS_PER_MENTORSHIP = 10
MAX_SKILLS = 12
SESSION_WINDOW = timedelta(days=366)  # a session is logged at most a year either side of now
DEFAULT_REVIEW_AVERAGE = Decimal("4.5")
REVIEWS_FOR_MILESTONE = 10  # reviews a seller needs before their average counts for `ten_reviews_4_5`
# Orders that must have reached an outcome before the defect rate counts for `defect_rate_under`: one good order
# is not yet a rate.
DEFECT_RATE_MIN_ORDERS = 10

MENTOR_FIELDS = {"headline", "categories", "skills", "capacity", "availability", "accepting"}
MENTEE_FIELDS = {"track", "goals", "preferences", "categories", "skills_wanted"}
PROFILE_FIELDS = {"languages", "timezone", "seller_stage"}  # kept on community.Profile


# --- Profiles ----------------------------------------------------------------------------------------------------


def skills_clean(value: Any) -> list[str]:
    """Skills as typed ("Pricing, product photography") → distinct lower-case names, at most 12 of 40 characters."""
    if value is None:
        return []
    items = re.split(r"[,\n]", value) if isinstance(value, str) else [str(item) for item in value]
    cleaned: list[str] = []
    for item in items:
        name = " ".join(item.split()).lower()[:40].strip()
        if name and name not in cleaned:
            cleaned.append(name)
    if len(cleaned) > MAX_SKILLS:
        raise ValidationError(_("List at most %(n)s skills.") % {"n": MAX_SKILLS})
    return cleaned


def _categories_resolve(value: Iterable[Any]) -> list[Category]:
    values = list(value or [])
    ids = [v.pk if isinstance(v, Category) else int(v) for v in values if isinstance(v, Category) or str(v).isdigit()]
    categories = list(Category.objects.filter(pk__in=ids))
    if len(categories) != len(set(ids)) or len(ids) != len(values):
        raise ValidationError(_("Choose categories from the list."))
    if len(categories) > 10:
        raise ValidationError(_("Choose at most 10 categories."))
    return categories


def _split(data: dict[str, Any], own: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    unknown = set(data) - own - PROFILE_FIELDS
    if unknown:
        raise ValidationError({field: [_("This field cannot be changed.")] for field in sorted(unknown)})
    return {k: v for k, v in data.items() if k in own}, {k: v for k, v in data.items() if k in PROFILE_FIELDS}


def _community_profile_update(member: Member, data: dict[str, Any]) -> None:
    if not data:
        return
    if "languages" in data and not data["languages"]:
        raise ValidationError({"languages": [_("Choose at least one language you can meet in.")]})
    profile_update(member=member, data=data)


@transaction.atomic
def mentor_profile_upsert(*, member: Member, data: dict[str, Any]) -> MentorProfile:
    """Creates or updates the member's mentor profile and gives them the mentor role. Languages, time zone and
    seller stage are saved on their community profile."""
    own, shared = _split(data, MENTOR_FIELDS)
    errors: dict[str, list[str]] = {}
    profile = MentorProfile.objects.select_for_update().filter(member=member).first() or MentorProfile(member=member)
    categories = skills = None
    try:
        categories = _categories_resolve(own.pop("categories")) if "categories" in own else None
    except ValidationError as error:
        errors["categories"] = error.messages
    try:
        skills = skills_clean(own.pop("skills")) if "skills" in own else None
    except ValidationError as error:
        errors["skills"] = error.messages
    for field, value in own.items():
        setattr(profile, field, value)
    try:
        profile.full_clean(exclude=["member"])
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    _community_profile_update(member, shared)
    profile.save()
    if categories is not None:
        profile.categories.set(categories)
    if skills is not None:
        profile.skills.set(skills, clear=True)
    if not RoleGrant.objects.filter(member=member, role=Role.MENTOR).exists():
        current = set(RoleGrant.objects.filter(member=member).values_list("role", flat=True))
        member_roles_set(member=member, roles=(current & set(Role.self_service())) | {Role.MENTOR})
    return profile


@transaction.atomic
def mentee_profile_upsert(*, member: Member, data: dict[str, Any]) -> MenteeProfile:
    """Creates or updates the member's mentee profile (their track, goals and what they want to learn)."""
    own, shared = _split(data, MENTEE_FIELDS)
    errors: dict[str, list[str]] = {}
    profile = MenteeProfile.objects.select_for_update().filter(member=member).first() or MenteeProfile(member=member)
    categories = skills = None
    if "track" in own:
        track = own.pop("track")
        if not isinstance(track, Track):
            track = Track.objects.filter(pk=track).first() if str(track).isdigit() else None
        if track is None:
            errors["track"] = [_("Choose a track.")]
        else:
            profile.track = track
    try:
        categories = _categories_resolve(own.pop("categories")) if "categories" in own else None
    except ValidationError as error:
        errors["categories"] = error.messages
    try:
        skills = skills_clean(own.pop("skills_wanted")) if "skills_wanted" in own else None
    except ValidationError as error:
        errors["skills_wanted"] = error.messages
    for field, value in own.items():
        setattr(profile, field, value.strip() if isinstance(value, str) else value)
    if not (profile.goals or "").strip():
        errors.setdefault("goals", []).append(_("Say what you want to achieve."))
    try:
        profile.full_clean(exclude=["member", *errors])
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    _community_profile_update(member, shared)
    profile.save()
    if categories is not None:
        profile.categories.set(categories)
    if skills is not None:
        profile.skills_wanted.set(skills, clear=True)
    return profile


# --- The state machine -------------------------------------------------------------------------------------------


def _locked(mentorship_id: int, member: Member, *, side: str = "either") -> Mentorship:
    """The mentorship, locked, if `member` is its mentor (`side="mentor"`), its mentee (`"mentee"`) or either."""
    sides = {"mentor": ["mentor_id"], "mentee": ["mentee_id"], "either": ["mentor_id", "mentee_id"]}[side]
    mentorship = Mentorship.objects.select_for_update().filter(pk=mentorship_id).first()
    if mentorship is None or member.pk not in [getattr(mentorship, field) for field in sides]:
        raise Http404
    return mentorship


def _transition_check(mentorship: Mentorship, target: str) -> None:
    if target not in TRANSITIONS[mentorship.state]:
        raise ValidationError(
            _("A mentorship that is %(state)s cannot become %(target)s.")
            % {"state": mentorship.get_state_display().lower(), "target": State(target).label.lower()}
        )


def _transition(
    mentorship: Mentorship, target: str, *, actor: Member | None, note: str = "", fields: Iterable[str] = ()
) -> None:
    """Moves a locked mentorship to `target` if the table allows it, and writes the event."""
    _transition_check(mentorship, target)
    source = mentorship.state
    mentorship.state = target
    now = timezone.now()
    stamp = {State.ACCEPTED: "accepted_at", State.ACTIVE: "started_at"}.get(target, "closed_at")
    setattr(mentorship, stamp, now)
    mentorship.save(update_fields=["state", stamp, "updated_at", *fields])
    MentorshipEvent.objects.create(mentorship=mentorship, from_state=source, to_state=target, actor=actor, note=note)
    if target == State.ACTIVE:
        outcome_snapshot_take(mentorship=mentorship, kind=SnapshotKind.START)
    elif source == State.ACTIVE:  # completed, or ended early: the figures it closed on
        outcome_snapshot_take(mentorship=mentorship, kind=SnapshotKind.END)


def _notify(member_id: int, text: str, mentorship: Mentorship) -> None:
    member = Member.objects.filter(pk=member_id, is_active=True).first()
    if member is not None:
        notification_send(member=member, kind=NotificationKind.MENTORING, text=text, url=mentorship.get_absolute_url())


def _goals_clean(goals: Any) -> list[str]:
    items = goals.splitlines() if isinstance(goals, str) else list(goals or [])
    cleaned = [" ".join(str(item).split()) for item in items]
    cleaned = [item for item in cleaned if item]
    if not cleaned:
        raise ValidationError({"goals": [_("Give at least one goal.")]})
    if len(cleaned) > MAX_GOALS:
        raise ValidationError({"goals": [_("Give at most %(n)s goals.") % {"n": MAX_GOALS}]})
    if any(len(item) > 200 for item in cleaned):
        raise ValidationError({"goals": [_("Keep each goal under 200 characters.")]})
    return cleaned


@transaction.atomic
def mentorship_request(*, mentee: Member, mentor: Member, track: Track | None = None, goals: Any) -> Mentorship:
    """A mentee asks a mentor: a `proposed` mentorship the mentor accepts or declines.

    Refused when the mentee has no mentee profile, already has a mentor, has already asked this mentor, has sent
    `REQUESTS_PER_DAY` requests in the last 24 hours (error code `rate_limited`), or when the pair is not eligible
    in matching (no shared language, mentor at an earlier stage, no places left)."""
    mentee_profile = MenteeProfile.objects.select_for_update().filter(member=mentee).first()
    if mentee_profile is None:
        raise ValidationError(_("Tell us what you want to achieve first: fill in your mentee profile."))
    if mentor.pk == mentee.pk:
        raise ValidationError({"mentor": [_("You cannot mentor yourself.")]})
    cleaned_goals = _goals_clean(goals)
    since = timezone.now() - timedelta(hours=24)
    sent = Mentorship.objects.filter(mentee=mentee, origin=MentorshipOrigin.REQUEST, created_at__gte=since).count()
    if sent >= REQUESTS_PER_DAY:
        raise ValidationError(
            _("You have sent %(n)s requests today. Wait for answers, or try again tomorrow.") % {"n": sent},
            code="rate_limited",
        )
    if Mentorship.objects.filter(mentee=mentee, state__in=ENGAGED_STATES).exists():
        raise ValidationError(_("You already have a mentor. Complete or end that mentorship first."))
    if Mentorship.objects.filter(mentee=mentee, mentor=mentor, state__in=OPEN_STATES).exists():
        raise ValidationError({"mentor": [_("You have already asked this mentor.")]})
    match = selectors.mentoring_match(mentee=mentee, mentor=mentor)
    if match is None:
        raise ValidationError({"mentor": [_("This member is not taking mentees.")]})
    if not match.eligible:
        reasons = ", ".join(str(reason) for reason in match.reasons)
        raise ValidationError({"mentor": [_("This mentor cannot take you on: %(reasons)s.") % {"reasons": reasons}]})
    mentorship = Mentorship.objects.create(
        mentor=mentor,
        mentee=mentee,
        track=track or mentee_profile.track,
        state=State.PROPOSED,
        origin=MentorshipOrigin.REQUEST,
        score=match.score,
    )
    Goal.objects.bulk_create([Goal(mentorship=mentorship, text=text) for text in cleaned_goals])
    MentorshipEvent.objects.create(mentorship=mentorship, from_state="", to_state=State.PROPOSED, actor=mentee)
    _notify(mentor.pk, _("%(name)s asks you to be their mentor.") % {"name": mentee.display_name}, mentorship)
    return mentorship


@transaction.atomic
def mentorship_accept(*, mentorship_id: int, mentor: Member) -> Mentorship:
    """The mentor takes the mentee on, within their capacity.

    Capacity holds under concurrency: the mentor profile row is locked before the places are counted, so two
    acceptances by one mentor run one after the other. The mentee profile is locked next, so two mentors accepting
    the same mentee cannot both win. The mentee's other waiting requests end."""
    profile = MentorProfile.objects.select_for_update().filter(member=mentor).first()
    mentee_id = Mentorship.objects.filter(pk=mentorship_id, mentor=mentor).values_list("mentee_id", flat=True).first()
    if mentee_id is None:
        raise Http404
    # Locks in one order everywhere (mentor profile, mentee profile, mentorships), so concurrent acceptances queue
    # instead of deadlocking.
    MenteeProfile.objects.select_for_update().filter(member_id=mentee_id).first()
    mentorship = _locked(mentorship_id, mentor, side="mentor")
    _transition_check(mentorship, State.ACCEPTED)
    engaged = Mentorship.objects.filter(mentor=mentor, state__in=ENGAGED_STATES).count()
    capacity = profile.capacity if profile is not None else 0
    if engaged >= capacity:
        raise ValidationError(
            _("You have no places left (%(capacity)s mentees at a time). Complete a mentorship or raise your capacity.")
            % {"capacity": capacity}
        )
    if Mentorship.objects.filter(mentee_id=mentorship.mentee_id, state__in=ENGAGED_STATES).exists():
        raise ValidationError(_("This member already has a mentor."))
    _transition(mentorship, State.ACCEPTED, actor=mentor)
    others = Mentorship.objects.select_for_update().filter(mentee_id=mentorship.mentee_id, state=State.PROPOSED)
    for other in others.exclude(pk=mentorship.pk).order_by("pk"):
        other.end_reason = EndReason.SUPERSEDED
        _transition(other, State.ENDED, actor=None, fields=["end_reason"])
        _notify(other.mentor_id, _("A request to you was withdrawn: another mentor accepted first."), other)
    _notify(
        mentorship.mentee_id, _("%(name)s accepted you as their mentee.") % {"name": mentor.display_name}, mentorship
    )
    return mentorship


@transaction.atomic
def mentorship_decline(*, mentorship_id: int, mentor: Member, note: str = "") -> Mentorship:
    mentorship = _locked(mentorship_id, mentor, side="mentor")
    if mentorship.state != State.PROPOSED:
        raise ValidationError(_("Only a request that is waiting can be declined."))
    mentorship.end_reason = EndReason.DECLINED
    mentorship.end_note = (note or "").strip()[:1000]
    _transition(mentorship, State.ENDED, actor=mentor, note=mentorship.end_note, fields=["end_reason", "end_note"])
    _notify(
        mentorship.mentee_id, _("%(name)s cannot mentor you right now.") % {"name": mentor.display_name}, mentorship
    )
    return mentorship


@transaction.atomic
def mentorship_withdraw(*, mentorship_id: int, mentee: Member) -> Mentorship:
    mentorship = _locked(mentorship_id, mentee, side="mentee")
    if mentorship.state != State.PROPOSED:
        raise ValidationError(_("Only a request that is waiting can be withdrawn."))
    mentorship.end_reason = EndReason.WITHDRAWN
    _transition(mentorship, State.ENDED, actor=mentee, fields=["end_reason"])
    return mentorship


@transaction.atomic
def mentorship_start(*, mentorship_id: int, by: Member) -> Mentorship:
    mentorship = _locked(mentorship_id, by)
    _transition(mentorship, State.ACTIVE, actor=by)
    return mentorship


@transaction.atomic
def mentorship_complete(*, mentorship_id: int, by: Member) -> Mentorship:
    """Either member marks the mentorship done; then each may rate the other once."""
    mentorship = _locked(mentorship_id, by)
    _transition(mentorship, State.COMPLETED, actor=by)
    other = mentorship.mentee_id if by.pk == mentorship.mentor_id else mentorship.mentor_id
    _notify(other, _("Your mentorship is complete. Rate how it went."), mentorship)
    return mentorship


@transaction.atomic
def mentorship_end(*, mentorship_id: int, by: Member, reason: str) -> Mentorship:
    """Either member stops an open mentorship early; the reason is kept and shown to both."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say briefly why it ends.")]})
    if len(reason) > 1000:
        raise ValidationError({"reason": [_("Keep the reason under 1000 characters.")]})
    mentorship = _locked(mentorship_id, by)
    mentorship.end_reason = EndReason.STOPPED
    mentorship.end_note = reason
    _transition(mentorship, State.ENDED, actor=by, note=reason, fields=["end_reason", "end_note"])
    other = mentorship.mentee_id if by.pk == mentorship.mentor_id else mentorship.mentor_id
    _notify(other, _("%(name)s ended your mentorship.") % {"name": by.display_name}, mentorship)
    return mentorship


# --- Sessions, goals, ratings ------------------------------------------------------------------------------------


@transaction.atomic
def session_log(
    *, mentorship_id: int, by: Member, scheduled_at: datetime, duration_minutes: int, notes: str = ""
) -> MentorshipSession:
    """Logs a session (held, or planned when in the future). The first session of an accepted mentorship starts it."""
    mentorship = _locked(mentorship_id, by)
    if mentorship.state not in ENGAGED_STATES:
        raise ValidationError(_("Sessions are logged while a mentorship is accepted or active."))
    errors: dict[str, list[str]] = {}
    if scheduled_at is None or timezone.is_naive(scheduled_at):
        errors["scheduled_at"] = [_("Give the date and time of the session.")]
    elif abs(scheduled_at - timezone.now()) > SESSION_WINDOW:
        errors["scheduled_at"] = [_("Give a date within a year from today.")]
    if not isinstance(duration_minutes, int) or not 10 <= duration_minutes <= 480:
        errors["duration_minutes"] = [_("A session lasts between 10 and 480 minutes.")]
    notes = (notes or "").strip()
    if len(notes) > 5000:
        errors["notes"] = [_("Keep the notes under 5000 characters.")]
    if errors:
        raise ValidationError(errors)
    if mentorship.state == State.ACCEPTED:
        _transition(mentorship, State.ACTIVE, actor=by, note=_("First session logged."))
    session = MentorshipSession.objects.create(
        mentorship=mentorship, scheduled_at=scheduled_at, duration_minutes=duration_minutes, notes=notes, logged_by=by
    )
    other = mentorship.mentee_id if by.pk == mentorship.mentor_id else mentorship.mentor_id
    _notify(other, _("%(name)s logged a mentoring session.") % {"name": by.display_name}, mentorship)
    return session


@transaction.atomic
def goal_add(*, mentorship_id: int, by: Member, text: str) -> Goal:
    mentorship = _locked(mentorship_id, by)
    if mentorship.state not in OPEN_STATES:
        raise ValidationError(_("Goals change only while the mentorship is open."))
    text = " ".join((text or "").split())
    if not text:
        raise ValidationError({"text": [_("Describe the goal.")]})
    if len(text) > 200:
        raise ValidationError({"text": [_("Keep each goal under 200 characters.")]})
    if mentorship.goals.count() >= MAX_GOALS_PER_MENTORSHIP:
        raise ValidationError({"text": [_("A mentorship has at most %(n)s goals.") % {"n": MAX_GOALS_PER_MENTORSHIP}]})
    return Goal.objects.create(mentorship=mentorship, text=text)


@transaction.atomic
def goal_progress_set(*, goal_id: int, by: Member, progress: int) -> Goal:
    goal = Goal.objects.filter(pk=goal_id).first()
    if goal is None:
        raise Http404
    mentorship = _locked(goal.mentorship_id, by)
    if mentorship.state not in ENGAGED_STATES:
        raise ValidationError(_("Progress is tracked once the mentor has accepted, until the mentorship closes."))
    if not isinstance(progress, int) or not 0 <= progress <= 100:
        raise ValidationError({"progress": [_("Give the progress as a percentage from 0 to 100.")]})
    goal.progress = progress
    goal.save(update_fields=["progress", "updated_at"])
    return goal


@transaction.atomic
def mentorship_rate(*, mentorship_id: int, by: Member, score: int, comment: str = "") -> MentorshipRating:
    """Each member rates the other once, and only after the mentorship is completed. The mentee's ratings feed
    the mentor's rating in matching."""
    mentorship = _locked(mentorship_id, by)
    if mentorship.state != State.COMPLETED:
        raise ValidationError(_("You can rate a mentorship once it is completed."))
    side = RatingSide.MENTOR if by.pk == mentorship.mentor_id else RatingSide.MENTEE
    if MentorshipRating.objects.filter(mentorship=mentorship, side=side).exists():
        raise ValidationError(_("You have already rated this mentorship."))
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError({"score": [_("Give a rating from 1 to 5.")]})
    comment = (comment or "").strip()
    if len(comment) > 2000:
        raise ValidationError({"comment": [_("Keep the comment under 2000 characters.")]})
    return MentorshipRating.objects.create(mentorship=mentorship, side=side, author=by, score=score, comment=comment)


# --- Intake ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntakeResult:
    assignment: matching.Assignment
    mentorships: tuple[Mentorship, ...]

    @property
    def total_score(self) -> int:
        return self.assignment.total_score


@transaction.atomic
def intake_run(
    *, mentees: Iterable[MenteeProfile], mentors: Iterable[MentorProfile], actor: Member | None = None
) -> IntakeResult:
    """Assigns a pool of mentees to mentors at once (`matching.intake`, maximising the total score) and proposes a
    mentorship for each pair; each mentor still accepts or declines.

    The mentors' rows are locked for the run, and their waiting proposals count against their places, so an intake
    never proposes more mentees than a mentor could accept. Mentees with an open mentorship are left out."""
    mentor_ids = sorted({profile.pk for profile in mentors})
    mentee_ids = sorted({profile.pk for profile in mentees})
    list(MentorProfile.objects.select_for_update().filter(pk__in=mentor_ids).order_by("pk").values_list("pk"))
    list(MenteeProfile.objects.select_for_update().filter(pk__in=mentee_ids).order_by("pk").values_list("pk"))
    mentor_rows = list(selectors.mentors_for_matching().filter(pk__in=mentor_ids))
    mentee_rows = list(selectors.mentees_without_mentor().filter(pk__in=mentee_ids))
    assignment = matching.intake(
        selectors.mentee_match_profiles(mentee_rows),
        [selectors.mentor_match_profile(row, count_proposed=True) for row in mentor_rows],
    )
    by_member = {row.member_id: row for row in mentee_rows}
    created: list[Mentorship] = []
    for match in assignment.matches:
        mentee_profile = by_member[match.mentee_id]
        mentorship = Mentorship.objects.create(
            mentor_id=match.mentor_id,
            mentee_id=match.mentee_id,
            track=mentee_profile.track,
            state=State.PROPOSED,
            origin=MentorshipOrigin.INTAKE,
            score=match.score,
        )
        goals = [" ".join(line.split())[:200] for line in mentee_profile.goals.splitlines() if line.strip()]
        Goal.objects.bulk_create([Goal(mentorship=mentorship, text=text) for text in goals[:MAX_GOALS]])
        MentorshipEvent.objects.create(
            mentorship=mentorship, from_state="", to_state=State.PROPOSED, actor=actor, note=_("Proposed by an intake.")
        )
        _notify(match.mentor_id, _("The intake proposes a new mentee for you."), mentorship)
        created.append(mentorship)
    return IntakeResult(assignment=assignment, mentorships=tuple(created))


# --- Milestones --------------------------------------------------------------------------------------------------


def _threshold_met(milestone: Milestone, value: Decimal | None) -> bool:
    if milestone.kind == MilestoneKind.DEFECT_RATE_UNDER:
        return value is not None and milestone.threshold is not None and value < milestone.threshold
    if milestone.kind == MilestoneKind.TEN_REVIEWS_4_5:
        return value is None or value >= (milestone.threshold or DEFAULT_REVIEW_AVERAGE)
    return True


@transaction.atomic
def milestone_achieve(
    *, member: Member, kind: str, value: Decimal | float | None = None, marked_by: Member | None = None
) -> list[MilestoneProgress]:
    """Records that `member` reached every milestone of `kind` (in any track, so switching tracks keeps them).
    Returns the milestones newly reached; calling it again is harmless.

    The hook for other apps, `orders` above all (call it after the order commits, with these kinds):
    - `first_sale`: when the member's first order as a seller completes; no value.
    - `ten_reviews_4_5`: when the seller has ten or more reviews; `value` is their average rating (the milestone's
      threshold, 4.5 unless set, is the lowest average that counts).
    - `defect_rate_under`: `value` is the seller's current defect rate in percent; milestones whose threshold it is
      under are reached.
    `first_listing` is worked out by `milestones_check`. Custom milestones are marked one by one (`milestone_mark`)."""
    if kind not in MilestoneKind.values or kind == MilestoneKind.CUSTOM:
        raise ValidationError({"kind": [_("Unknown milestone kind.")]})
    measured = None if value is None else Decimal(str(value))
    reached = set(
        MilestoneProgress.objects.filter(member=member, milestone__kind=kind).values_list("milestone_id", flat=True)
    )
    new = [
        MilestoneProgress(member=member, milestone=milestone, marked_by=marked_by)
        for milestone in Milestone.objects.filter(kind=kind).exclude(pk__in=reached)
        if _threshold_met(milestone, measured)
    ]
    MilestoneProgress.objects.bulk_create(new, ignore_conflicts=True)
    return new


def milestones_check(*, member: Member) -> list[MilestoneProgress]:
    """Works out the milestones mentoring can see for itself: `first_listing` once a listing of the member's is
    published. The others come from `milestone_achieve` calls by the apps that know (orders)."""
    if listings_of_seller(seller=member, status=ListingStatus.PUBLISHED).exists():
        return milestone_achieve(member=member, kind=MilestoneKind.FIRST_LISTING)
    return []


@transaction.atomic
def milestone_mark(*, milestone_id: int, member: Member, by: Member) -> MilestoneProgress:
    """A custom milestone of the member's track, marked reached by the member or by their current mentor."""
    mentee_profile = MenteeProfile.objects.filter(member=member).first()
    milestone = Milestone.objects.filter(pk=milestone_id, kind=MilestoneKind.CUSTOM).first()
    allowed = (
        by.pk == member.pk or Mentorship.objects.filter(mentor=by, mentee=member, state__in=ENGAGED_STATES).exists()
    )
    if milestone is None or mentee_profile is None or milestone.track_id != mentee_profile.track_id or not allowed:
        raise Http404
    progress, _created = MilestoneProgress.objects.get_or_create(
        member=member, milestone=milestone, defaults={"marked_by": by}
    )
    return progress


@transaction.atomic
def milestones_refresh(*, member: Member) -> list[MilestoneProgress]:
    """Re-checks every milestone marketplace data can show, for one seller, and records those newly reached:
    a published listing, a completed sale, `REVIEWS_FOR_MILESTONE` reviews with their average, and the order
    defect rate once `DEFECT_RATE_MIN_ORDERS` orders have reached an outcome. Milestones are never taken back.

    Called by the receivers when an order completes or is resolved and when reviews are published, and when the
    member opens their track."""
    reached = milestones_check(member=member)
    stats = seller_order_stats(seller_ids=[member.pk])[member.pk]
    if stats.sales:
        reached += milestone_achieve(member=member, kind=MilestoneKind.FIRST_SALE)
    if stats.review_count >= REVIEWS_FOR_MILESTONE:
        reached += milestone_achieve(member=member, kind=MilestoneKind.TEN_REVIEWS_4_5, value=stats.review_average)
    if stats.defect_window >= DEFECT_RATE_MIN_ORDERS:
        reached += milestone_achieve(member=member, kind=MilestoneKind.DEFECT_RATE_UNDER, value=stats.defect_rate)
    return reached


# --- Outcomes ----------------------------------------------------------------------------------------------------


def outcome_snapshot_take(*, mentorship: Mentorship, kind: str) -> OutcomeSnapshot:
    """Stores the mentee's figures now as the mentorship's `start` or `end`; the first one of each kind stays."""
    outcome = seller_outcome(member=mentorship.mentee)
    snapshot, _created = OutcomeSnapshot.objects.get_or_create(
        mentorship=mentorship,
        kind=kind,
        defaults={
            "taken_at": timezone.now(),
            **{field: getattr(outcome, field) for field in outcome.__dataclass_fields__},
        },
    )
    return snapshot


@transaction.atomic
def mentorship_insight_consent_set(*, mentorship_id: int, mentee: Member, consent: bool) -> Mentorship:
    """The mentee lets their mentor see their figures (beside anonymised peer medians), or takes it back. Only the
    mentee decides: for anyone else the mentorship does not exist."""
    mentorship = _locked(mentorship_id, mentee, side="mentee")
    if not isinstance(consent, bool):
        raise ValidationError({"consent": [_("Choose whether your mentor may see your figures.")]})
    if mentorship.insight_consent != consent:
        mentorship.insight_consent = consent
        mentorship.insight_consent_at = timezone.now()
        mentorship.save(update_fields=["insight_consent", "insight_consent_at", "updated_at"])
        if consent:
            _notify(
                mentorship.mentor_id,
                _("%(name)s shares their shop's figures with you.") % {"name": mentee.display_name},
                mentorship,
            )
    return mentorship
