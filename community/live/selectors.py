"""Reads for live sessions. A session a member may not see (invite-only, or for a role they do not hold) does not
exist for them: every lookup answers 404, the room's websocket refuses them with the same code as a missing session.

Lists cost a fixed number of queries whatever their length: the host, the seats taken and the member's own RSVP come
in the same query (annotations), never one query per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from community.models import (
    AmbassadorTerm,
    CalendarFeedToken,
    CategoryFacet,
    ForumCategory,
    LiveChatMessage,
    LiveQuestion,
    LiveQuestionVote,
    LiveRSVP,
    LiveSession,
    Member,
    Role,
    RoleGrant,
    RSVPStatus,
    SessionStatus,
    SessionVisibility,
    Verification,
    VerificationStatus,
)
from community.models.live import ambassadors_cache_key

CHAT_SHOWN = 100
AMBASSADORS_CACHE_SECONDS = 5 * 60
FEED_PAST_DAYS = 30


# --- Ambassadors ---------------------------------------------------------------------------------------------------


def ambassador_ids_in_term(*, on: date | None = None) -> frozenset[int]:
    """The members in an ambassador term today. Kept in the cache for a few minutes (cleared when a term is saved)
    so that the badge next to every name costs no query per name."""
    on = on or timezone.localdate()
    key = ambassadors_cache_key(on)
    ids = cache.get(key)
    if ids is None:
        ids = frozenset(
            AmbassadorTerm.objects.filter(starts_on__lte=on, ends_on__gte=on).values_list("member_id", flat=True)
        )
        cache.set(key, ids, AMBASSADORS_CACHE_SECONDS)
    return ids


def member_is_ambassador(member) -> bool:
    return bool(getattr(member, "pk", None)) and member.pk in ambassador_ids_in_term()


def ambassador_may_pin(*, member, category_id: int) -> bool:
    """Ambassadors pin topics in the forum categories of the region they serve, during their term only."""
    if not getattr(member, "is_authenticated", False):
        return False
    today = timezone.localdate()
    return AmbassadorTerm.objects.filter(
        member_id=member.pk, region_id=category_id, starts_on__lte=today, ends_on__gte=today
    ).exists()


# --- Who may see and do what ---------------------------------------------------------------------------------------


def member_can_moderate(member) -> bool:
    if not getattr(member, "is_authenticated", False):
        return False
    return member.is_staff or RoleGrant.objects.filter(member_id=member.pk, role=Role.MODERATOR).exists()


def member_can_host(member) -> bool:
    """Facilitators, mentors, staff, and ambassadors during their term."""
    if not getattr(member, "is_authenticated", False):
        return False
    if member.is_staff:
        return True
    if RoleGrant.objects.filter(member_id=member.pk, role__in=[Role.FACILITATOR, Role.MENTOR]).exists():
        return True
    return member_is_ambassador(member)


def _visible_q(member) -> Q:
    if member_can_moderate(member):
        return Q()
    roles = RoleGrant.objects.filter(member_id=member.pk).values("role")
    invited = LiveSession.invitees.through.objects.filter(member_id=member.pk).values("livesession_id")
    return (
        Q(visibility=SessionVisibility.MEMBERS)
        | Q(host_id=member.pk)
        | Q(visibility=SessionVisibility.ROLE, role__in=roles)
        | Q(visibility=SessionVisibility.INVITE, pk__in=invited)
    )


def sessions_visible_to(member) -> QuerySet[LiveSession]:
    if not getattr(member, "is_authenticated", False):
        return LiveSession.objects.none()
    return LiveSession.objects.filter(_visible_q(member))


def _badges(path: str) -> Prefetch:
    """What `member_name` needs for its verification badges, in one query for the whole list."""
    return Prefetch(
        path,
        queryset=Verification.objects.filter(status=VerificationStatus.APPROVED).only("id", "member_id", "kind"),
        to_attr="approved_verifications",
    )


def _annotated(queryset: QuerySet[LiveSession], member) -> QuerySet[LiveSession]:
    mine = LiveRSVP.objects.filter(session=OuterRef("pk"), member_id=member.pk).values("status")[:1]
    return (
        queryset.select_related("host__profile", "region")
        .prefetch_related(_badges("host__verifications"))
        .annotate(
            going_count=Count("rsvps", filter=Q(rsvps__status=RSVPStatus.GOING), distinct=True),
            my_rsvp=Subquery(mine),
        )
    )


def sessions_upcoming(*, member, region: str = "", topic: str = "") -> QuerySet[LiveSession]:
    """Scheduled sessions that have not ended, soonest first; `region` is a region category's slug, `topic` a word
    of the topic (case-insensitive)."""
    queryset = sessions_visible_to(member).filter(status=SessionStatus.SCHEDULED, ends_at__gt=timezone.now())
    if region:
        queryset = queryset.filter(region__slug=region)
    if topic:
        queryset = queryset.filter(topic__icontains=topic)
    return _annotated(queryset, member).order_by("starts_at", "id")


def sessions_past(*, member, limit: int = 20) -> list[LiveSession]:
    queryset = sessions_visible_to(member).filter(
        Q(status=SessionStatus.ENDED) | Q(status=SessionStatus.SCHEDULED, ends_at__lte=timezone.now())
    )
    return list(_annotated(queryset, member).select_related("archive_topic").order_by("-starts_at", "-id")[:limit])


def session_get_for(*, session_id: int, member) -> LiveSession:
    session = _annotated(sessions_visible_to(member), member).filter(pk=session_id).first()
    if session is None:
        raise Http404
    return session


@dataclass(frozen=True)
class RoomAccess:
    """What the websocket consumer keeps about its member for the whole connection."""

    session_id: int
    host_id: int
    member_name: str
    can_moderate: bool


def room_access(*, session_id: int, member: Member) -> RoomAccess | None:
    session = sessions_visible_to(member).filter(pk=session_id).only("pk", "host_id").first()
    if session is None:
        return None
    return RoomAccess(
        session_id=session.pk,
        host_id=session.host_id,
        member_name=str(member.display_name),
        can_moderate=session.host_id == member.pk or member_can_moderate(member),
    )


def member_may_moderate_session(*, session: LiveSession, member) -> bool:
    return session.host_id == getattr(member, "pk", None) or member_can_moderate(member)


def regions() -> QuerySet[ForumCategory]:
    """The forum's regional categories: the regions sessions and ambassadors belong to."""
    return ForumCategory.objects.filter(facet=CategoryFacet.REGION).order_by("name").only("slug", "name")


# --- The room ------------------------------------------------------------------------------------------------------


def session_questions(*, session: LiveSession, member) -> list[LiveQuestion]:
    """The queue as the room shows it: removed questions left out; `voted` tells whether the member upvoted."""
    voted = LiveQuestionVote.objects.filter(question=OuterRef("pk"), member_id=getattr(member, "pk", None))
    return list(
        LiveQuestion.objects.filter(session=session, removed_at__isnull=True)
        .select_related("author__profile")
        .prefetch_related(_badges("author__verifications"))
        .annotate(voted=Exists(voted))
    )


def session_chat(*, session: LiveSession, limit: int = CHAT_SHOWN) -> list[LiveChatMessage]:
    recent = LiveChatMessage.objects.filter(session=session).select_related("author__profile").order_by("-id")[:limit]
    return list(reversed(recent))


def session_rsvp(*, session: LiveSession, member) -> LiveRSVP | None:
    if not getattr(member, "is_authenticated", False):
        return None
    return LiveRSVP.objects.filter(session=session, member=member).first()


def waitlist_position(*, rsvp: LiveRSVP) -> int:
    return (
        LiveRSVP.objects.filter(session_id=rsvp.session_id, status=RSVPStatus.WAITLIST)
        .filter(Q(created_at__lt=rsvp.created_at) | Q(created_at=rsvp.created_at, pk__lt=rsvp.pk))
        .count()
        + 1
    )


def presence_key(session_id: int) -> str:
    return f"live:presence:{session_id}"


def presence_count_from(value) -> int:
    return max(int(value or 0), 0)


def presence_count(*, session_id: int) -> int:
    """Members connected to the room now, across every ASGI process (a counter in the cache)."""
    return presence_count_from(cache.get(presence_key(session_id)))


# --- Calendars -----------------------------------------------------------------------------------------------------


def feed_token_for(*, member) -> CalendarFeedToken | None:
    return CalendarFeedToken.objects.filter(member=member).first()


def feed_member(*, token: str) -> Member | None:
    if not token or len(token) > 64:
        return None
    feed = CalendarFeedToken.objects.select_related("member").filter(token=token).first()
    if feed is None or not feed.member.is_active:
        return None
    return feed.member


def feed_sessions(*, member: Member) -> list[LiveSession]:
    """The sessions the member RSVP'd to, from a month ago on; cancelled ones too, so calendars drop them."""
    since = timezone.now() - timedelta(days=FEED_PAST_DAYS)
    return list(
        LiveSession.objects.filter(rsvps__member=member, starts_at__gte=since)
        .select_related("host__profile")
        .order_by("starts_at", "id")
    )
