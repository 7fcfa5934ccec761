"""When a booking listing can be booked, and how many billable units a booking is.

Weekly windows and blocked dates are wall-clock times in the seller's timezone (their profile's, UTC by default):
a 09:00-17:00 window means nine to five where the seller is.

- A booking that starts and ends on the same local day must fit inside one window of that day.
- A booking over several days (rentals by the day or night) needs every day it occupies to be bookable: a day with
  at least one window, not blocked. For nightly rentals the departure day is not occupied.
- A date exception that is open with its own hours replaces that day's weekly windows; a blocked one closes it.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta

from django.utils.translation import gettext as _

from listings.models import Listing, PriceUnit

MAX_BOOKING_DAYS = 60
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def listing_timezone(listing: Listing) -> zoneinfo.ZoneInfo:
    profile = getattr(listing.seller, "profile", None)
    try:
        return zoneinfo.ZoneInfo(getattr(profile, "timezone", "") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _ceil_div(a: timedelta, b: timedelta) -> int:
    return -(-a // b)


def booking_units(*, price_unit: str, start: datetime, end: datetime, tz: zoneinfo.ZoneInfo) -> int:
    """Billable units: started hours, started 24-hour days, or nights (local dates crossed, at least one)."""
    if price_unit == PriceUnit.HOUR:
        return _ceil_div(end - start, HOUR)
    if price_unit == PriceUnit.DAY:
        return _ceil_div(end - start, DAY)
    if price_unit == PriceUnit.NIGHT:
        return max(1, (end.astimezone(tz).date() - start.astimezone(tz).date()).days)
    return 1


def booking_shape_problems(*, start: datetime | None, end: datetime | None) -> dict[str, list[str]]:
    """What is wrong with the times themselves, before looking at the listing."""
    if start is None or end is None:
        return {"start": [_("Choose when the booking starts and ends.")]}
    if start.tzinfo is None or end.tzinfo is None:
        return {"start": [_("Give the times with a timezone.")]}
    if end <= start:
        return {"end": [_("The end must be after the start.")]}
    if end - start > timedelta(days=MAX_BOOKING_DAYS):
        return {"end": [_("A booking lasts at most %(n)s days.") % {"n": MAX_BOOKING_DAYS}]}
    return {}


def booking_window_problems(*, listing: Listing, start: datetime, end: datetime, now: datetime) -> dict[str, list[str]]:
    """Why the listing cannot be booked from `start` to `end` (empty when it can), keyed by field."""
    problems = booking_shape_problems(start=start, end=end)
    if problems:
        return problems
    if start < now + timedelta(hours=listing.lead_time_hours):
        return {
            "start": [
                _("Book at least %(n)s hours ahead.") % {"n": listing.lead_time_hours}
                if listing.lead_time_hours
                else _("The start has passed.")
            ]
        }
    if start > now + timedelta(days=listing.max_advance_days):
        return {"start": [_("This can be booked at most %(n)s days ahead.") % {"n": listing.max_advance_days}]}

    tz = listing_timezone(listing)
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    rules: dict[int, list[tuple[time, time]]] = {}
    for rule in listing.availability_rules.all():
        rules.setdefault(rule.weekday, []).append((rule.start_time, rule.end_time))
    # The last day the booking occupies: one ending at midnight does not occupy the next day.
    last_day = (local_end - timedelta(microseconds=1)).date()
    exceptions = {
        exception.date: exception
        for exception in listing.availability_exceptions.filter(date__gte=local_start.date(), date__lte=last_day)
    }

    def windows(day: date) -> list[tuple[time, time]]:
        exception = exceptions.get(day)
        if exception is not None:
            if exception.blocked:
                return []
            if exception.start_time and exception.end_time:
                return [(exception.start_time, exception.end_time)]
        return rules.get(day.weekday(), [])

    if local_start.date() == last_day:
        begin = local_start.time()
        finish = local_end.time() if local_end.date() == last_day else time.max
        if not any(opens <= begin and finish <= closes for opens, closes in windows(local_start.date())):
            return {"start": [_("The listing is not available at these times.")]}
        return {}

    if listing.price_unit == PriceUnit.NIGHT:
        last_day = max(local_start.date(), local_end.date() - DAY)
    day = local_start.date()
    while day <= last_day:
        if not windows(day):
            return {"start": [_("The listing is not available on %(date)s.") % {"date": day.isoformat()}]}
        day += DAY
    return {}
