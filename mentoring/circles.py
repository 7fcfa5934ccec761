"""Coaching circles: writes (create, edit, add members, requests to join, leave, the thread), reads, and the
meeting calendar (next occurrences and an .ics file with the recurrence rule).

Who may do what:
- a facilitator (the role, or staff) creates a circle and becomes its facilitator; only they edit it, add members
  and answer requests to join;
- a seller at the circle's stage may ask to join a circle that is open to requests;
- the thread and the circle page belong to its facilitator and members. For anyone else the circle does not
  exist (404), except that an open circle of a seller's own stage is listed for them to ask to join.

The size cap holds under concurrency: every service that makes someone a member locks the circle row first, then
counts.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dateutil.rrule import MONTHLY, WEEKLY, rrule
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from community import moderation
from community.models import Member, Role, SellerStage
from community.services import notification_create
from listings.markdown import markdown_render
from mentoring.models import (
    CIRCLE_MAX_SIZE,
    CIRCLE_MIN_SIZE,
    CircleMember,
    CircleMemberState,
    CirclePost,
    CoachingCircle,
    MeetingFrequency,
)

POST_MAX_CHARS = 5000
OCCURRENCES_SHOWN = 6
CIRCLE_FIELDS = {
    "name",
    "stage",
    "description",
    "max_members",
    "open_to_requests",
    "frequency",
    "first_meeting_at",
    "duration_minutes",
    "timezone",
    "meeting_url",
}


def is_facilitator(member: Member) -> bool:
    return bool(member.is_staff or member.has_role(Role.FACILITATOR))


def _stage_of(member: Member) -> str:
    return getattr(getattr(member, "profile", None), "seller_stage", "") or SellerStage.NEW


# --- Writes ------------------------------------------------------------------------------------------------------


def _circle_clean(circle: CoachingCircle, data: dict[str, Any], *, members: int = 0) -> None:
    """Applies `data` to `circle` and raises every problem at once, field by field."""
    unknown = set(data) - CIRCLE_FIELDS
    if unknown:
        raise ValidationError({field: [_("This field cannot be changed.")] for field in sorted(unknown)})
    errors: dict[str, list[str]] = {}
    for field, value in data.items():
        setattr(circle, field, value.strip() if isinstance(value, str) else value)
    if not (circle.name or "").strip():
        errors["name"] = [_("Give the circle a name.")]
    size = circle.max_members
    if isinstance(size, bool) or not isinstance(size, int) or not CIRCLE_MIN_SIZE <= size <= CIRCLE_MAX_SIZE:
        errors["max_members"] = [
            _("A circle has from %(min)s to %(max)s members.") % {"min": CIRCLE_MIN_SIZE, "max": CIRCLE_MAX_SIZE}
        ]
    elif size < members:
        errors["max_members"] = [
            _("The circle already has %(n)s members: it cannot be smaller than that.") % {"n": members}
        ]
    if circle.stage not in SellerStage.values:
        errors["stage"] = [_("Choose a seller stage.")]
    if circle.frequency not in MeetingFrequency.values:
        errors["frequency"] = [_("Choose how often the circle meets.")]
    try:
        zoneinfo.ZoneInfo(circle.timezone or "")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = [_("Choose a time zone from the list.")]
    first = circle.first_meeting_at
    if not isinstance(first, datetime) or timezone.is_naive(first):
        errors["first_meeting_at"] = [_("Give the date and time of the first meeting.")]
    elif abs(first - timezone.now()) > timedelta(days=366):
        errors["first_meeting_at"] = [_("Give a date within a year from today.")]
    duration = circle.duration_minutes
    if isinstance(duration, bool) or not isinstance(duration, int) or not 15 <= duration <= 240:
        errors["duration_minutes"] = [_("A meeting lasts between 15 and 240 minutes.")]
    if circle.meeting_url:
        try:
            URLValidator(schemes=["https", "http"])(circle.meeting_url)
        except ValidationError:
            errors["meeting_url"] = [_("Give a web address starting with https://.")]
    if len(circle.description or "") > 2000:
        errors["description"] = [_("Keep the description under 2000 characters.")]
    if len(circle.name or "") > 120:
        errors["name"] = [_("Keep the name under 120 characters.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def circle_create(*, facilitator: Member, data: dict[str, Any]) -> CoachingCircle:
    if not is_facilitator(facilitator):
        raise PermissionDenied(_("Only facilitators start coaching circles."))
    circle = CoachingCircle(facilitator=facilitator)
    zone = getattr(getattr(facilitator, "profile", None), "timezone", "") or "UTC"
    _circle_clean(circle, {"timezone": zone, **data})
    circle.save()
    return circle


def _circle_locked(circle_id: int) -> CoachingCircle:
    circle = CoachingCircle.objects.select_for_update().filter(pk=circle_id).first()
    if circle is None:
        raise Http404
    return circle


def _facilitated_locked(circle_id: int, facilitator: Member) -> CoachingCircle:
    circle = _circle_locked(circle_id)
    if circle.facilitator_id != facilitator.pk:
        raise Http404
    return circle


@transaction.atomic
def circle_update(*, circle_id: int, facilitator: Member, data: dict[str, Any]) -> CoachingCircle:
    circle = _facilitated_locked(circle_id, facilitator)
    _circle_clean(circle, data, members=_member_count(circle))
    circle.save()
    return circle


def _member_count(circle: CoachingCircle) -> int:
    return circle.memberships.filter(state=CircleMemberState.MEMBER).count()


def _room_check(circle: CoachingCircle) -> None:
    count = _member_count(circle)
    if count >= circle.max_members:
        raise ValidationError(
            _("This circle is full (%(count)s of %(max)s members).") % {"count": count, "max": circle.max_members}
        )


def _join(circle: CoachingCircle, member: Member, *, added_by: Member) -> CircleMember:
    row = CircleMember.objects.select_for_update().filter(circle=circle, member=member).first()
    if row is not None and row.state == CircleMemberState.MEMBER:
        raise ValidationError(_("%(name)s is already in this circle.") % {"name": member.display_name})
    _room_check(circle)
    row = row or CircleMember(circle=circle, member=member)
    row.state = CircleMemberState.MEMBER
    row.added_by = added_by
    row.joined_at = timezone.now()
    row.save()
    notification_create(
        kind="mentoring",
        member=member,
        text=_("You are in the coaching circle “%(name)s”.") % {"name": circle.name},
        url=circle.get_absolute_url(),
    )
    return row


@transaction.atomic
def circle_member_add(*, circle_id: int, facilitator: Member, member: Member | None) -> CircleMember:
    """The facilitator adds a seller (by their email, in the page), within the circle's size."""
    circle = _facilitated_locked(circle_id, facilitator)
    if member is None or not member.is_active:
        raise ValidationError({"email": [_("No member has that email address.")]})
    if member.pk == facilitator.pk:
        raise ValidationError({"email": [_("You facilitate this circle: add the sellers who will meet in it.")]})
    try:
        return _join(circle, member, added_by=facilitator)
    except ValidationError as error:
        raise ValidationError({"email": error.messages}) from error


@transaction.atomic
def circle_join_request(*, circle_id: int, member: Member) -> CircleMember:
    """A seller asks to join an open circle of their stage; the facilitator answers."""
    circle = _circle_locked(circle_id)
    if circle.facilitator_id == member.pk:
        raise ValidationError(_("You facilitate this circle."))
    if not circle.open_to_requests or circle.stage != _stage_of(member):
        raise Http404
    row = CircleMember.objects.filter(circle=circle, member=member).first()
    if row is not None:
        raise ValidationError(
            _("You are already in this circle.")
            if row.state == CircleMemberState.MEMBER
            else _("You have already asked to join: the facilitator will answer.")
        )
    _room_check(circle)
    row = CircleMember.objects.create(circle=circle, member=member, state=CircleMemberState.REQUESTED)
    notification_create(
        kind="mentoring",
        member=circle.facilitator,
        text=_("%(name)s asks to join “%(circle)s”.") % {"name": member.display_name, "circle": circle.name},
        url=circle.get_absolute_url(),
    )
    return row


@transaction.atomic
def circle_request_answer(*, circle_id: int, facilitator: Member, member_id: int, approve: bool) -> None:
    circle = _facilitated_locked(circle_id, facilitator)
    row = CircleMember.objects.filter(
        circle=circle, member_id=member_id, state=CircleMemberState.REQUESTED
    ).select_related("member")
    row = row.first()
    if row is None:
        raise Http404
    if approve:
        _join(circle, row.member, added_by=facilitator)
    else:
        row.delete()
        notification_create(
            kind="mentoring",
            member=row.member,
            text=_("The circle “%(name)s” cannot take you this time.") % {"name": circle.name},
            url="",
        )


@transaction.atomic
def circle_leave(*, circle_id: int, member: Member) -> None:
    """A member leaves (or withdraws their request); the facilitator may remove a member the same way."""
    circle = _circle_locked(circle_id)
    deleted, _rows = CircleMember.objects.filter(circle=circle, member=member).delete()
    if not deleted:
        raise Http404


@transaction.atomic
def circle_member_remove(*, circle_id: int, facilitator: Member, member_id: int) -> None:
    circle = _facilitated_locked(circle_id, facilitator)
    deleted, _rows = CircleMember.objects.filter(circle=circle, member_id=member_id).delete()
    if not deleted:
        raise Http404


@transaction.atomic
def circle_post_create(*, circle_id: int, author: Member, body: str) -> CirclePost:
    """A message in the thread, by the facilitator or a member; Markdown sanitised with nh3 when written."""
    circle = circle_for_member(pk=circle_id, member=author)
    moderation.sanction_post_check(author)  # silenced or suspended members do not post
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Write your message.")]})
    if len(body) > POST_MAX_CHARS:
        raise ValidationError({"body": [_("Keep it under %(n)s characters.") % {"n": f"{POST_MAX_CHARS:,}"}]})
    return CirclePost.objects.create(circle=circle, author=author, body=body, body_html=markdown_render(body))


# --- Reads -------------------------------------------------------------------------------------------------------


def _with_counts(queryset: QuerySet[CoachingCircle]) -> QuerySet[CoachingCircle]:
    return queryset.select_related("facilitator__profile").annotate(
        member_count=Count("memberships", filter=Q(memberships__state=CircleMemberState.MEMBER), distinct=True)
    )


def circles_of(*, member: Member) -> list[CoachingCircle]:
    """The circles the member facilitates or belongs to, with their member counts (two queries)."""
    mine = Q(facilitator=member) | Q(
        pk__in=CircleMember.objects.filter(member=member, state=CircleMemberState.MEMBER).values("circle_id")
    )
    return list(_with_counts(CoachingCircle.objects.filter(mine)).order_by("name", "pk"))


def circles_to_join(*, member: Member) -> list[CoachingCircle]:
    """Open circles of the member's stage that they are not in; `requested` says whether they asked already."""
    stage = _stage_of(member)
    rows = CircleMember.objects.filter(member=member)
    asked = set(rows.filter(state=CircleMemberState.REQUESTED).values_list("circle_id", flat=True))
    circles = list(
        _with_counts(CoachingCircle.objects.filter(stage=stage, open_to_requests=True))
        .exclude(facilitator=member)
        .exclude(pk__in=rows.filter(state=CircleMemberState.MEMBER).values("circle_id"))
        .order_by("name", "pk")
    )
    for circle in circles:
        circle.requested = circle.pk in asked
    return circles


def circle_for_member(*, pk: int, member: Member) -> CoachingCircle:
    """The circle, for its facilitator and members; 404 for anyone else."""
    circle = _with_counts(CoachingCircle.objects.filter(pk=pk)).first()
    if circle is None:
        raise Http404
    if (
        circle.facilitator_id != member.pk
        and not circle.memberships.filter(member=member, state=CircleMemberState.MEMBER).exists()
    ):
        raise Http404
    return circle


@dataclass(frozen=True)
class CirclePage:
    circle: CoachingCircle
    members: list[CircleMember]
    requests: list[CircleMember]
    posts: list[CirclePost]
    occurrences: list[datetime]
    is_facilitator: bool

    @property
    def places_left(self) -> int:
        return max(0, self.circle.max_members - len(self.members))

    @property
    def forming(self) -> int:
        """How many more members the circle needs to reach its minimum size (0 once it has them)."""
        return max(0, CIRCLE_MIN_SIZE - len(self.members))


def circle_page(*, pk: int, member: Member) -> CirclePage:
    """Everything the circle page shows, in a fixed number of queries whatever the size of the thread."""
    circle = circle_for_member(pk=pk, member=member)
    rows = list(circle.memberships.select_related("member__profile").order_by("joined_at", "created_at", "pk"))
    posts = list(circle.posts.select_related("author__profile").order_by("-created_at", "-pk")[:100])
    posts.reverse()
    return CirclePage(
        circle=circle,
        members=[row for row in rows if row.state == CircleMemberState.MEMBER],
        requests=[row for row in rows if row.state == CircleMemberState.REQUESTED],
        posts=posts,
        occurrences=circle_occurrences(circle),
        is_facilitator=circle.facilitator_id == member.pk,
    )


def circle_for_facilitator(*, pk: int, member: Member) -> CoachingCircle:
    circle = CoachingCircle.objects.filter(pk=pk, facilitator=member).first()
    if circle is None:
        raise Http404
    return circle


# --- The calendar ------------------------------------------------------------------------------------------------

_RULES = {
    MeetingFrequency.WEEKLY: (WEEKLY, 1, "FREQ=WEEKLY"),
    MeetingFrequency.FORTNIGHTLY: (WEEKLY, 2, "FREQ=WEEKLY;INTERVAL=2"),
    MeetingFrequency.MONTHLY: (MONTHLY, 1, "FREQ=MONTHLY"),
}


def _zone(circle: CoachingCircle) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(circle.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def circle_occurrences(
    circle: CoachingCircle, *, count: int = OCCURRENCES_SHOWN, after: datetime | None = None
) -> list[datetime]:
    """The next `count` meetings from `after` (now), aware datetimes. The rule runs on the circle's local wall
    clock, so a 6 pm meeting stays at 6 pm after the clocks change. A monthly meeting on the 31st skips shorter
    months, as calendars do with the same RRULE."""
    zone = _zone(circle)
    after = after or timezone.now()
    local_start = circle.first_meeting_at.astimezone(zone).replace(tzinfo=None)
    freq, interval, _rule = _RULES[circle.frequency]
    local_after = max(after.astimezone(zone).replace(tzinfo=None), local_start - timedelta(seconds=1))
    found: list[datetime] = []
    for local in rrule(freq, interval=interval, dtstart=local_start, count=520):
        if local <= local_after:
            continue
        found.append(local.replace(tzinfo=zone))
        if len(found) >= count:
            break
    return found


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r", "").replace("\n", "\\n")


def _ics_fold(line: str) -> str:
    """Lines longer than 75 octets are folded (RFC 5545 3.1)."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += encoded
    parts.append(current.decode())
    return "\r\n ".join(parts)


def circle_ics(circle: CoachingCircle, *, url: str = "") -> str:
    """An iCalendar file with one recurring event (DTSTART in the circle's time zone and an RRULE)."""
    zone = _zone(circle)
    start = circle.first_meeting_at.astimezone(zone)
    end = start + timedelta(minutes=circle.duration_minutes)
    _freq, _interval, rule = _RULES[circle.frequency]
    stamp = timezone.now().astimezone(zoneinfo.ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ")
    description = circle.description or ""
    if circle.meeting_url:
        description = f"{description}\n\n{circle.meeting_url}".strip()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Guildhall//Coaching circles//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:circle-{circle.pk}@guildhall",
        f"DTSTAMP:{stamp}",
        f"DTSTART;TZID={zone.key}:{start:%Y%m%dT%H%M%S}",
        f"DTEND;TZID={zone.key}:{end:%Y%m%dT%H%M%S}",
        f"RRULE:{rule}",
        f"SUMMARY:{_ics_text(circle.name)}",
        f"DESCRIPTION:{_ics_text(description)}",
    ]
    if url:
        lines.append(f"URL:{url}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(_ics_fold(line) for line in lines) + "\r\n"
