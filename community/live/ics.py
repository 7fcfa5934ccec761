"""iCalendar (RFC 5545) for live sessions: one event to download, and a member's feed of the sessions they RSVP'd to.

Times are UTC ("Z" form), so no VTIMEZONE is needed. Text values escape backslash, semicolon, comma and newlines
(3.3.11); lines are folded at 75 octets without splitting a UTF-8 character (3.1); lines end with CRLF. Each session
keeps one UID across downloads and the feed, and SEQUENCE grows with every change, so calendars update the event
instead of adding another; a cancelled session is sent with STATUS:CANCELLED.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from community.models import LiveSession, SessionStatus

PRODID = "-//Guildhall//Live sessions//EN"
MAX_OCTETS = 75


def escape_text(value: str) -> str:
    return (
        (value or "")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Splits a content line into pieces of at most 75 octets; continuation lines start with one space."""
    pieces: list[str] = []
    current = ""
    size = 0
    limit = MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size = "", 0
            limit = MAX_OCTETS - 1  # the leading space counts
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "guildhall.invalid"


def session_uid(session: LiveSession) -> str:
    return f"live-session-{session.pk}@{_domain()}"


def _event_lines(session: LiveSession, *, stamp: datetime) -> list[str]:
    url = f"{settings.SITE_URL.rstrip('/')}{session.get_absolute_url()}"
    description = session.description
    description = f"{description}\n\n{url}" if description else url
    lines = [
        "BEGIN:VEVENT",
        f"UID:{session_uid(session)}",
        f"DTSTAMP:{utc_stamp(stamp)}",
        f"DTSTART:{utc_stamp(session.starts_at)}",
        f"DTEND:{utc_stamp(session.ends_at)}",
        f"SEQUENCE:{session.sequence}",
        f"SUMMARY:{escape_text(session.title)}",
        f"DESCRIPTION:{escape_text(description)}",
        f"URL:{url}",
        f"LOCATION:{escape_text(url)}",
        # ORGANIZER needs a mail address, which stays private: the host's name goes in a comment instead.
        f"COMMENT:{escape_text(str(session.host.display_name))}",
        f"STATUS:{'CANCELLED' if session.status == SessionStatus.CANCELLED else 'CONFIRMED'}",
    ]
    if session.topic:
        lines.append(f"CATEGORIES:{escape_text(session.topic)}")
    lines.append("END:VEVENT")
    return lines


def calendar(sessions: Iterable[LiveSession], *, name: str = "", now: datetime | None = None) -> str:
    stamp = now or timezone.now()
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    if name:
        lines.append(f"X-WR-CALNAME:{escape_text(name)}")
    for session in sessions:
        lines.extend(_event_lines(session, stamp=stamp))
    lines.append("END:VCALENDAR")
    return "".join(f"{fold(line)}\r\n" for line in lines)
