"""Coaching circles: facilitators create them and add members; sellers ask to join open circles of their stage;
4 to 8 members, held under concurrency; recurring meetings and an .ics file; a members-only thread."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from community.models import RoleGrant
from mentoring import circles
from mentoring.models import CircleMember, CircleMemberState, CirclePost, CoachingCircle
from tests.mentoring import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def logged_in(member) -> Client:
    client = Client()
    client.force_login(member)
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def facilitator(name: str = "Fay Facilitator"):
    member = f.member(name=name, stage="established")
    RoleGrant.objects.create(member=member, role="facilitator")
    return member


def circle_data(**overrides) -> dict:
    return {
        "name": "First sales circle",
        "stage": "new",
        "description": "We work on first sales together.",
        "max_members": 4,
        "open_to_requests": True,
        "frequency": "weekly",
        "first_meeting_at": timezone.now() + timedelta(days=2),
        "duration_minutes": 60,
        "timezone": "Europe/London",
        **overrides,
    }


def new_circle(host=None, **overrides) -> CoachingCircle:
    return circles.circle_create(facilitator=host or facilitator(), data=circle_data(**overrides))


LONDON = ZoneInfo("Europe/London")


def in_weeks(weeks: int, hour: int = 18, zone=LONDON) -> datetime:
    """A Monday about `weeks` weeks ahead at `hour` local time (within the year circles accept)."""
    day = (timezone.now() + timedelta(weeks=weeks)).date()
    day -= timedelta(days=day.weekday())
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=zone)


def form_data(**overrides) -> dict:
    data = circle_data(**overrides)
    data["first_meeting_at"] = in_weeks(4).strftime("%Y-%m-%dT%H:%M")
    data["open_to_requests"] = "on"
    return {key: value for key, value in data.items() if value is not None}


# --- creating and editing ------------------------------------------------------------------------------------------


def test_a_facilitator_creates_a_circle_and_only_they_edit_it():
    host = facilitator()
    client = logged_in(host)
    response = client.post(reverse("mentoring:circle_create"), form_data())
    circle = CoachingCircle.objects.get()
    assert response.status_code == 302 and response["Location"] == circle.get_absolute_url()
    # the first meeting is read in the circle's time zone (London), not the server's (UTC)
    assert circle.first_meeting_at == in_weeks(4)
    assert (circle.facilitator, circle.max_members, circle.frequency) == (host, 4, "weekly")
    edit = reverse("mentoring:circle_edit", kwargs={"pk": circle.pk})
    assert f'value="{in_weeks(4):%Y-%m-%dT%H:%M}"' in client.get(edit).content.decode()
    assert client.post(edit, form_data(name="Renamed", max_members=5)).status_code == 302
    assert CoachingCircle.objects.get().name == "Renamed"
    # another facilitator and a seller: 404
    assert logged_in(facilitator("Other")).get(edit).status_code == 404
    assert logged_in(f.member()).post(edit, form_data(name="Mine now")).status_code == 404


def test_only_facilitators_create_circles():
    seller = f.member()
    assert logged_in(seller).get(reverse("mentoring:circle_create")).status_code == 404
    with pytest.raises(PermissionDenied):
        circles.circle_create(facilitator=seller, data=circle_data())
    assert "Start a circle" not in text(logged_in(seller).get(reverse("mentoring:circles")))


@pytest.mark.parametrize("size", [3, 9, 0, 10_000])
def test_a_circle_of_fewer_than_4_or_more_than_8_is_refused(size):
    host = facilitator()
    with pytest.raises(ValidationError) as error:
        new_circle(host, max_members=size)
    assert error.value.message_dict["max_members"] == ["A circle has from 4 to 8 members."]
    response = logged_in(host).post(reverse("mentoring:circle_create"), form_data(max_members=size))
    assert response.status_code == 400
    assert "A circle has from 4 to 8 members." in text(response)
    assert not CoachingCircle.objects.exists()


def test_bad_circle_input_is_answered_field_by_field():
    host = facilitator()
    response = logged_in(host).post(
        reverse("mentoring:circle_create"),
        {"name": "", "stage": "guru", "frequency": "hourly", "first_meeting_at": "tomorrow", "timezone": "Mars/Base"},
    )
    assert response.status_code == 400
    page = text(response)
    for message in ("This field is required", "Give a valid date and time", "Select a valid choice"):
        assert message in page
    with pytest.raises(ValidationError) as error:
        new_circle(host, first_meeting_at=timezone.now() + timedelta(days=800), meeting_url="javascript:alert(1)")
    assert set(error.value.message_dict) == {"first_meeting_at", "meeting_url"}


def test_a_circle_cannot_shrink_below_its_members():
    host = facilitator()
    circle = new_circle(host, max_members=5)
    for _ in range(5):
        circles.circle_member_add(circle_id=circle.pk, facilitator=host, member=f.member())
    with pytest.raises(ValidationError, match="already has 5 members"):
        circles.circle_update(circle_id=circle.pk, facilitator=host, data={"max_members": 4})


# --- members -------------------------------------------------------------------------------------------------------


def test_the_facilitator_adds_members_by_email_until_the_circle_is_full():
    host = facilitator()
    circle = new_circle(host)
    client = logged_in(host)
    url = reverse("mentoring:circle_member_add", kwargs={"pk": circle.pk})
    sellers = [f.member(name=f"Seller {n}") for n in range(5)]
    for seller in sellers[:4]:
        assert client.post(url, {"email": seller.email.upper()}).status_code == 302
    response = client.post(url, {"email": sellers[4].email})
    assert response.status_code == 400
    assert "This circle is full (4 of 4 members)." in text(response)
    assert client.post(url, {"email": "nobody@example.com"}).status_code == 400
    assert circle.memberships.filter(state=CircleMemberState.MEMBER).count() == 4
    # adding twice is refused; a stranger cannot add at all
    with pytest.raises(ValidationError, match="already in this circle"):
        circles.circle_member_add(circle_id=circle.pk, facilitator=host, member=sellers[0])
    assert logged_in(sellers[4]).post(url, {"email": sellers[4].email}).status_code == 404


def test_a_seller_asks_to_join_an_open_circle_of_their_stage_and_the_facilitator_approves():
    host = facilitator()
    circle = new_circle(host, stage="new")
    closed = new_circle(host, stage="new", name="Closed circle", open_to_requests=False)
    growing = new_circle(host, stage="growing", name="Growing circle")
    seller = f.member(stage="new", name="Nia New")
    client = logged_in(seller)
    page = text(client.get(reverse("mentoring:circles")))
    assert "First sales circle" in page and "Closed circle" not in page and "Growing circle" not in page
    # the circle page stays private until they are in
    assert client.get(circle.get_absolute_url()).status_code == 404
    assert client.post(reverse("mentoring:circle_join", kwargs={"pk": circle.pk})).status_code == 302
    assert "You asked to join" in text(client.get(reverse("mentoring:circles")))
    for other in (closed, growing):
        assert client.post(reverse("mentoring:circle_join", kwargs={"pk": other.pk})).status_code == 404
    with pytest.raises(ValidationError, match="already asked"):
        circles.circle_join_request(circle_id=circle.pk, member=seller)
    # the facilitator sees the request and approves it
    assert "Nia New" in text(logged_in(host).get(circle.get_absolute_url()))
    approve = reverse("mentoring:circle_approve", kwargs={"pk": circle.pk, "member_id": seller.pk})
    assert client.post(approve).status_code == 404  # not theirs to approve
    assert logged_in(host).post(approve).status_code == 302
    assert CircleMember.objects.get(circle=circle, member=seller).state == CircleMemberState.MEMBER
    assert client.get(circle.get_absolute_url()).status_code == 200
    # and leaving takes them out again
    client.post(reverse("mentoring:circle_leave", kwargs={"pk": circle.pk}))
    assert client.get(circle.get_absolute_url()).status_code == 404


def test_a_full_circle_refuses_requests_and_approvals_with_a_clear_message():
    host = facilitator()
    circle = new_circle(host)
    waiting = f.member(stage="new")
    circles.circle_join_request(circle_id=circle.pk, member=waiting)
    for _ in range(4):
        circles.circle_member_add(circle_id=circle.pk, facilitator=host, member=f.member())
    with pytest.raises(ValidationError, match=r"This circle is full \(4 of 4 members\)"):
        circles.circle_join_request(circle_id=circle.pk, member=f.member(stage="new"))
    with pytest.raises(ValidationError, match="This circle is full"):
        circles.circle_request_answer(circle_id=circle.pk, facilitator=host, member_id=waiting.pk, approve=True)
    assert CircleMember.objects.get(member=waiting).state == CircleMemberState.REQUESTED


def _race(calls) -> list[object]:
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # returned for the test to inspect
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_last_place_goes_to_one_of_two_sellers_joining_at_once():
    # given a circle of 4 with 3 members and two sellers' requests waiting
    host = facilitator()
    circle = new_circle(host)
    for _ in range(3):
        circles.circle_member_add(circle_id=circle.pk, facilitator=host, member=f.member())
    newcomers = [f.member(stage="new"), f.member(stage="new")]
    # when the facilitator adds both at the same moment (two tabs)
    results = _race(
        [lambda m=m: circles.circle_member_add(circle_id=circle.pk, facilitator=host, member=m) for m in newcomers]
    )
    # then one is in and the other is told the circle is full
    assert sorted(type(result).__name__ for result in results) == ["CircleMember", "ValidationError"]
    assert "This circle is full (4 of 4 members)." in str(next(r for r in results if isinstance(r, ValidationError)))
    assert circle.memberships.filter(state=CircleMemberState.MEMBER).count() == 4


# --- the thread ----------------------------------------------------------------------------------------------------


def test_members_post_to_the_thread_with_markdown_and_scripts_stay_inert():
    host = facilitator()
    circle = new_circle(host)
    member = f.member(name="Nia New")
    circles.circle_member_add(circle_id=circle.pk, facilitator=host, member=member)
    client = logged_in(member)
    url = reverse("mentoring:circle_post", kwargs={"pk": circle.pk})
    body = "**Sold my first mug!** <script>alert('x')</script> [link](javascript:alert(1))"
    assert client.post(url, {"body": body}).status_code == 302
    post = CirclePost.objects.get()
    assert "<strong>Sold my first mug!</strong>" in post.body_html
    page = client.get(circle.get_absolute_url()).content.decode()
    assert "<strong>Sold my first mug!</strong>" in page
    start = page.find("<script>alert")
    assert start == -1, page[start - 300 : start + 100]
    assert 'href="javascript' not in page
    assert "&lt;script&gt;" in page  # shown as text
    # an empty message is refused on the field
    response = client.post(url, {"body": "   "})
    assert response.status_code == 400 and "Write your message." in text(response)
    # a stranger cannot read or write, and cannot tell the circle exists
    stranger = logged_in(f.member())
    assert stranger.get(circle.get_absolute_url()).status_code == 404
    assert stranger.post(url, {"body": "hello"}).status_code == 404
    assert stranger.get(reverse("mentoring:circle_calendar", kwargs={"pk": circle.pk})).status_code == 404
    with pytest.raises(Http404):
        circles.circle_post_create(circle_id=circle.pk, author=f.member(), body="hi")
    assert CirclePost.objects.count() == 1


def test_the_circle_page_costs_the_same_queries_for_more_posts_and_members():
    host = facilitator()
    circle = new_circle(host, max_members=8)
    client = logged_in(host)
    client.get(circle.get_absolute_url())
    counts = []
    for _ in range(2):
        for _ in range(3):
            member = f.member()
            circles.circle_member_add(circle_id=circle.pk, facilitator=host, member=member)
            circles.circle_post_create(circle_id=circle.pk, author=member, body="Hello *all*")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(circle.get_absolute_url()).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    list_url = reverse("mentoring:circles")
    client.get(list_url)
    with CaptureQueriesContext(connection) as before:
        client.get(list_url)
    new_circle(host, name="Another")
    new_circle(host, name="And another")
    with CaptureQueriesContext(connection) as after:
        client.get(list_url)
    assert len(before) == len(after)


# --- meetings ------------------------------------------------------------------------------------------------------


def test_weekly_meetings_keep_their_local_time_across_the_clock_change():
    london = LONDON
    first = datetime(2030, 10, 14, 18, 0, tzinfo=london)  # the clocks go back on 27 October 2030
    circle = new_circle()
    CoachingCircle.objects.filter(pk=circle.pk).update(first_meeting_at=first)  # the rule, years ahead
    circle.refresh_from_db()
    found = circles.circle_occurrences(circle, count=4, after=first - timedelta(hours=1))
    assert [(d.astimezone(london).day, d.astimezone(london).hour) for d in found] == [
        (14, 18),
        (21, 18),
        (28, 18),
        (4, 18),
    ]
    assert [d.astimezone(UTC).hour for d in found] == [17, 17, 18, 18]
    # only meetings after `after`
    later = circles.circle_occurrences(circle, count=2, after=datetime(2030, 10, 22, tzinfo=UTC))
    assert [d.astimezone(london).day for d in later] == [28, 4]


@pytest.mark.parametrize(
    ("frequency", "days"),
    [("fortnightly", [6, 20, 3]), ("monthly", [6, 6, 6])],
)
def test_fortnightly_and_monthly_meetings(frequency, days):
    first = datetime(2030, 5, 6, 17, 0, tzinfo=UTC)
    circle = new_circle(frequency=frequency, timezone="UTC")
    CoachingCircle.objects.filter(pk=circle.pk).update(first_meeting_at=first)
    circle.refresh_from_db()
    found = circles.circle_occurrences(circle, count=3, after=first - timedelta(minutes=1))
    assert [d.day for d in found] == days


def test_the_calendar_file_has_the_recurrence_rule():
    host = facilitator()
    circle = new_circle(
        host,
        name="Pricing, photos; and more",
        frequency="fortnightly",
        first_meeting_at=in_weeks(6),
        meeting_url="https://meet.example.com/circle",
    )
    start = f"{in_weeks(6):%Y%m%d}"
    response = logged_in(host).get(reverse("mentoring:circle_calendar", kwargs={"pk": circle.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert f"DTSTART;TZID=Europe/London:{start}T180000\r\n" in body
    assert f"DTEND;TZID=Europe/London:{start}T190000\r\n" in body
    assert "RRULE:FREQ=WEEKLY;INTERVAL=2\r\n" in body
    assert "SUMMARY:Pricing\\, photos\\; and more\r\n" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    # the page lists the next meetings and links the file
    page = text(logged_in(host).get(circle.get_absolute_url()))
    assert "Add to my calendar (.ics)" in page and "Every two weeks" in page
