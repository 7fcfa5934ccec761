"""Writes for live sessions: scheduling and editing, RSVPs with a waitlist, the room's chat and Q&A queue, ending
and archiving, calendar feed tokens and reminders.

The websocket consumer and the HTTP views (the page works without JavaScript) call the same functions here, so they
share every rule. Room events are broadcast to the group `live.<session_id>` after the transaction commits, as
`{"type": "live.event", "event": {"event": "<what happened>", ...}}`; the consumer relays `event` as it is.

Seats: `rsvp_create` and `rsvp_cancel` lock the session row, so that two members taking the last seat at once get
one seat and one waitlist place; a freed seat goes to the first in line in the same transaction.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community import moderation
from community.live import selectors
from community.models import (
    CalendarFeedToken,
    CategoryFacet,
    CategoryVisibility,
    ForumCategory,
    LiveChatMessage,
    LiveQuestion,
    LiveQuestionVote,
    LiveRSVP,
    LiveSession,
    Member,
    Role,
    RSVPStatus,
    SessionStatus,
    SessionVisibility,
    Topic,
)
from community.models.live import CAPACITY_MAX, DURATION_MAX_MINUTES, DURATION_MIN_MINUTES
from hub.realtime import group_send

logger = logging.getLogger(__name__)

TITLE_MIN_CHARS = 5
TITLE_MAX_CHARS = 120
DESCRIPTION_MAX_CHARS = 4000
TOPIC_MAX_CHARS = 80
MAX_INVITEES = 500
CHAT_MAX_CHARS = 500
QUESTION_MAX_CHARS = 500
# Per member and session, counted in the cache (shared by every ASGI process).
CHAT_PER_WINDOW = 5
CHAT_WINDOW_SECONDS = 10
QUESTIONS_PER_WINDOW = 3
QUESTIONS_WINDOW_SECONDS = 60
ARCHIVE_CATEGORY_SLUG = "live-session-archives"
ARCHIVE_POST_CHARS = 18_000
REMINDER_DAY = timedelta(hours=24)
REMINDER_HOUR = timedelta(hours=1)
# A session nobody ended is ended by the beat task this long after its scheduled end.
END_GRACE = timedelta(minutes=30)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class RateLimited(ValidationError):
    """Too many chat messages or questions in a short time; the API answers 429, the room shows the message."""


def group_name(session_id: int) -> str:
    return f"live.{session_id}"


def _broadcast_on_commit(session_id: int, event: dict[str, Any]) -> None:
    def push() -> None:
        group_send(group_name(session_id), {"type": "live.event", "event": event})

    transaction.on_commit(push, robust=True)


def _member_ref(member: Member) -> dict[str, Any]:
    return {"id": member.pk, "name": str(member.display_name)}


def question_payload(question: LiveQuestion) -> dict[str, Any]:
    return {
        "id": question.pk,
        "body": question.body,
        "author": _member_ref(question.author),
        "upvotes": question.upvote_count,
        "pinned": question.pinned,
        "answered": question.answered_at is not None,
        "created_at": question.created_at.isoformat(),
    }


def chat_payload(message: LiveChatMessage) -> dict[str, Any]:
    return {
        "id": message.pk,
        "body": message.body,
        "author": _member_ref(message.author),
        "created_at": message.created_at.isoformat(),
    }


# --- Checks --------------------------------------------------------------------------------------------------------


def _host_check(member: Member) -> None:
    if not selectors.member_can_host(member):
        raise PermissionDenied(_("Only ambassadors in their term, facilitators and mentors can host live sessions."))


def _visible_check(session: LiveSession, member: Member) -> None:
    if not selectors.sessions_visible_to(member).filter(pk=session.pk).exists():
        raise PermissionDenied(_("This session is not open to you."))


def _session_manager_check(session: LiveSession, member: Member) -> None:
    if not selectors.member_may_moderate_session(session=session, member=member):
        raise PermissionDenied(_("Only the host and moderators can do this."))


def _open_check(session: LiveSession) -> None:
    if session.status == SessionStatus.CANCELLED:
        raise ValidationError(_("This session was cancelled."))
    if session.status == SessionStatus.ENDED:
        raise ValidationError(_("This session has ended."))


def _text_clean(value: str, *, field: str, limit: int, empty: str) -> str:
    text = _CONTROL.sub("", value or "").strip()
    if not text:
        raise ValidationError({field: empty})
    if len(text) > limit:
        raise ValidationError(
            {field: _("Keep it under %(limit)s characters (it has %(count)s).") % {"limit": limit, "count": len(text)}}
        )
    return text


def _rate_check(*, kind: str, session_id: int, member_id: int, limit: int, window: int, message: str) -> None:
    """At most `limit` writes in a window that opens with the first one (a counter that expires with the window)."""
    key = f"live:rate:{kind}:{session_id}:{member_id}"
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # the window closed between add and incr
        cache.add(key, 1, window)
        count = 1
    if count > limit:
        raise RateLimited({"body": message})


def _schedule_clean(
    *,
    title: str,
    description: str,
    starts_at: datetime | None,
    duration_minutes: int | None,
    capacity: int | None,
    topic: str,
    region: ForumCategory | None,
    visibility: str,
    role: str,
    invitees: Iterable[Member],
    require_future: bool,
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    title = " ".join((title or "").split())
    if len(title) < TITLE_MIN_CHARS:
        errors["title"] = _("Give the session a title of at least %(count)s characters.") % {"count": TITLE_MIN_CHARS}
    elif len(title) > TITLE_MAX_CHARS:
        errors["title"] = _("Keep the title under %(count)s characters.") % {"count": TITLE_MAX_CHARS}
    description = _CONTROL.sub("", description or "").strip()
    if len(description) > DESCRIPTION_MAX_CHARS:
        errors["description"] = _("Keep the description under %(count)s characters.") % {"count": DESCRIPTION_MAX_CHARS}
    if starts_at is None:
        errors["starts_at"] = _("Say when the session starts.")
    elif timezone.is_naive(starts_at):
        errors["starts_at"] = _("Give the start time with its time zone.")
    elif require_future and starts_at <= timezone.now():
        errors["starts_at"] = _("Choose a start time in the future.")
    if duration_minutes is None or not DURATION_MIN_MINUTES <= duration_minutes <= DURATION_MAX_MINUTES:
        errors["duration_minutes"] = _("A session lasts between %(min)s and %(max)s minutes.") % {
            "min": DURATION_MIN_MINUTES,
            "max": DURATION_MAX_MINUTES,
        }
    if capacity is None or not 1 <= capacity <= CAPACITY_MAX:
        errors["capacity"] = _("Capacity is between 1 and %(max)s people.") % {"max": f"{CAPACITY_MAX:,}"}
    topic = " ".join((topic or "").split())
    if len(topic) > TOPIC_MAX_CHARS:
        errors["topic"] = _("Keep the topic under %(count)s characters.") % {"count": TOPIC_MAX_CHARS}
    if region is not None and region.facet != CategoryFacet.REGION:
        errors["region"] = _("Choose one of the forum's regions.")
    if visibility not in SessionVisibility.values:
        errors["visibility"] = _("Choose who the session is open to.")
    elif visibility == SessionVisibility.ROLE and role not in Role.values:
        errors["role"] = _("Choose the role the session is for.")
    invitees = list(invitees or ())
    if len(invitees) > MAX_INVITEES:
        errors["invitees"] = _("Invite up to %(count)s members.") % {"count": MAX_INVITEES}
    if errors:
        raise ValidationError(errors)
    return {
        "title": title,
        "description": description,
        "starts_at": starts_at,
        "duration_minutes": duration_minutes,
        "capacity": capacity,
        "topic": topic,
        "region": region,
        "visibility": visibility,
        "role": role if visibility == SessionVisibility.ROLE else "",
        "invitees": invitees if visibility == SessionVisibility.INVITE else [],
    }


# --- Scheduling ----------------------------------------------------------------------------------------------------


@transaction.atomic
def session_schedule(
    *,
    host: Member,
    title: str,
    starts_at: datetime,
    duration_minutes: int = 60,
    capacity: int = 100,
    description: str = "",
    topic: str = "",
    region: ForumCategory | None = None,
    visibility: str = SessionVisibility.MEMBERS,
    role: str = "",
    invitees: Iterable[Member] = (),
) -> LiveSession:
    _host_check(host)
    data = _schedule_clean(
        title=title,
        description=description,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        capacity=capacity,
        topic=topic,
        region=region,
        visibility=visibility,
        role=role,
        invitees=invitees,
        require_future=True,
    )
    invited = data.pop("invitees")
    session = LiveSession(host=host, **data)
    session.save()
    if invited:
        session.invitees.set(invited)
    return session


@transaction.atomic
def session_update(
    *,
    session: LiveSession,
    member: Member,
    title: str,
    starts_at: datetime,
    duration_minutes: int,
    capacity: int,
    description: str = "",
    topic: str = "",
    region: ForumCategory | None = None,
    visibility: str = SessionVisibility.MEMBERS,
    role: str = "",
    invitees: Iterable[Member] = (),
) -> LiveSession:
    """The host edits a scheduled session. A new time resets the reminders; a larger capacity seats the waitlist."""
    session = LiveSession.objects.select_for_update().get(pk=session.pk)
    if session.host_id != member.pk:
        raise PermissionDenied(_("Only the host can edit this session."))
    _open_check(session)
    data = _schedule_clean(
        title=title,
        description=description,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        capacity=capacity,
        topic=topic,
        region=region,
        visibility=visibility,
        role=role,
        invitees=invitees,
        require_future=starts_at != session.starts_at,
    )
    invited = data.pop("invitees")
    moved = data["starts_at"] != session.starts_at
    for field, value in data.items():
        setattr(session, field, value)
    session.sequence += 1
    session.save()
    session.invitees.set(invited)
    if moved:
        LiveRSVP.objects.filter(session=session).update(reminded_day_at=None, reminded_hour_at=None)
    _waitlist_promote(session)
    _broadcast_on_commit(session.pk, {"event": "session.updated", "title": session.title})
    return session


@transaction.atomic
def session_cancel(*, session: LiveSession, member: Member) -> LiveSession:
    session = LiveSession.objects.select_for_update().get(pk=session.pk)
    if session.host_id != member.pk and not selectors.member_can_moderate(member):
        raise PermissionDenied(_("Only the host can cancel this session."))
    _open_check(session)
    session.status = SessionStatus.CANCELLED
    session.cancelled_at = timezone.now()
    session.sequence += 1
    session.save(update_fields=["status", "cancelled_at", "sequence", "updated_at"])
    going = list(
        LiveRSVP.objects.filter(session=session).exclude(member=session.host).values_list("member__email", flat=True)
    )
    title, url = session.title, _absolute(session.get_absolute_url())

    def tell() -> None:
        for email in going:
            send_mail(
                _("Cancelled: %(title)s") % {"title": title},
                _("The live session “%(title)s” was cancelled by its host.\n\n%(url)s") % {"title": title, "url": url},
                None,
                [email],
            )

    transaction.on_commit(tell, robust=True)
    _broadcast_on_commit(session.pk, {"event": "session.cancelled"})
    return session


def _absolute(path: str) -> str:
    return f"{getattr(settings, 'SITE_URL', '').rstrip('/')}{path}"


# --- RSVPs ---------------------------------------------------------------------------------------------------------


def _waitlist_promote(session: LiveSession) -> list[LiveRSVP]:
    """Seats the first in line while seats are free; the caller holds the session's lock."""
    going = LiveRSVP.objects.filter(session=session, status=RSVPStatus.GOING).count()
    free = session.capacity - going
    if free <= 0:
        return []
    waiting = LiveRSVP.objects.filter(session=session, status=RSVPStatus.WAITLIST).order_by("created_at", "id")
    promoted = list(waiting[:free])
    if promoted:
        LiveRSVP.objects.filter(pk__in=[rsvp.pk for rsvp in promoted]).update(status=RSVPStatus.GOING)
        members = Member.objects.filter(pk__in=[rsvp.member_id for rsvp in promoted])
        emails = list(members.values_list("email", flat=True))
        title, url = session.title, _absolute(session.get_absolute_url())

        def tell() -> None:
            for email in emails:
                send_mail(
                    _("You have a seat: %(title)s") % {"title": title},
                    _("A seat freed up and it is yours: “%(title)s”.\n\n%(url)s") % {"title": title, "url": url},
                    None,
                    [email],
                )

        transaction.on_commit(tell, robust=True)
    return promoted


@transaction.atomic
def rsvp_create(*, session: LiveSession, member: Member) -> LiveRSVP:
    """Takes a seat, or a place on the waitlist when the session is full. Asking twice changes nothing."""
    moderation.sanction_act_check(member)
    _visible_check(session, member)
    locked = LiveSession.objects.select_for_update().get(pk=session.pk)
    _open_check(locked)
    if locked.ends_at <= timezone.now():
        raise ValidationError(_("This session is over."))
    existing = LiveRSVP.objects.filter(session=locked, member=member).first()
    if existing is not None:
        return existing
    going = LiveRSVP.objects.filter(session=locked, status=RSVPStatus.GOING).count()
    status = RSVPStatus.GOING if going < locked.capacity else RSVPStatus.WAITLIST
    return LiveRSVP.objects.create(session=locked, member=member, status=status)


@transaction.atomic
def rsvp_cancel(*, session: LiveSession, member: Member) -> bool:
    """Gives the seat (or the waitlist place) back; the first in line takes a freed seat. False if there was none."""
    locked = LiveSession.objects.select_for_update().get(pk=session.pk)
    deleted, _rows = LiveRSVP.objects.filter(session=locked, member=member).delete()
    if deleted and locked.status == SessionStatus.SCHEDULED:
        _waitlist_promote(locked)
    return bool(deleted)


# --- The room: chat and questions ----------------------------------------------------------------------------------


def _room_session(session_id: int, member: Member) -> LiveSession:
    session = selectors.sessions_visible_to(member).filter(pk=session_id).first()
    if session is None:
        raise PermissionDenied(_("This session is not open to you."))
    _open_check(session)
    return session


@transaction.atomic
def chat_post(*, session: LiveSession, author: Member, body: str) -> LiveChatMessage:
    moderation.sanction_post_check(author)  # silenced or suspended: a clear 403 with the reason
    session = _room_session(session.pk, author)
    body = _text_clean(body, field="body", limit=CHAT_MAX_CHARS, empty=_("Write a message first."))
    _rate_check(
        kind="chat",
        session_id=session.pk,
        member_id=author.pk,
        limit=CHAT_PER_WINDOW,
        window=CHAT_WINDOW_SECONDS,
        message=_("Slow down: at most %(count)s messages in %(seconds)s seconds.")
        % {"count": CHAT_PER_WINDOW, "seconds": CHAT_WINDOW_SECONDS},
    )
    message = LiveChatMessage.objects.create(session=session, author=author, body=body)
    message.author = author
    _broadcast_on_commit(session.pk, {"event": "chat.message", "message": chat_payload(message)})
    return message


@transaction.atomic
def question_ask(*, session: LiveSession, author: Member, body: str) -> LiveQuestion:
    moderation.sanction_post_check(author)  # silenced or suspended: a clear 403 with the reason
    session = _room_session(session.pk, author)
    body = _text_clean(body, field="body", limit=QUESTION_MAX_CHARS, empty=_("Write your question first."))
    _rate_check(
        kind="question",
        session_id=session.pk,
        member_id=author.pk,
        limit=QUESTIONS_PER_WINDOW,
        window=QUESTIONS_WINDOW_SECONDS,
        message=_("You can ask %(count)s questions a minute. Wait a moment and ask again.")
        % {"count": QUESTIONS_PER_WINDOW},
    )
    question = LiveQuestion.objects.create(session=session, author=author, body=body)
    question.author = author
    _broadcast_on_commit(session.pk, {"event": "question.asked", "question": question_payload(question)})
    return question


def _question_locked(question_id: int, session_id: int) -> LiveQuestion:
    question = (
        LiveQuestion.objects.select_for_update()
        .filter(pk=question_id, session_id=session_id, removed_at__isnull=True)
        .first()
    )
    if question is None:
        raise ValidationError({"question": _("There is no such question in this session.")})
    return question


@transaction.atomic
def question_upvote(*, session: LiveSession, question_id: int, member: Member) -> LiveQuestion:
    """One vote per member; not on one's own question."""
    moderation.sanction_act_check(member)
    session = _room_session(session.pk, member)
    question = _question_locked(question_id, session.pk)
    if question.author_id == member.pk:
        raise ValidationError({"question": _("You cannot upvote your own question.")})
    try:
        with transaction.atomic():
            LiveQuestionVote.objects.create(question=question, member=member)
    except IntegrityError:
        raise ValidationError({"question": _("You already upvoted this question.")}) from None
    LiveQuestion.objects.filter(pk=question.pk).update(upvote_count=F("upvote_count") + 1)
    question.upvote_count += 1
    _broadcast_on_commit(
        session.pk, {"event": "question.upvoted", "question": question.pk, "upvotes": question.upvote_count}
    )
    return question


@transaction.atomic
def question_answer(*, session: LiveSession, question_id: int, member: Member, answered: bool = True) -> LiveQuestion:
    session = _room_session(session.pk, member)
    if session.host_id != member.pk:
        raise PermissionDenied(_("Only the host marks questions answered."))
    question = _question_locked(question_id, session.pk)
    question.answered_at = timezone.now() if answered else None
    question.save(update_fields=["answered_at"])
    _broadcast_on_commit(session.pk, {"event": "question.answered", "question": question.pk, "answered": answered})
    return question


@transaction.atomic
def question_pin(*, session: LiveSession, question_id: int, member: Member, pinned: bool = True) -> LiveQuestion:
    session = _room_session(session.pk, member)
    if session.host_id != member.pk:
        raise PermissionDenied(_("Only the host pins questions."))
    question = _question_locked(question_id, session.pk)
    question.pinned = pinned
    question.save(update_fields=["pinned"])
    _broadcast_on_commit(session.pk, {"event": "question.pinned", "question": question.pk, "pinned": pinned})
    return question


@transaction.atomic
def question_remove(*, session: LiveSession, question_id: int, member: Member) -> LiveQuestion:
    """The host and moderators take a question off the queue (kept, with who removed it, for the record)."""
    session = _room_session(session.pk, member)
    _session_manager_check(session, member)
    question = _question_locked(question_id, session.pk)
    question.removed_at = timezone.now()
    question.removed_by = member
    question.save(update_fields=["removed_at", "removed_by"])
    _broadcast_on_commit(session.pk, {"event": "question.removed", "question": question.pk})
    return question


# --- Ending and the archive ----------------------------------------------------------------------------------------


@transaction.atomic
def session_end(*, session: LiveSession, member: Member | None) -> LiveSession:
    """The host (or a moderator; `member=None` for the beat task) ends the session; the archive follows."""
    session = LiveSession.objects.select_for_update().get(pk=session.pk)
    if member is not None:
        _session_manager_check(session, member)
    _open_check(session)
    session.status = SessionStatus.ENDED
    session.ended_at = timezone.now()
    session.save(update_fields=["status", "ended_at", "updated_at"])
    session_id = session.pk
    _broadcast_on_commit(session_id, {"event": "session.ended"})
    return session


def _archive_category(session: LiveSession) -> ForumCategory:
    """Members' sessions go to "Live session archives", readable by signed-in members only (what was said in a
    room that needed signing in is not published to the world); a role's sessions to a category for that role; an
    invite-only session to a private category of its own, open to its host and invitees."""
    if session.visibility == SessionVisibility.MEMBERS:
        category, _created = ForumCategory.objects.get_or_create(
            slug=ARCHIVE_CATEGORY_SLUG,
            defaults={
                "name": "Live session archives",
                "description": "Transcripts and answered questions of past live sessions.",
                "facet": CategoryFacet.TOPIC,
                "position": 90,
                "visibility": CategoryVisibility.MEMBERS,
            },
        )
        return category
    if session.visibility == SessionVisibility.ROLE:
        category, _created = ForumCategory.objects.get_or_create(
            slug=f"{ARCHIVE_CATEGORY_SLUG}-{session.role}",
            defaults={
                "name": f"Live session archives ({Role(session.role).label})",
                "description": "Archives of live sessions for one role.",
                "facet": CategoryFacet.TOPIC,
                "position": 91,
                "visibility": CategoryVisibility.ROLE,
                "role": session.role,
            },
        )
        return category
    category, _created = ForumCategory.objects.get_or_create(
        slug=f"{ARCHIVE_CATEGORY_SLUG}-session-{session.pk}",
        defaults={
            "name": f"Live session archive: {session.title}"[:80],
            "description": "The archive of an invite-only live session.",
            "facet": CategoryFacet.TOPIC,
            "position": 92,
            "visibility": CategoryVisibility.PRIVATE,
        },
    )
    category.members.add(session.host, *session.invitees.all())
    return category


def _markdown_text(text: str) -> str:
    """Member text as inert Markdown: special characters escaped, and no @mention or link comes alive in the
    archive (entities render as the same characters)."""
    text = re.sub(r"([\\`*_\[\]()#<>!|~{}+\-.])", r"\\\1", text)
    return text.replace("@", "&#64;").replace(":", "&#58;").replace("\n", " ")


def _archive_bodies(session: LiveSession) -> list[str]:
    questions = list(
        LiveQuestion.objects.filter(session=session, removed_at__isnull=True, answered_at__isnull=False)
        .select_related("author__profile")
        .order_by("-pinned", "-upvote_count", "created_at", "id")
    )
    lines = [
        _("Archive of the live session **%(title)s**, hosted by %(host)s on %(date)s (UTC).")
        % {
            "title": _markdown_text(session.title),
            "host": _markdown_text(str(session.host.display_name)),
            "date": session.starts_at.strftime("%Y-%m-%d %H:%M"),
        },
        "",
        "### " + _("Answered questions"),
        "",
    ]
    if questions:
        for question in questions:
            lines.append(
                "- "
                + _markdown_text(question.body)
                + " — "
                + _markdown_text(str(question.author.display_name))
                + " "
                + (
                    ngettext("(%(count)s upvote)", "(%(count)s upvotes)", question.upvote_count)
                    % {"count": question.upvote_count}
                )
            )
    else:
        lines.append(_("No question was marked answered."))
    lines += ["", "### " + _("Transcript"), ""]
    opening = "\n".join(lines)
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for message in (
        LiveChatMessage.objects.filter(session=session).select_related("author__profile").order_by("created_at", "id")
    ):
        line = (
            f"- {message.created_at.strftime('%H:%M')} **{_markdown_text(str(message.author.display_name))}**: "
            f"{_markdown_text(message.body)}"
        )
        limit = ARCHIVE_POST_CHARS - (len(opening) if not chunks else 0)
        if size + len(line) + 1 > limit and current:
            chunks.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        chunks.append("\n".join(current))
    if not chunks:
        return [opening + _("Nobody wrote in the chat.")]
    return [opening + chunks[0], *chunks[1:]]


@transaction.atomic
def session_archive(*, session: LiveSession) -> Topic:
    """Writes the transcript and the answered questions as a forum topic by the host, through the forum's services
    (its rules apply). Idempotent: an archived session keeps its topic."""
    from community.forums import services as forum_services

    session = LiveSession.objects.select_for_update(of=("self",)).select_related("host__profile").get(pk=session.pk)
    if session.archive_topic_id:
        return session.archive_topic
    if session.status != SessionStatus.ENDED:
        raise ValidationError(_("Only an ended session is archived."))
    bodies = _archive_bodies(session)
    title = _("Live session: %(title)s (%(date)s)") % {
        "title": session.title,
        "date": session.starts_at.strftime("%Y-%m-%d"),
    }
    topic = forum_services.topic_create(
        author=session.host,
        category=_archive_category(session),
        title=title[:150],
        body=bodies[0],
        tags=["live-session"],
    )
    for body in bodies[1:]:
        forum_services.post_create(topic=topic, author=session.host, body=body)
    session.archive_topic = topic
    session.save(update_fields=["archive_topic", "updated_at"])
    _broadcast_on_commit(session.pk, {"event": "session.archived", "topic_url": topic.get_absolute_url()})
    return topic


def session_end_and_archive(*, session: LiveSession, member: Member | None) -> LiveSession:
    """Ends the session, then archives it in a transaction of its own: a forum rule refusing the archive (say, a
    rate limit) leaves the session ended, and the beat task tries the archive again later."""
    session = session_end(session=session, member=member)
    try:
        session_archive(session=session)
    except (ValidationError, PermissionDenied):
        logger.warning("live session %s: archive refused; the beat task retries", session.pk, exc_info=True)
    session.refresh_from_db()
    return session


def sessions_finish(*, now: datetime | None = None) -> int:
    """The beat task's sweep: ends sessions left open past their end, archives ended ones without a topic."""
    now = now or timezone.now()
    done = 0
    overdue = LiveSession.objects.filter(status=SessionStatus.SCHEDULED, ends_at__lt=now - END_GRACE)
    for session in overdue:
        try:
            session_end_and_archive(session=session, member=None)
            done += 1
        except ValidationError:  # ended meanwhile
            continue
    for session in LiveSession.objects.filter(status=SessionStatus.ENDED, archive_topic__isnull=True):
        try:
            session_archive(session=session)
            done += 1
        except (ValidationError, PermissionDenied):
            logger.warning("live session %s: archive refused again", session.pk, exc_info=True)
    return done


# --- Calendars -----------------------------------------------------------------------------------------------------


@transaction.atomic
def feed_token_rotate(*, member: Member) -> CalendarFeedToken:
    """A new secret feed URL; the old one stops working at once."""
    CalendarFeedToken.objects.filter(member=member).delete()
    return CalendarFeedToken.objects.create(member=member, token=secrets.token_urlsafe(32))


@transaction.atomic
def feed_token_revoke(*, member: Member) -> bool:
    deleted, _rows = CalendarFeedToken.objects.filter(member=member).delete()
    return bool(deleted)


# --- Reminders -----------------------------------------------------------------------------------------------------


def _reminder_send(*, rsvp_id: int, field: str, now: datetime) -> bool:
    """Claims the reminder with a conditional UPDATE (so two runs never both send) and mails after commit."""
    with transaction.atomic():
        claimed = LiveRSVP.objects.filter(pk=rsvp_id, **{f"{field}__isnull": True}).update(**{field: now})
        if not claimed:
            return False
        rsvp = LiveRSVP.objects.select_related("member", "session__host__profile").get(pk=rsvp_id)
        session = rsvp.session
        context = {
            "session": session,
            "url": _absolute(session.get_absolute_url()),
            "ics_url": _absolute(f"{session.get_absolute_url()}event.ics"),
            "soon": field == "reminded_hour_at",
        }
        subject = (_("Starting within the hour: %(title)s") if context["soon"] else _("Tomorrow: %(title)s")) % {
            "title": session.title
        }
        body = render_to_string("community/live/reminder_email.txt", context)
        email = rsvp.member.email
        transaction.on_commit(lambda: send_mail(subject, body, None, [email]), robust=True)
        return True


def reminders_send(*, now: datetime | None = None) -> int:
    """Reminds members going to a session 24 hours and 1 hour before it starts. Idempotent: each reminder is
    claimed once per RSVP. A member who RSVPs within the last hour gets the hour reminder only."""
    now = now or timezone.now()
    sent = 0
    upcoming = LiveRSVP.objects.filter(
        status=RSVPStatus.GOING, session__status=SessionStatus.SCHEDULED, session__starts_at__gt=now
    )
    for rsvp_id in upcoming.filter(
        session__starts_at__lte=now + REMINDER_HOUR, reminded_hour_at__isnull=True
    ).values_list("pk", flat=True):
        if _reminder_send(rsvp_id=rsvp_id, field="reminded_hour_at", now=now):
            # The day's reminder would now only repeat it.
            LiveRSVP.objects.filter(pk=rsvp_id, reminded_day_at__isnull=True).update(reminded_day_at=now)
            sent += 1
    for rsvp_id in upcoming.filter(
        session__starts_at__gt=now + REMINDER_HOUR,
        session__starts_at__lte=now + REMINDER_DAY,
        reminded_day_at__isnull=True,
    ).values_list("pk", flat=True):
        if _reminder_send(rsvp_id=rsvp_id, field="reminded_day_at", now=now):
            sent += 1
    return sent
