"""The mentoring pages: profiles, finding and asking a mentor, the inbox, a mentorship page and the track; who may
see what (strangers get 404), CSRF on every form, the request limit and query counts."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from community.models import Profile, Role, RoleGrant
from listings.models import Listing
from mentoring import services
from mentoring.models import (
    MenteeProfile,
    MentorProfile,
    Mentorship,
    MentorshipSession,
    MentorshipState,
    MilestoneKind,
)
from tests.community.factories import StaffFactory
from tests.listings import factories as listing_factories
from tests.mentoring import factories as f

pytestmark = pytest.mark.django_db

State = MentorshipState


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def ceramics():
    return f.category("Ceramics")


@pytest.fixture
def mentor(ceramics):
    return f.mentor(categories=[ceramics], skills=["pricing"], name="Max Mentor")


@pytest.fixture
def mentee(ceramics):
    return f.mentee(categories=[ceramics], skills=["pricing"], name="Nia New")


def logged_in(member) -> Client:
    client = Client()
    client.force_login(member)
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def url(name: str, pk: int | None = None) -> str:
    paths = {
        "home": "/mentoring/",
        "mentor": "/mentoring/mentor/",
        "mentee": "/mentoring/mentee/",
        "find": "/mentoring/find/",
        "inbox": "/mentoring/inbox/",
        "track": "/mentoring/track/",
        "request": f"/mentoring/find/{pk}/request/",
        "accept": f"/mentoring/requests/{pk}/accept/",
        "decline": f"/mentoring/requests/{pk}/decline/",
        "mentorship": f"/mentoring/mentorships/{pk}/",
        "sessions": f"/mentoring/mentorships/{pk}/sessions/",
        "goals": f"/mentoring/mentorships/{pk}/goals/",
        "start": f"/mentoring/mentorships/{pk}/start/",
        "complete": f"/mentoring/mentorships/{pk}/complete/",
        "withdraw": f"/mentoring/mentorships/{pk}/withdraw/",
        "end": f"/mentoring/mentorships/{pk}/end/",
        "rate": f"/mentoring/mentorships/{pk}/rate/",
    }
    return paths[name]


# --- signing in ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["home", "mentor", "mentee", "find", "inbox", "track"])
def test_pages_ask_visitors_to_sign_in(client, name):
    response = client.get(url(name))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- profiles ------------------------------------------------------------------------------------------------------


def test_a_member_becomes_a_mentor(ceramics):
    member = f.member(stage="established")
    client = logged_in(member)
    page = client.get(url("mentor"))
    assert page.status_code == 200
    assert "Become a mentor" in text(page)
    response = client.post(
        url("mentor"),
        {
            "headline": "Pricing pots",
            "categories": [ceramics.pk],
            "skills": "pricing, shipping",
            "seller_stage": "established",
            "languages": ["en", "es"],
            "timezone": "Europe/Madrid",
            "capacity": "2",
            "availability": "Evenings",
            "accepting": "on",
        },
    )
    assert response.status_code == 302 and response["Location"] == url("inbox")
    profile = MentorProfile.objects.get(member=member)
    assert (profile.headline, profile.capacity, profile.accepting) == ("Pricing pots", 2, True)
    assert RoleGrant.objects.filter(member=member, role=Role.MENTOR).exists()
    assert Profile.objects.get(member=member).timezone == "Europe/Madrid"


def test_the_mentor_form_shows_errors_on_the_fields():
    client = logged_in(f.member())
    response = client.post(url("mentor"), {"capacity": "0", "seller_stage": "new", "timezone": "Mars/Base"})
    assert response.status_code == 400
    body = text(response)
    assert "Please check these" in body
    assert "Choose at least one language you can meet in." in body
    assert not MentorProfile.objects.exists()


def test_a_member_becomes_a_mentee_and_lands_on_the_suggestions(ceramics, mentor):
    track = f.track("new", name="First steps")
    member = f.member()
    client = logged_in(member)
    page = client.get(url("mentee"))
    assert "First steps" in text(page)
    response = client.post(
        url("mentee"),
        {
            "track": track.pk,
            "goals": "Make my first sale",
            "categories": [ceramics.pk],
            "skills_wanted": "pricing",
            "seller_stage": "new",
            "languages": ["en"],
            "timezone": "Europe/London",
        },
    )
    assert response.status_code == 302 and response["Location"] == url("find")
    assert MenteeProfile.objects.get(member=member).track == track
    found = client.get(url("find"))
    assert "Max Mentor" in text(found)


def test_find_sends_members_without_a_mentee_profile_to_the_form():
    response = logged_in(f.member()).get(url("find"))
    assert response.status_code == 302 and response["Location"] == url("mentee")


# --- finding and asking -----------------------------------------------------------------------------------------


def test_find_shows_ranked_mentors_with_scores_and_reasons(ceramics, mentee, mentor):
    other = f.mentor(categories=[ceramics], zone="Asia/Tokyo", name="Far Mentor")
    body = text(logged_in(mentee).get(url("find")))
    assert body.index("Max Mentor") < body.index("Far Mentor")
    assert "1 shared category" in body and "same language (English)" in body and "1 skill you want" in body
    score = services.selectors.mentoring_match(mentee=mentee, mentor=mentor).score
    assert f"<strong>{score}</strong>" in body
    assert f'href="{url("request", mentor.pk)}"' in body
    assert f'href="{url("request", other.pk)}"' in body


def test_the_find_page_query_count_does_not_grow_with_mentors(ceramics, mentee):
    client = logged_in(mentee)
    for n in range(3):
        f.mentor(categories=[ceramics], name=f"Mentor {n}")
    client.get(url("find"))  # warm the caches (content types, site settings)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("find")).status_code == 200
    for n in range(12):
        f.mentor(categories=[ceramics], skills=[f"skill {n}"], name=f"More {n}")
    with CaptureQueriesContext(connection) as many:
        assert client.get(url("find")).status_code == 200
    assert len(few) == len(many), [q["sql"][:120] for q in many.captured_queries]


def test_a_mentee_asks_a_mentor(mentee, mentor):
    client = logged_in(mentee)
    page = client.get(url("request", mentor.pk))
    assert page.status_code == 200 and "Make my first sale" in text(page)  # the goals are prefilled
    response = client.post(url("request", mentor.pk), {"goals": "Price my mugs\nMake my first sale"})
    mentorship = Mentorship.objects.get()
    assert response.status_code == 302 and response["Location"] == url("mentorship", mentorship.pk)
    assert mentorship.state == State.PROPOSED
    assert list(mentorship.goals.values_list("text", flat=True)) == ["Price my mugs", "Make my first sale"]
    again = client.post(url("request", mentor.pk), {"goals": "Again"})
    assert again.status_code == 400 and "already asked this mentor" in text(again)


def test_asking_is_limited_per_day(mentee, ceramics):
    mentors = [f.mentor(categories=[ceramics], name=f"M{n}") for n in range(services.REQUESTS_PER_DAY + 1)]
    client = logged_in(mentee)
    for mentor in mentors[:-1]:
        assert client.post(url("request", mentor.pk), {"goals": "Sell"}).status_code == 302
    response = client.post(url("request", mentors[-1].pk), {"goals": "Sell"})
    assert response.status_code == 429
    assert "requests today" in text(response)


def test_no_request_page_for_members_who_are_not_mentors(mentee):
    assert logged_in(mentee).get(url("request", f.member().pk)).status_code == 404
    assert logged_in(mentee).get(url("request", mentee.pk)).status_code == 404


# --- inbox and answers --------------------------------------------------------------------------------------------


def test_the_mentor_accepts_from_the_inbox(mentor, mentee):
    mentorship = f.mentorship(mentor, mentee)
    client = logged_in(mentor)
    inbox = text(client.get(url("inbox")))
    assert "Nia New" in inbox and "Make my first sale" in inbox and "2 places left of 2" in inbox
    response = client.post(url("accept", mentorship.pk))
    assert response.status_code == 302 and response["Location"] == url("mentorship", mentorship.pk)
    mentorship.refresh_from_db()
    assert mentorship.state == State.ACCEPTED


def test_the_mentor_declines_with_a_note(mentor, mentee):
    mentorship = f.mentorship(mentor, mentee)
    response = logged_in(mentor).post(url("decline", mentorship.pk), {"note": "Full until June"})
    assert response.status_code == 302
    mentorship.refresh_from_db()
    assert (mentorship.state, mentorship.end_note) == (State.ENDED, "Full until June")


def test_a_full_mentor_is_told_so(mentee, ceramics):
    mentor = f.mentor(categories=[ceramics], capacity=1)
    waiting = f.mentorship(mentor, mentee)
    f.mentorship(mentor, f.mentee(categories=[ceramics]), state=State.ACCEPTED)
    response = logged_in(mentor).post(url("accept", waiting.pk), follow=True)
    assert "no places left" in text(response)
    waiting.refresh_from_db()
    assert waiting.state == State.PROPOSED


# --- a mentorship ------------------------------------------------------------------------------------------------


def test_they_log_a_session_in_their_own_time_zone(mentor, mentee):
    mentorship = f.mentorship(mentor, mentee, state=State.ACCEPTED)
    client = logged_in(mentee)  # Europe/London
    page = client.get(url("mentorship", mentorship.pk))
    assert page.status_code == 200 and "Log a session" in text(page)
    day = timezone.localdate() + timedelta(days=10)
    response = client.post(
        url("sessions", mentorship.pk),
        {"scheduled_at": f"{day:%Y-%m-%d}T18:30", "duration_minutes": "45", "notes": "Priced the mugs."},
    )
    assert response.status_code == 302
    session = MentorshipSession.objects.get()
    assert session.scheduled_at == datetime.combine(day, time(18, 30), tzinfo=ZoneInfo("Europe/London"))
    assert session.notes == "Priced the mugs."
    mentorship.refresh_from_db()
    assert mentorship.state == State.ACTIVE
    body = text(client.get(url("mentorship", mentorship.pk)))
    assert "Priced the mugs." in body and "45 minutes" in body and f"{day:%a} {day.day} {day:%b %Y}, 18:30" in body


def test_mentor_and_mentee_chat_privately_once_accepted(mentor, mentee):
    from community.models import Conversation

    mentorship = f.mentorship(mentor, mentee)
    chat = f"{reverse('messaging:new')}?to={mentor.pk}"
    assert chat not in logged_in(mentee).get(url("mentorship", mentorship.pk)).content.decode()  # only a request
    mentorship.state = State.ACCEPTED
    mentorship.save(update_fields=["state"])
    client = logged_in(mentee)
    assert chat in client.get(url("mentorship", mentorship.pk)).content.decode()
    response = client.post(chat, {"body": "Could we look at my prices on Thursday?"})
    assert response.status_code == 302
    conversation = Conversation.objects.get()
    assert {conversation.member_low, conversation.member_high} == {mentor, mentee}
    thread = logged_in(mentor).get(conversation.get_absolute_url())
    assert "Could we look at my prices on Thursday?" in thread.content.decode()
    assert logged_in(f.mentee()).get(conversation.get_absolute_url()).status_code == 404  # private to the pair


def test_a_bad_session_re_renders_the_page_with_errors(mentor, mentee):
    mentorship = f.mentorship(mentor, mentee, state=State.ACCEPTED)
    response = logged_in(mentor).post(url("sessions", mentorship.pk), {"scheduled_at": "soon", "duration_minutes": "5"})
    assert response.status_code == 400
    body = text(response)
    assert "Give a valid date and time." in body
    assert "Ensure this value is greater than or equal to 10." in body
    assert not MentorshipSession.objects.exists()


def test_goals_complete_and_rate(mentor, mentee):
    mentorship = f.mentorship(mentor, mentee, state=State.ACTIVE)
    client = logged_in(mentee)
    assert client.post(url("goals", mentorship.pk), {"text": "Ten reviews"}).status_code == 302
    goal = mentorship.goals.get(text="Ten reviews")
    assert (
        client.post(f"/mentoring/mentorships/{mentorship.pk}/goals/{goal.pk}/", {"progress": "60"}).status_code == 302
    )
    goal.refresh_from_db()
    assert goal.progress == 60
    assert client.post(url("complete", mentorship.pk)).status_code == 302
    page = text(client.get(url("mentorship", mentorship.pk)))
    assert "How was Max Mentor as a mentor?" in page
    assert client.post(url("rate", mentorship.pk), {"score": "5", "comment": "Great"}).status_code == 302
    page = text(client.get(url("mentorship", mentorship.pk)))
    assert "You rated it 5 of 5." in page and "How was Max Mentor" not in page
    assert client.post(url("rate", mentorship.pk), {"score": "4"}).status_code == 400


def test_ending_needs_a_reason(mentor, mentee):
    mentorship = f.mentorship(mentor, mentee, state=State.ACTIVE)
    client = logged_in(mentor)
    assert client.post(url("end", mentorship.pk), {"reason": ""}).status_code == 400
    assert client.post(url("end", mentorship.pk), {"reason": "Moving abroad"}).status_code == 302
    mentorship.refresh_from_db()
    assert mentorship.state == State.ENDED
    assert "Moving abroad" in text(client.get(url("mentorship", mentorship.pk)))


def test_the_mentee_withdraws_a_waiting_request(mentor, mentee):
    mentorship = f.mentorship(mentor, mentee)
    assert logged_in(mentee).post(url("withdraw", mentorship.pk)).status_code == 302
    mentorship.refresh_from_db()
    assert (mentorship.state, mentorship.end_reason) == (State.ENDED, "withdrawn")


# --- permissions and CSRF --------------------------------------------------------------------------------------------

POST_ACTIONS = ["accept", "decline", "sessions", "goals", "start", "complete", "withdraw", "end", "rate"]


def test_a_stranger_gets_404_everywhere(mentor, mentee):
    mentorship = f.mentorship(mentor, mentee, state=State.ACTIVE)
    stranger = logged_in(f.mentor(name="Stranger"))
    assert stranger.get(url("mentorship", mentorship.pk)).status_code == 404
    for action in POST_ACTIONS:
        response = stranger.post(
            url(action, mentorship.pk),
            {"scheduled_at": "2030-01-01T10:00", "duration_minutes": "30", "text": "x", "reason": "x", "score": "1"},
        )
        assert response.status_code == 404, action
    goal = mentorship.goals.first()
    assert (
        stranger.post(f"/mentoring/mentorships/{mentorship.pk}/goals/{goal.pk}/", {"progress": "100"}).status_code
        == 404
    )
    mentorship.refresh_from_db()
    assert (mentorship.state, mentorship.sessions.count(), mentorship.goals.count()) == (State.ACTIVE, 1, 1)
    # a missing mentorship looks the same
    assert stranger.get(url("mentorship", 999_999)).status_code == 404


def test_the_two_members_and_staff_see_a_mentorship(mentor, mentee):
    mentorship = f.mentorship(mentor, mentee, state=State.ACTIVE)
    for member in (mentor, mentee):
        assert logged_in(member).get(url("mentorship", mentorship.pk)).status_code == 200
    staff_page = logged_in(StaffFactory()).get(url("mentorship", mentorship.pk))
    assert staff_page.status_code == 200
    assert "Max Mentor mentoring Nia New" in text(staff_page)
    assert "Log a session" not in text(staff_page)  # staff read; they do not act


def test_the_mentee_cannot_accept_their_own_request(mentor, mentee):
    mentorship = f.mentorship(mentor, mentee)
    assert logged_in(mentee).post(url("accept", mentorship.pk)).status_code == 404
    mentorship.refresh_from_db()
    assert mentorship.state == State.PROPOSED


@pytest.mark.parametrize("action", POST_ACTIONS)
def test_every_form_needs_the_csrf_token(mentor, mentee, action):
    mentorship = f.mentorship(mentor, mentee, state=State.ACTIVE)
    client = Client(enforce_csrf_checks=True)
    client.force_login(mentor if action in {"accept", "decline"} else mentee)
    response = client.post(url(action, mentorship.pk), {"reason": "x", "text": "x"})
    assert response.status_code == 403


@pytest.mark.parametrize("name", ["mentor", "mentee", "track"])
def test_profile_and_track_forms_need_the_csrf_token(mentee, name):
    client = Client(enforce_csrf_checks=True)
    client.force_login(mentee)
    assert client.post(url(name), {}).status_code == 403


def test_the_forms_carry_the_csrf_token(mentor, mentee):
    f.mentorship(mentor, mentee)
    inbox = logged_in(mentor).get(url("inbox")).content.decode()
    assert inbox.count('name="csrfmiddlewaretoken"') >= 3  # accept, decline and the sign-out form


# --- my track ------------------------------------------------------------------------------------------------------


def test_my_track_shows_milestones_and_works_out_the_first_listing(mentee):
    track = MenteeProfile.objects.get(member=mentee).track
    f.milestone(track, MilestoneKind.FIRST_LISTING, order=1)
    f.milestone(track, MilestoneKind.FIRST_SALE, order=2)
    custom = f.milestone(track, MilestoneKind.CUSTOM, title="Write your story", order=3)
    client = logged_in(mentee)
    body = text(client.get(url("track")))
    assert "0 of 3 milestones reached" in body
    assert "First published listing" in body and "First sale" in body and "Write your story" in body
    listing_factories.draft(mentee, listing_factories.category())
    Listing.objects.filter(seller=mentee).update(status="published", published_at=timezone.now() - timedelta(days=1))
    assert "1 of 3 milestones reached" in text(client.get(url("track")))
    assert client.post(url("track"), {"milestone": custom.pk}).status_code == 302
    assert "2 of 3 milestones reached" in text(client.get(url("track")))
    assert client.post(url("track"), {"milestone": "999999"}).status_code == 404


def test_the_overview_links_the_way_in():
    body = text(logged_in(f.member()).get(url("home")))
    assert "Become a mentee" in body and "Become a mentor" in body
