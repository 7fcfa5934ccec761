"""Mentoring test data, built through the services so it passes the same checks as a member's input."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from itertools import count
from typing import Any

from django.utils import timezone

from community.models import Member
from community.services import profile_update
from listings.models import Category
from mentoring import services
from mentoring.models import Mentorship, MentorshipState, Milestone, Track
from tests.factories import MemberFactory
from tests.listings import factories as listing_factories

_sequence = count(1)


def track(stage: str = "new", **overrides: Any) -> Track:
    n = next(_sequence)
    fields = {"name": f"Track {n}", "slug": f"track-{n}", "stage": stage, "description": "A track.", **overrides}
    return Track.objects.create(**fields)


def milestone(track: Track, kind: str, *, threshold=None, title: str = "", order: int = 0) -> Milestone:
    return Milestone.objects.create(track=track, kind=kind, threshold=threshold, title=title, order=order)


def category(name: str | None = None) -> Category:
    return listing_factories.category(name)


def member(
    *,
    stage: str = "new",
    languages: Iterable[str] = ("en",),
    zone: str = "Europe/London",
    name: str | None = None,
) -> Member:
    n = next(_sequence)
    created = MemberFactory(display_name=name or f"Member {n}")
    profile_update(member=created, data={"seller_stage": stage, "languages": list(languages), "timezone": zone})
    created.refresh_from_db()
    return created


def mentor(
    *,
    stage: str = "established",
    categories: Iterable[Category] = (),
    skills: Iterable[str] = (),
    capacity: int = 2,
    accepting: bool = True,
    languages: Iterable[str] = ("en",),
    zone: str = "Europe/London",
    name: str | None = None,
) -> Member:
    created = member(stage=stage, languages=languages, zone=zone, name=name)
    services.mentor_profile_upsert(
        member=created,
        data={
            "headline": "Happy to help",
            "categories": list(categories),
            "skills": list(skills),
            "capacity": capacity,
            "availability": "Evenings",
            "accepting": accepting,
        },
    )
    return created


def mentee(
    *,
    on_track: Track | None = None,
    stage: str = "new",
    categories: Iterable[Category] = (),
    skills: Iterable[str] = (),
    languages: Iterable[str] = ("en",),
    zone: str = "Europe/London",
    name: str | None = None,
    goals: str = "Make my first sale",
) -> Member:
    created = member(stage=stage, languages=languages, zone=zone, name=name)
    services.mentee_profile_upsert(
        member=created,
        data={
            "track": on_track or Track.objects.filter(stage=stage).first() or track(stage),
            "goals": goals,
            "categories": list(categories),
            "skills_wanted": list(skills),
        },
    )
    return created


def mentorship(mentor_member: Member, mentee_member: Member, *, state: str = MentorshipState.PROPOSED) -> Mentorship:
    """A mentorship moved through the services to `state` (ended: declined from proposed)."""
    made = services.mentorship_request(mentee=mentee_member, mentor=mentor_member, goals=["Make my first sale"])
    if state == MentorshipState.ENDED:
        services.mentorship_decline(mentorship_id=made.pk, mentor=mentor_member)
    if state in {MentorshipState.ACCEPTED, MentorshipState.ACTIVE, MentorshipState.COMPLETED}:
        services.mentorship_accept(mentorship_id=made.pk, mentor=mentor_member)
    if state in {MentorshipState.ACTIVE, MentorshipState.COMPLETED}:
        services.session_log(
            mentorship_id=made.pk,
            by=mentor_member,
            scheduled_at=timezone.now() - timedelta(days=1),
            duration_minutes=60,
            notes="Talked about pricing.",
        )
    if state == MentorshipState.COMPLETED:
        services.mentorship_complete(mentorship_id=made.pk, by=mentor_member)
    made.refresh_from_db()
    return made
