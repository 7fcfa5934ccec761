"""Demo mentoring for `seed_demo`: a track per seller stage with milestones, six mentors (the demo mentor@ and
ambassador@ among them, four more created here), the demo sellers enrolled as mentees, and one mentorship under way
(seller@ with mentor@, who may see seller@'s figures: consent given, the start snapshot taken) so every page has
something to show. seller2@ is left without a mentor, to try "find a mentor" with, and meets three other new
sellers in a coaching circle facilitated by facilitator@.

Everything goes through `mentoring.services`, so the demo passes the same checks as a member's input. Idempotent:
tracks are found by slug, members by email, and profiles or mentorships that exist are left as they are.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from community.models import Member, SellerStage
from community.services import profile_update, verification_email_record
from listings.demo import seed_categories
from mentoring import circles, services
from mentoring.models import (
    CircleMember,
    CoachingCircle,
    MenteeProfile,
    MentorProfile,
    Mentorship,
    Milestone,
    MilestoneKind,
    OutcomeSnapshot,
    SnapshotKind,
    Track,
)

DEMO_DOMAIN = "demo.guildhall.test"

# slug, stage, name, description, weeks, milestones as (kind, threshold, title)
TRACKS: list[tuple[str, str, str, str, int, list[tuple[str, str | None, str]]]] = [
    (
        "first-steps",
        SellerStage.NEW,
        "First steps",
        "From an empty shop to your first happy buyer: a listing that sells, fair prices and a smooth first order.",
        6,
        [
            (MilestoneKind.FIRST_LISTING, None, ""),
            (MilestoneKind.FIRST_SALE, None, ""),
            (MilestoneKind.CUSTOM, None, "Write your shop's story in your profile"),
        ],
    ),
    (
        "steady-sales",
        SellerStage.GROWING,
        "Steady sales",
        "Turn the odd sale into a steady week: great reviews, fewer problems and a plan for the busy season.",
        8,
        [
            (MilestoneKind.TEN_REVIEWS_4_5, "4.5", ""),
            (MilestoneKind.DEFECT_RATE_UNDER, "3", ""),
            (MilestoneKind.CUSTOM, None, "Plan a seasonal collection or offer"),
        ],
    ),
    (
        "scaling-up",
        SellerStage.ESTABLISHED,
        "Scaling up",
        "Grow beyond yourself: keep quality high at volume, team up with other sellers and pass on what you know.",
        12,
        [
            (MilestoneKind.DEFECT_RATE_UNDER, "1", ""),
            (MilestoneKind.CUSTOM, None, "Team up with another seller on a joint listing"),
            (MilestoneKind.CUSTOM, None, "Mentor a seller who is starting out"),
        ],
    ),
]


@dataclass(frozen=True)
class DemoMentor:
    local: str
    name: str  # used only when the member is created here
    stage: str
    place: tuple[str, float, float]
    zone: str
    languages: tuple[str, ...]
    headline: str
    categories: tuple[str, ...]
    skills: tuple[str, ...]
    capacity: int
    availability: str


MENTORS = [
    DemoMentor(
        "mentor",
        "Max Mentor",
        SellerStage.ESTABLISHED,
        ("York", 53.96, -1.0873),
        "Europe/London",
        ("en",),
        "Ten years of selling ceramics and teaching pottery classes",
        ("ceramics", "goods", "lessons"),
        ("pricing", "product photography", "shipping", "packaging"),
        3,
        "Tuesday and Thursday evenings",
    ),
    DemoMentor(
        "ambassador",
        "Ana Ambassador",
        SellerStage.GROWING,
        ("Madrid", 40.4168, -3.7038),
        "Europe/Madrid",
        ("en", "es"),
        "Vintage clothing and homeware, from market stall to online",
        ("clothing", "home"),
        ("writing descriptions", "social media", "pricing"),
        2,
        "Weekday mornings",
    ),
    DemoMentor(
        "mentor-lena",
        "Lena Loom",
        SellerStage.ESTABLISHED,
        ("Edinburgh", 55.9533, -3.1883),
        "Europe/London",
        ("en",),
        "Knitwear and textiles; photographing fabric so it sells",
        ("clothing", "goods"),
        ("product photography", "writing descriptions", "customer service"),
        2,
        "Saturday mornings",
    ),
    DemoMentor(
        "mentor-omar",
        "Omar Oak",
        SellerStage.GROWING,
        ("Bristol", 51.4545, -2.5879),
        "Europe/London",
        ("en", "fr"),
        "Furniture repairs and tool hire: bookings that run themselves",
        ("repairs", "tools", "home"),
        ("bookings and calendars", "pricing", "customer service"),
        2,
        "Monday and Wednesday evenings",
    ),
    DemoMentor(
        "mentor-rosa",
        "Rosa Rueda",
        SellerStage.ESTABLISHED,
        ("Seville", 37.3891, -5.9845),
        "Europe/Madrid",
        ("es", "en"),
        "Cooking and craft lessons for groups; growing a following",
        ("lessons", "services"),
        ("social media", "bookings and calendars", "bookkeeping"),
        3,
        "Afternoons, Spanish time",
    ),
    DemoMentor(
        "mentor-kai",
        "Kai Kiln",
        SellerStage.ESTABLISHED,
        ("New York", 40.7128, -74.006),
        "America/New_York",
        ("en",),
        "Running a ceramics studio shop across time zones",
        ("ceramics", "goods"),
        ("shipping", "packaging", "bookkeeping"),
        1,
        "Weekends, US Eastern time",
    ),
]

# local part, track slug, goals, categories, skills wanted
MENTEES = [
    (
        "seller2",
        "first-steps",
        "Publish listings that sell\nMake my first sale",
        ("ceramics", "goods", "home"),
        ("pricing", "product photography"),
    ),
    (
        "seller",
        "steady-sales",
        "Reach ten good reviews\nShip faster with fewer breakages",
        ("ceramics", "lessons"),
        ("shipping", "packaging"),
    ),
]


def demo_email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


def seed_tracks() -> dict[str, Track]:
    """The three demo tracks with their milestones; a track that exists is left as staff edited it."""
    tracks = {track.slug: track for track in Track.objects.filter(slug__in=[t[0] for t in TRACKS])}
    for slug, stage, name, description, weeks, milestones in TRACKS:
        if slug in tracks:
            continue
        track = Track.objects.create(slug=slug, stage=stage, name=name, description=description, suggested_weeks=weeks)
        Milestone.objects.bulk_create(
            [
                Milestone(
                    track=track,
                    kind=kind,
                    threshold=Decimal(threshold) if threshold else None,
                    title=title,
                    order=order,
                )
                for order, (kind, threshold, title) in enumerate(milestones, start=1)
            ]
        )
        tracks[slug] = track
    return tracks


def _demo_member(spec: DemoMentor, password: str | None) -> tuple[Member, bool]:
    email = demo_email(spec.local)
    member = Member.objects.filter(email=email).first()
    if member is not None:
        return member, False
    member = Member.objects.create_user(email=email, password=password)  # None: no usable password
    city, lat, lng = spec.place
    profile_update(
        member=member,
        data={
            "display_name": spec.name,
            "bio": f"{spec.name} is a demo mentor on Guildhall.",
            "location_name": city,
            "latitude": Decimal(f"{lat:.6f}"),
            "longitude": Decimal(f"{lng:.6f}"),
            "languages": list(spec.languages),
            "timezone": spec.zone,
            "seller_stage": spec.stage,
        },
    )
    EmailAddress.objects.update_or_create(user=member, email=email, defaults={"verified": True, "primary": True})
    verification_email_record(member=member)
    return member, True


@transaction.atomic
def seed_mentoring(*, password: str | None = None) -> dict[str, int]:
    """Seeds the demo mentoring and returns what it created. Members that `seed_demo` creates (mentor@,
    ambassador@, seller@, seller2@) are used when present; the other demo mentors are created here with `password`
    (no usable password when None)."""
    created = {"tracks": 0, "members": 0, "mentors": 0, "mentees": 0, "mentorships": 0, "circles": 0}
    before = Track.objects.count()
    tracks = seed_tracks()
    created["tracks"] = Track.objects.count() - before
    categories = seed_categories()

    for spec in MENTORS:
        if spec.local in {"mentor", "ambassador"}:
            member = Member.objects.filter(email=demo_email(spec.local)).first()
            if member is None:
                continue
        else:
            member, new = _demo_member(spec, password)
            created["members"] += int(new)
        if MentorProfile.objects.filter(member=member).exists():
            continue
        services.mentor_profile_upsert(
            member=member,
            data={
                "headline": spec.headline,
                "categories": [categories[slug] for slug in spec.categories if slug in categories],
                "skills": list(spec.skills),
                "capacity": spec.capacity,
                "availability": spec.availability,
                "accepting": True,
            },
        )
        created["mentors"] += 1

    for local, track_slug, goals, category_slugs, skills in MENTEES:
        member = Member.objects.filter(email=demo_email(local)).first()
        if member is None or MenteeProfile.objects.filter(member=member).exists():
            continue
        services.mentee_profile_upsert(
            member=member,
            data={
                "track": tracks[track_slug],
                "goals": goals,
                "categories": [categories[slug] for slug in category_slugs if slug in categories],
                "skills_wanted": list(skills),
                "preferences": "A video call every other week suits me best.",
            },
        )
        created["mentees"] += 1

    created["mentorships"] = _seed_mentorship_under_way()
    _seed_outcome_sharing()
    circle_members, created["circles"] = _seed_circle(password)
    created["members"] += circle_members
    return created


def _seed_mentorship_under_way() -> int:
    """seller@ mentored by mentor@: accepted, one session held, a goal a third of the way."""
    seller = Member.objects.filter(email=demo_email("seller")).first()
    mentor = Member.objects.filter(email=demo_email("mentor")).first()
    if seller is None or mentor is None or Mentorship.objects.filter(mentee=seller).exists():
        return 0
    if (
        not MenteeProfile.objects.filter(member=seller).exists()
        or not MentorProfile.objects.filter(member=mentor).exists()
    ):
        return 0
    mentorship = services.mentorship_request(
        mentee=seller, mentor=mentor, goals=["Reach ten good reviews", "Ship faster with fewer breakages"]
    )
    services.mentorship_accept(mentorship_id=mentorship.pk, mentor=mentor)
    services.session_log(
        mentorship_id=mentorship.pk,
        by=mentor,
        scheduled_at=(timezone.now() - timedelta(days=6)).replace(minute=0, second=0, microsecond=0),
        duration_minutes=45,
        notes=(
            "Looked at the last twenty orders together. Two breakages, both mugs posted in thin boxes.\n"
            "Next: try double-boxing with recycled card and ask every buyer for a review a week after delivery."
        ),
    )
    first_goal = mentorship.goals.order_by("pk").first()
    if first_goal is not None:
        services.goal_progress_set(goal_id=first_goal.pk, by=seller, progress=30)
    return 1


def _seed_outcome_sharing() -> None:
    """seller@ shares their figures with mentor@: the start snapshot (taken when the mentorship became active, or now
    for a mentorship seeded before snapshots existed) and the consent, given once; a later revocation stays."""
    seller = Member.objects.filter(email=demo_email("seller")).first()
    mentorship = Mentorship.objects.filter(mentee=seller, state="active").first() if seller else None
    if mentorship is None:
        return
    first_time = not OutcomeSnapshot.objects.filter(mentorship=mentorship, kind=SnapshotKind.START).exists()
    services.outcome_snapshot_take(mentorship=mentorship, kind=SnapshotKind.START)
    if first_time or mentorship.insight_consent_at is None:
        services.mentorship_insight_consent_set(mentorship_id=mentorship.pk, mentee=seller, consent=True)


# local part, name, city: new sellers who meet seller2@ in the demo circle
CIRCLE_SELLERS = [
    ("circle-ivy", "Ivy Inkwell", "Norwich"),
    ("circle-joe", "Joe Joinery", "Leeds"),
    ("circle-kit", "Kit Knots", "Brighton"),
]
CIRCLE_NAME = "New sellers' circle"
CIRCLE_POSTS = [
    (
        "facilitator",
        "Welcome, everyone! Each meeting we pick **one listing** per person and improve it together.\n\n"
        "Before Tuesday: bring the listing you most want to sell.",
    ),
    ("seller2", "Hello! Mine is a *hand-thrown mug*; the photos are the weak part, I think."),
]


def _circle_seller(local: str, name: str, city: str, password: str | None) -> tuple[Member, bool]:
    email = demo_email(local)
    member = Member.objects.filter(email=email).first()
    if member is not None:
        return member, False
    member = Member.objects.create_user(email=email, password=password)
    profile_update(
        member=member,
        data={
            "display_name": name,
            "bio": f"{name} is a demo seller on Guildhall, just starting out.",
            "location_name": city,
            "languages": ["en"],
            "timezone": "Europe/London",
            "seller_stage": SellerStage.NEW,
        },
    )
    EmailAddress.objects.update_or_create(user=member, email=email, defaults={"verified": True, "primary": True})
    verification_email_record(member=member)
    return member, True


def _seed_circle(password: str | None) -> tuple[int, int]:
    """facilitator@'s circle of four new sellers (seller2@ and three created here), meeting every other Tuesday
    at 6 pm London time, with a welcome in the thread. Returns (members created, circles created)."""
    host = Member.objects.filter(email=demo_email("facilitator")).first()
    if host is None or not circles.is_facilitator(host):
        return 0, 0
    if CoachingCircle.objects.filter(facilitator=host, name=CIRCLE_NAME).exists():
        return 0, 0
    new_members = 0
    sellers = []
    for local, name, city in CIRCLE_SELLERS:
        member, new = _circle_seller(local, name, city, password)
        new_members += int(new)
        sellers.append(member)
    second = Member.objects.filter(email=demo_email("seller2")).first()
    sellers = [m for m in [second, *sellers] if m is not None]
    london = zoneinfo.ZoneInfo("Europe/London")
    day = timezone.now().astimezone(london).date() + timedelta(days=1)
    while day.weekday() != 1:  # the next Tuesday
        day += timedelta(days=1)
    circle = circles.circle_create(
        facilitator=host,
        data={
            "name": CIRCLE_NAME,
            "stage": SellerStage.NEW,
            "description": "Four sellers in their first months, improving one listing each per meeting.",
            "max_members": 6,
            "open_to_requests": True,
            "frequency": "fortnightly",
            "first_meeting_at": datetime.combine(day, time(18, 0), tzinfo=london),
            "duration_minutes": 60,
            "timezone": "Europe/London",
            "meeting_url": "https://meet.example.com/guildhall-new-sellers",
        },
    )
    for member in sellers:
        if not CircleMember.objects.filter(circle=circle, member=member).exists():
            circles.circle_member_add(circle_id=circle.pk, facilitator=host, member=member)
    authors = {"facilitator": host, "seller2": second}
    for local, body in CIRCLE_POSTS:
        if authors.get(local) is not None:
            circles.circle_post_create(circle_id=circle.pk, author=authors[local], body=body)
    return new_members, 1


__all__ = ["CIRCLE_NAME", "MENTEES", "MENTORS", "TRACKS", "demo_email", "seed_mentoring", "seed_tracks"]
