"""Reads for mentoring: tracks, profiles, matching profiles and ranked suggestions, the mentor's inbox, mentorship
pages and a member's track progress.

Matching (`mentoring.matching`) works on frozen dataclasses; the functions here build them from the models in a
fixed number of queries, whatever the number of mentors: the places taken and the ratings are subqueries of the
mentor query, categories and skills one prefetch each.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    Avg,
    Count,
    Exists,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.text import slugify

from community.models import Member, Role
from listings.models import Category, Listing
from mentoring import matching
from mentoring.models import (
    ENGAGED_STATES,
    OPEN_STATES,
    MenteeProfile,
    MentorProfile,
    Mentorship,
    MentorshipEvent,
    MentorshipRating,
    MentorshipSession,
    MentorshipState,
    Milestone,
    MilestoneProgress,
    RatingSide,
    Track,
)

SUGGESTION_LIMIT = 10


# --- Tracks ------------------------------------------------------------------------------------------------------


def tracks_ordered() -> list[Track]:
    """Every track, by stage (new, growing, established) then name."""
    return sorted(Track.objects.all(), key=lambda track: (matching.STAGE_RANK.get(track.stage, 99), track.name))


def track_for_stage(*, stage: str) -> Track | None:
    return Track.objects.filter(stage=stage).order_by("name", "pk").first()


# --- Profiles ----------------------------------------------------------------------------------------------------


def _categories_prefetch() -> Prefetch:
    return Prefetch("categories", queryset=Category.objects.only("id", "slug", "name", "path", "depth"))


def mentor_profile_of(*, member: Member) -> MentorProfile | None:
    return MentorProfile.objects.prefetch_related(_categories_prefetch(), "skills").filter(member=member).first()


def mentee_profiles() -> QuerySet[MenteeProfile]:
    return MenteeProfile.objects.select_related("member__profile", "track").prefetch_related(
        _categories_prefetch(), "skills_wanted"
    )


def mentee_profile_of(*, member: Member) -> MenteeProfile | None:
    return mentee_profiles().filter(member=member).first()


def member_listing_category_ids(*, member: Member) -> list[int]:
    """The categories the member lists in: a sensible start for the categories of their profiles."""
    return list(Listing.objects.filter(seller=member).values_list("category_id", flat=True).distinct().order_by())


# --- Matching profiles -------------------------------------------------------------------------------------------


def _count_of(queryset: QuerySet, group_by: str) -> Subquery:
    return Subquery(
        queryset.order_by().values(group_by).annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()
    )


def mentors_for_matching() -> QuerySet[MentorProfile]:
    """Mentors who can be suggested: the mentor role, accepting, an active account. Each row carries
    `engaged_count` (accepted or active mentorships), `proposed_count` (requests waiting), `rating_avg` and
    `rating_count` (their mentees' ratings), with the member's community profile, categories and skills."""
    mentorships = Mentorship.objects.filter(mentor=OuterRef("member_id"))
    ratings = MentorshipRating.objects.filter(mentorship__mentor=OuterRef("member_id"), side=RatingSide.MENTEE)
    return (
        MentorProfile.objects.filter(
            accepting=True,
            member__is_active=True,
            member__deleted_at__isnull=True,
            member__role_grants__role=Role.MENTOR,
        )
        .select_related("member__profile")
        .prefetch_related(_categories_prefetch(), "skills")
        .annotate(
            engaged_count=Coalesce(_count_of(mentorships.filter(state__in=ENGAGED_STATES), "mentor"), Value(0)),
            proposed_count=Coalesce(_count_of(mentorships.filter(state=MentorshipState.PROPOSED), "mentor"), Value(0)),
            rating_count=Coalesce(_count_of(ratings, "mentorship__mentor"), Value(0)),
            rating_avg=Subquery(
                ratings.order_by().values("mentorship__mentor").annotate(avg=Avg("score")).values("avg")[:1],
                output_field=FloatField(),
            ),
        )
        .order_by("pk")
    )


def mentees_without_mentor() -> QuerySet[MenteeProfile]:
    """Mentee profiles of active members with no open mentorship (no request waiting, no mentor): an intake's pool."""
    open_mentorship = Mentorship.objects.filter(mentee=OuterRef("member_id"), state__in=OPEN_STATES)
    return (
        mentee_profiles()
        .filter(member__is_active=True, member__deleted_at__isnull=True)
        .exclude(Exists(open_mentorship))
    )


def utc_offset_minutes(zone_name: str, at: datetime | None = None) -> int:
    """The zone's offset from UTC at `at` (now by default), in minutes; an unknown zone counts as UTC."""
    try:
        zone = zoneinfo.ZoneInfo(zone_name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return 0
    offset = (at or timezone.now()).astimezone(zone).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


def _community_profile(member: Member):
    profile = getattr(member, "profile", None)
    return profile


def _stage(profile) -> str:
    stage = getattr(profile, "seller_stage", "") or matching.STAGES[0]
    return stage if stage in matching.STAGE_RANK else matching.STAGES[0]


def mentor_match_profile(row: MentorProfile, *, count_proposed: bool = False) -> matching.MentorProfile:
    """The matching view of a row of `mentors_for_matching()`. Matching ids are member ids. An intake counts the
    waiting proposals as taken places (`count_proposed`), so it never proposes more than a mentor could accept."""
    profile = _community_profile(row.member)
    taken = row.engaged_count + (row.proposed_count if count_proposed else 0)
    return matching.MentorProfile(
        id=row.member_id,
        stage=_stage(profile),
        categories=frozenset(category.slug for category in row.categories.all()),
        skills=frozenset(slugify(tag.name) for tag in row.skills.all()),
        languages=frozenset(getattr(profile, "languages", None) or []),
        utc_offset_minutes=utc_offset_minutes(getattr(profile, "timezone", "UTC")),
        capacity=row.capacity,
        active_mentees=min(taken, row.capacity),
        rating=float(row.rating_avg) if row.rating_avg is not None else None,
        rating_count=row.rating_count,
    )


def _past_mentor_ids(mentee_ids: list[int]) -> dict[int, set[int]]:
    """Mentors each mentee worked with before (accepted, now closed): matching counts a repeat against them."""
    past: dict[int, set[int]] = {}
    rows = Mentorship.objects.filter(
        mentee_id__in=mentee_ids,
        accepted_at__isnull=False,
        state__in=[MentorshipState.COMPLETED, MentorshipState.ENDED],
    ).values_list("mentee_id", "mentor_id")
    for mentee_id, mentor_id in rows:
        past.setdefault(mentee_id, set()).add(mentor_id)
    return past


def mentee_match_profile(row: MenteeProfile, *, past_mentor_ids: set[int] | None = None) -> matching.MenteeProfile:
    profile = _community_profile(row.member)
    return matching.MenteeProfile(
        id=row.member_id,
        stage=_stage(profile),
        categories=frozenset(category.slug for category in row.categories.all()),
        skills_wanted=frozenset(slugify(tag.name) for tag in row.skills_wanted.all()),
        languages=frozenset(getattr(profile, "languages", None) or []),
        utc_offset_minutes=utc_offset_minutes(getattr(profile, "timezone", "UTC")),
        past_mentor_ids=frozenset(past_mentor_ids or ()),
    )


def mentee_match_profiles(rows: list[MenteeProfile]) -> list[matching.MenteeProfile]:
    """Matching views of many mentee rows, with their past mentors in one query."""
    past = _past_mentor_ids([row.member_id for row in rows])
    return [mentee_match_profile(row, past_mentor_ids=past.get(row.member_id)) for row in rows]


# --- Suggestions -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """A mentor ranked for a mentee: the mentor's row (with member and profile loaded) and the match behind it."""

    mentor: MentorProfile
    match: matching.Match
    requested: bool  # the mentee has a request waiting with this mentor

    @property
    def score(self) -> int:
        return self.match.score

    @property
    def reasons(self) -> tuple[str, ...]:
        return self.match.reasons

    @property
    def member(self) -> Member:
        return self.mentor.member


def mentoring_suggestions(*, mentee: Member, limit: int = SUGGESTION_LIMIT) -> list[Suggestion]:
    """The best mentors for a member with a mentee profile, highest score first, with the reasons.

    Seven queries whatever the number of mentors: the mentee (profile, categories, skills), their mentorships, the
    mentors (with places and ratings), the mentors' categories and skills."""
    row = mentee_profile_of(member=mentee)
    if row is None:
        return []
    history = list(Mentorship.objects.filter(mentee=mentee).values_list("mentor_id", "state", "accepted_at"))
    past = {mentor_id for mentor_id, state, accepted in history if accepted and state not in OPEN_STATES}
    waiting = {mentor_id for mentor_id, state, _accepted in history if state in OPEN_STATES}
    mentors = list(mentors_for_matching().exclude(member=mentee))
    matches = matching.suggestions(
        mentee_match_profile(row, past_mentor_ids=past), [mentor_match_profile(m) for m in mentors], limit=limit
    )
    by_member = {mentor.member_id: mentor for mentor in mentors}
    return [
        Suggestion(mentor=by_member[match.mentor_id], match=match, requested=match.mentor_id in waiting)
        for match in matches
    ]


def mentoring_match(*, mentee: Member, mentor: Member) -> matching.Match | None:
    """The match of one pair, or None when the mentor is not taking mentees (or the mentee has no profile)."""
    mentee_row = mentee_profile_of(member=mentee)
    mentor_row = mentors_for_matching().filter(member=mentor).first()
    if mentee_row is None or mentor_row is None:
        return None
    [mentee_profile] = mentee_match_profiles([mentee_row])
    return matching.score(mentor_match_profile(mentor_row), mentee_profile)


# --- Mentorships -------------------------------------------------------------------------------------------------


def _with_members(queryset: QuerySet[Mentorship]) -> QuerySet[Mentorship]:
    return queryset.select_related("mentor__profile", "mentee__profile", "track")


def mentor_inbox(*, mentor: Member) -> list[Mentorship]:
    """Requests waiting for the mentor, oldest first, with the mentee's profile and goals."""
    return list(
        _with_members(Mentorship.objects.filter(mentor=mentor, state=MentorshipState.PROPOSED))
        .select_related("mentee__mentee_profile")
        .prefetch_related("goals")
        .order_by("created_at", "pk")
    )


@dataclass(frozen=True)
class MemberMentorships:
    as_mentee: list[Mentorship]
    as_mentor: list[Mentorship]

    @property
    def current_as_mentee(self) -> Mentorship | None:
        return next((m for m in self.as_mentee if m.state in ENGAGED_STATES), None)

    @property
    def waiting_as_mentee(self) -> list[Mentorship]:
        return [m for m in self.as_mentee if m.state == MentorshipState.PROPOSED]

    @property
    def waiting_as_mentor(self) -> list[Mentorship]:
        return [m for m in self.as_mentor if m.state == MentorshipState.PROPOSED]


def mentorships_of(*, member: Member) -> MemberMentorships:
    """Every mentorship of the member, newest first, split by their side (one query)."""
    rows = list(_with_members(Mentorship.objects.filter(Q(mentor=member) | Q(mentee=member))))
    return MemberMentorships(
        as_mentee=[m for m in rows if m.mentee_id == member.pk], as_mentor=[m for m in rows if m.mentor_id == member.pk]
    )


def mentorship_page_get(*, pk: int, member: Member) -> Mentorship:
    """A mentorship with its goals, sessions, ratings and events, for its two members and staff; 404 for others."""
    mentorship = (
        _with_members(Mentorship.objects.filter(pk=pk))
        .prefetch_related(
            "goals",
            Prefetch("sessions", queryset=MentorshipSession.objects.select_related("logged_by__profile")),
            "ratings",
            Prefetch("events", queryset=MentorshipEvent.objects.select_related("actor__profile")),
        )
        .first()
    )
    if mentorship is None or not (mentorship.is_party(member) or member.is_staff):
        raise Http404
    return mentorship


def mentorship_of_party(*, pk: int, member: Member) -> Mentorship:
    """The mentorship if the member is one of its two members; 404 otherwise (staff included: they only read)."""
    mentorship = Mentorship.objects.filter(Q(mentor=member) | Q(mentee=member), pk=pk).first()
    if mentorship is None:
        raise Http404
    return mentorship


def mentorship_sessions(*, mentorship: Mentorship) -> QuerySet[MentorshipSession]:
    return mentorship.sessions.select_related("logged_by__profile").order_by("-scheduled_at", "-id")


# --- Track progress ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MilestoneStatus:
    milestone: Milestone
    achieved_at: datetime | None


@dataclass(frozen=True)
class TrackProgress:
    track: Track
    milestones: list[MilestoneStatus]

    @property
    def reached(self) -> int:
        return sum(1 for status in self.milestones if status.achieved_at)

    @property
    def percent(self) -> int:
        return round(100 * self.reached / len(self.milestones)) if self.milestones else 0


def track_progress(*, member: Member) -> TrackProgress | None:
    """The member's track (from their mentee profile) with each milestone and when they reached it."""
    profile = MenteeProfile.objects.select_related("track").filter(member=member).first()
    if profile is None:
        return None
    milestones = list(profile.track.milestones.order_by("order", "pk"))
    reached = dict(
        MilestoneProgress.objects.filter(member=member, milestone__in=milestones).values_list(
            "milestone_id", "achieved_at"
        )
    )
    return TrackProgress(track=profile.track, milestones=[MilestoneStatus(m, reached.get(m.pk)) for m in milestones])
