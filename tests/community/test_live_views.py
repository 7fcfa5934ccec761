"""Live session pages, calendars and the API: a stranger gets 404 for an invite-only session, the room's forms work
without JavaScript, the .ics download and the personal feed (secret, revocable), the events API, and query counts
that do not grow with the list."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community.live import ics, services
from community.models import LiveQuestion, LiveRSVP, Role, RoleGrant, RSVPStatus, SessionVisibility
from tests.community.test_forums_support import member
from tests.community.test_live_support import host, region, session

pytestmark = pytest.mark.django_db


def signed_in(who) -> Client:
    client = Client()
    client.force_login(who)
    return client


def unfold(body: str) -> str:
    return body.replace("\r\n ", "")


# --- Pages and permissions -----------------------------------------------------------------------------------------


def test_a_stranger_gets_404_for_an_invite_only_session_and_its_calendar_and_api():
    owner, guest, stranger = host(), member(), member()
    secret = session(owner, title="Back-room planning", visibility=SessionVisibility.INVITE, invitees=[guest])
    for url in (
        reverse("live:session", args=[secret.pk]),
        reverse("live:session_ics", args=[secret.pk]),
        f"/api/v1/events/{secret.pk}",
    ):
        assert signed_in(stranger).get(url).status_code == 404, url
        assert signed_in(guest).get(url).status_code == 200, url
    assert signed_in(stranger).post(reverse("live:rsvp", args=[secret.pk])).status_code == 404
    assert signed_in(stranger).post(reverse("live:ask", args=[secret.pk]), {"body": "hi"}).status_code == 404
    assert "Back-room planning" not in signed_in(stranger).get(reverse("live:index")).content.decode()
    assert not LiveRSVP.objects.exists() and not LiveQuestion.objects.exists()


def test_a_role_session_is_open_to_that_role_only():
    sellers_only = session(visibility=SessionVisibility.ROLE, role=Role.SELLER)
    seller, buyer = member(), member()
    RoleGrant.objects.create(member=seller, role=Role.SELLER)
    assert signed_in(seller).get(sellers_only.get_absolute_url()).status_code == 200
    assert signed_in(buyer).get(sellers_only.get_absolute_url()).status_code == 404
    assert Client().get(sellers_only.get_absolute_url()).status_code == 302  # to sign in


def test_members_ask_upvote_and_rsvp_with_plain_forms_and_the_host_answers():
    owner = host("Fay Facilitator")
    planned = session(owner, capacity=1)
    asker, voter = member("Asker"), member("Voter")
    page = signed_in(asker).post(reverse("live:ask", args=[planned.pk]), {"body": "<script>x</script> prices?"})
    assert page.status_code == 302
    question = LiveQuestion.objects.get()
    signed_in(voter).post(reverse("live:question_action", args=[planned.pk, question.pk, "upvote"]))
    again = signed_in(voter).post(
        reverse("live:question_action", args=[planned.pk, question.pk, "upvote"]), follow=True
    )
    assert "You already upvoted this question." in again.content.decode()
    signed_in(owner).post(reverse("live:question_action", args=[planned.pk, question.pk, "answer"]))
    question.refresh_from_db()
    assert (question.upvote_count, question.answered_at is not None) == (1, True)
    html = signed_in(voter).get(planned.get_absolute_url()).content.decode()
    assert "&lt;script&gt;x&lt;/script&gt; prices?" in html and "<script>x</script>" not in html
    # A non-host cannot mark answered: the page says why.
    refused = signed_in(voter).post(reverse("live:question_action", args=[planned.pk, question.pk, "pin"]), follow=True)
    assert "Only the host pins questions." in refused.content.decode()
    # The only seat, then the waitlist.
    signed_in(asker).post(reverse("live:rsvp", args=[planned.pk]), {"action": "going"})
    full = signed_in(voter).post(reverse("live:rsvp", args=[planned.pk]), {"action": "going"}, follow=True)
    assert "on the waitlist" in full.content.decode()
    assert LiveRSVP.objects.get(member=voter).status == RSVPStatus.WAITLIST


def test_the_host_ends_the_session_and_the_page_links_the_archive():
    owner = host()
    planned = session(owner)
    page = signed_in(owner).post(reverse("live:session_end", args=[planned.pk]), follow=True)
    planned.refresh_from_db()
    assert planned.archive_topic_id
    assert reverse("forums:topic", args=[planned.archive_topic_id]) in page.content.decode()


def test_a_plain_member_cannot_schedule_and_a_host_can(client):
    assert signed_in(member()).get(reverse("live:session_new")).status_code == 403
    owner = host()
    starts = (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = signed_in(owner).post(
        reverse("live:session_new"),
        {
            "title": "Shipping Q&A",
            "starts_at": starts,
            "duration_minutes": 45,
            "capacity": 30,
            "visibility": "members",
            "topic": "Shipping",
        },
    )
    assert response.status_code == 302
    bad = signed_in(owner).post(
        reverse("live:session_new"),
        {
            "title": "Shipping Q&A",
            "starts_at": "2001-01-01T10:00",
            "duration_minutes": 45,
            "capacity": 30,
            "visibility": "members",
        },
    )
    assert bad.status_code == 400 and "Choose a start time in the future." in bad.content.decode()


def test_the_sessions_list_costs_the_same_queries_for_many_sessions(django_assert_max_num_queries):
    viewer = member()
    client = signed_in(viewer)
    owner = host()
    session(owner, title="One session")
    client.get(reverse("live:index"))  # warm the session and caches
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("live:index"))
    for n in range(15):
        session(owner, title=f"Session number {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("live:index"))
    assert response.content.decode().count("live-row") >= 16


# --- Calendars -----------------------------------------------------------------------------------------------------


def test_the_ics_download_is_rfc_5545_with_escaping_uid_and_utc_times():
    owner = host("Fay, the Host")
    starts = (timezone.now() + timedelta(days=3)).replace(hour=17, minute=30, second=0, microsecond=0)
    planned = services.session_schedule(
        host=owner,
        title="Pricing; margins, and \\ more",
        description="Line one\nLine two with a very long text " + "é" * 80,
        starts_at=starts,
        duration_minutes=90,
    )
    response = signed_in(member()).get(reverse("live:session_ics", args=[planned.pk]))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    raw = response.content.decode()
    assert raw.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:")
    assert raw.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in raw.split("\r\n"))
    body = unfold(raw)
    assert f"UID:live-session-{planned.pk}@localhost" in body
    assert re.search(r"\r\nDTSTAMP:\d{8}T\d{6}Z\r\n", body)
    assert f"DTSTART:{starts.strftime('%Y%m%dT%H%M%S')}Z" in body
    assert f"DTEND:{(starts + timedelta(minutes=90)).strftime('%Y%m%dT%H%M%S')}Z" in body
    assert "SUMMARY:Pricing\\; margins\\, and \\\\ more" in body
    assert "DESCRIPTION:Line one\\nLine two with a very long text " + "é" * 80 in body
    assert "STATUS:CONFIRMED" in body


def test_the_personal_feed_lists_my_rsvps_behind_a_secret_that_can_be_revoked():
    going = member()
    mine = session(title="Mine to attend")
    session(title="Not for me")
    services.rsvp_create(session=mine, member=going)
    client = signed_in(going)
    client.post(reverse("live:calendar"), {"action": "rotate"})
    page = client.get(reverse("live:calendar")).content.decode()
    feed_url = re.search(r'value="(http[^"]+\.ics)"', page).group(1)
    path = feed_url.split("testserver", 1)[1]
    # Calendar apps fetch it without signing in.
    feed = Client().get(path)
    assert feed.status_code == 200
    body = unfold(feed.content.decode())
    assert "SUMMARY:Mine to attend" in body and "Not for me" not in body
    # A new address: the old one stops working.
    client.post(reverse("live:calendar"), {"action": "rotate"})
    assert Client().get(path).status_code == 404
    client.post(reverse("live:calendar"), {"action": "revoke"})
    assert 'value="http' not in client.get(reverse("live:calendar")).content.decode()
    assert Client().get(reverse("live:feed", args=["not-a-token"])).status_code == 404


def test_a_cancelled_session_stays_in_the_feed_as_cancelled():
    owner, going = host(), member()
    planned = session(owner)
    services.rsvp_create(session=planned, member=going)
    services.session_cancel(session=planned, member=owner)
    planned.refresh_from_db()
    body = unfold(ics.calendar([planned]))
    assert "STATUS:CANCELLED" in body and "SEQUENCE:1" in body


# --- API -----------------------------------------------------------------------------------------------------------


def test_the_events_api_lists_upcoming_filters_and_rsvps():
    owner = host()
    north = region("North")
    near = session(owner, title="Northern meetup", topic="Markets", region=north, capacity=1)
    session(owner, title="Photo clinic", topic="Photos", in_hours=72)
    viewer, other = member(), member()
    client = signed_in(viewer)
    listed = client.get("/api/v1/events").json()
    assert [event["title"] for event in listed["results"]] == ["Northern meetup", "Photo clinic"]
    assert client.get(f"/api/v1/events?region={north.slug}").json()["count"] == 1
    assert [e["title"] for e in client.get("/api/v1/events?topic=photo").json()["results"]] == ["Photo clinic"]
    created = client.post(f"/api/v1/events/{near.pk}/rsvp")
    assert created.status_code == 201 and created.json()["status"] == "going"
    assert client.post(f"/api/v1/events/{near.pk}/rsvp").status_code == 200
    detail = client.get(f"/api/v1/events/{near.pk}").json()
    assert (detail["my_rsvp"], detail["seats_left"], detail["region"]["slug"]) == ("going", 0, north.slug)
    assert signed_in(other).post(f"/api/v1/events/{near.pk}/rsvp").json()["status"] == "waitlist"
    assert client.delete(f"/api/v1/events/{near.pk}/rsvp").status_code == 204
    assert LiveRSVP.objects.get(member=other).status == RSVPStatus.GOING
    assert client.delete(f"/api/v1/events/{near.pk}/rsvp").status_code == 404
    assert Client().get("/api/v1/events").status_code in (401, 403)


def test_the_events_api_list_costs_the_same_queries_for_many_events(django_assert_max_num_queries):
    owner, viewer = host(), member()
    client = signed_in(viewer)
    session(owner, title="First event")
    client.get("/api/v1/events")
    with django_assert_max_num_queries(30) as few:
        client.get("/api/v1/events")
    for n in range(15):
        session(owner, title=f"Event number {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/api/v1/events").json()["count"] == 16
