"""Demo live sessions: an ambassador term for `ambassador@`, upcoming sessions by the ambassador, the facilitator
and the mentor (one for sellers only), and a past session with questions and chat, ended and archived as a forum
topic. Written through the services where the rules allow (a past session is dated in the past directly).
Idempotent: a term or session that exists (by member and region, or by title) is left as it is."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from community.live import services
from community.models import (
    AmbassadorTerm,
    CategoryFacet,
    ForumCategory,
    LiveRSVP,
    LiveSession,
    Member,
    Role,
    SessionStatus,
    SessionVisibility,
)

DEMO_DOMAIN = "demo.guildhall.test"
PAST_TITLE = "Your first sale: questions and answers"


def _member(local: str) -> Member | None:
    return Member.objects.filter(email=f"{local}@{DEMO_DOMAIN}").first()


def seed_live() -> int:
    """Creates what is missing; returns how many sessions were created."""
    ana, fay, max_, sam, selma, bea = (
        _member(local) for local in ("ambassador", "facilitator", "mentor", "seller", "seller2", "buyer")
    )
    if not all((ana, fay, max_, sam, selma, bea)):
        return 0
    with transaction.atomic():
        spain, _created = ForumCategory.objects.get_or_create(
            slug="spain",
            defaults={
                "name": "Spain",
                "facet": CategoryFacet.REGION,
                "description": "Markets, meetups and shipping in Spain.",
                "position": 10,
            },
        )
        today = timezone.localdate()
        if not AmbassadorTerm.objects.filter(member=ana, region=spain).exists():
            AmbassadorTerm.objects.create(
                member=ana, region=spain, starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=150)
            )
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        created = 0
        upcoming = [
            (
                ana,
                "Selling across Europe from Spain",
                {
                    "starts_at": now + timedelta(days=3, hours=17),
                    "topic": "Shipping",
                    "region": spain,
                    "description": "Customs, couriers and prices for buyers outside Spain. Bring your questions.",
                },
            ),
            (
                fay,
                "Photo clinic: daylight and phone cameras",
                {
                    "starts_at": now + timedelta(days=7, hours=18),
                    "topic": "Photos",
                    "capacity": 40,
                    "description": "Send a listing link in the chat and we'll review the photos live.",
                },
            ),
            (
                max_,
                "Pricing clinic for sellers",
                {
                    "starts_at": now + timedelta(days=10, hours=16),
                    "topic": "Pricing",
                    "visibility": SessionVisibility.ROLE,
                    "role": Role.SELLER,
                    "capacity": 20,
                    "description": "For sellers: how to price handmade work, with real examples.",
                },
            ),
        ]
        for host, title, extra in upcoming:
            if LiveSession.objects.filter(title=title).exists():
                continue
            services.session_schedule(host=host, title=title, **extra)
            created += 1
        past = LiveSession.objects.filter(title=PAST_TITLE).first()
        if past is None:
            past = LiveSession(
                host=fay,
                title=PAST_TITLE,
                description="Newer sellers asked, experienced sellers answered.",
                starts_at=now - timedelta(days=6, hours=2),
                duration_minutes=60,
                capacity=50,
                topic="Getting started",
            )
            past.save()
            created += 1
            # RSVPs to a session in the past: the services refuse them, as they should.
            LiveRSVP.objects.bulk_create([LiveRSVP(session=past, member=member) for member in (sam, selma, bea)])
            services.chat_post(session=past, author=fay, body="Welcome, everyone! Questions on the left, chat here.")
            services.chat_post(session=past, author=selma, body="Hi all, first live session for me.")
            first = services.question_ask(session=past, author=selma, body="How many listings before the first sale?")
            second = services.question_ask(session=past, author=bea, body="What do buyers check first?")
            services.question_upvote(session=past, question_id=first.pk, member=sam)
            services.question_upvote(session=past, question_id=first.pk, member=bea)
            services.question_upvote(session=past, question_id=second.pk, member=sam)
            services.chat_post(session=past, author=sam, body="Mine came after eight listings, good photos helped.")
            services.question_answer(session=past, question_id=first.pk, member=fay)
            services.question_answer(session=past, question_id=second.pk, member=fay)
    if past.status == SessionStatus.SCHEDULED:
        services.session_end_and_archive(session=past, member=fay)
    elif past.archive_topic_id is None:
        services.session_archive(session=past)
    return created
