"""The mentoring API: suggestions, requests and their acceptance, a mentorship's sessions; shapes, field errors,
the request limit, and 404 for anyone who is not a party."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from community.models import Member
from mentoring import services
from mentoring.models import Mentorship, MentorshipSession, MentorshipState
from tests.mentoring import factories as f

pytestmark = pytest.mark.django_db

State = MentorshipState
SUGGESTIONS = "/api/v1/mentoring/suggestions"
REQUESTS = "/api/v1/mentoring/requests"


def accept_url(mentorship) -> str:
    return f"{REQUESTS}/{getattr(mentorship, 'pk', mentorship)}/accept"


def sessions_url(mentorship) -> str:
    return f"/api/v1/mentoring/mentorships/{getattr(mentorship, 'pk', mentorship)}/sessions"


def client_for(member: Member | None = None) -> APIClient:
    client = APIClient()
    if member is not None:
        token, _created = Token.objects.get_or_create(user=member)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
    return client


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def ceramics():
    return f.category("Ceramics")


@pytest.fixture
def track():
    return f.track("new", name="First steps", slug="first-steps")


@pytest.fixture
def mentor(ceramics):
    return f.mentor(categories=[ceramics], skills=["pricing", "shipping"], name="Max Mentor")


@pytest.fixture
def mentee(ceramics, track):
    return f.mentee(on_track=track, categories=[ceramics], skills=["pricing"], name="Nia New")


# --- suggestions ---------------------------------------------------------------------------------------------------


def test_suggestions_rank_mentors_with_score_and_reasons(mentee, mentor, ceramics):
    f.mentor(categories=[ceramics], zone="Asia/Tokyo", name="Far Mentor")
    response = client_for(mentee).get(SUGGESTIONS, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["mentor"]["display_name"] for r in results] == ["Max Mentor", "Far Mentor"]
    first = results[0]
    assert set(first) == {"mentor", "score", "reasons", "requested"}
    assert first["score"] > results[1]["score"] and isinstance(first["score"], int)
    assert "1 shared category" in first["reasons"] and "same language (English)" in first["reasons"]
    assert first["requested"] is False
    assert first["mentor"] == {
        "id": mentor.pk,
        "display_name": "Max Mentor",
        "headline": "Happy to help",
        "stage": "established",
        "languages": ["en"],
        "timezone": "Europe/London",
        "categories": [{"id": ceramics.pk, "slug": ceramics.slug, "name": "Ceramics"}],
        "skills": ["pricing", "shipping"],
        "availability": "Evenings",
        "places_left": 2,
    }


def test_suggestions_speak_the_requested_language(mentee, mentor):
    reasons = client_for(mentee).get(SUGGESTIONS, HTTP_ACCEPT_LANGUAGE="es").json()["results"][0]["reasons"]
    assert "Inglés" in " ".join(reasons), reasons  # the language's name, in Spanish


def test_suggestions_need_a_signed_in_mentee(mentor):
    assert client_for().get(SUGGESTIONS).status_code == 401
    response = client_for(f.member()).get(SUGGESTIONS)
    assert response.status_code == 403
    assert "mentee profile" in response.json()["detail"]


def test_suggestions_cost_the_same_queries_for_more_mentors(mentee, ceramics):
    client = client_for(mentee)
    for n in range(2):
        f.mentor(categories=[ceramics], name=f"A{n}")
    client.get(SUGGESTIONS)
    with CaptureQueriesContext(connection) as few:
        client.get(SUGGESTIONS)
    for n in range(10):
        f.mentor(categories=[ceramics], skills=[f"s{n}"], name=f"B{n}")
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(SUGGESTIONS).json()["results"]) == 10
    assert len(few) == len(many)


# --- requests ------------------------------------------------------------------------------------------------------


def test_a_request_is_created(mentee, mentor, track):
    response = client_for(mentee).post(
        REQUESTS, {"mentor": mentor.pk, "track": "first-steps", "goals": ["Price my mugs"]}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    mentorship = Mentorship.objects.get()
    assert body["id"] == mentorship.pk
    assert body["state"] == "proposed" and body["origin"] == "request"
    assert body["mentor"] == {"id": mentor.pk, "display_name": "Max Mentor"}
    assert body["mentee"] == {"id": mentee.pk, "display_name": "Nia New"}
    assert body["track"] == {"id": track.pk, "slug": "first-steps", "name": "First steps", "stage": "new"}
    assert [goal["text"] for goal in body["goals"]] == ["Price my mugs"]
    assert body["goals"][0]["progress"] == 0
    assert body["url"].endswith(f"/mentoring/mentorships/{mentorship.pk}/")
    assert body["score"] == mentorship.score > 0
    assert body["accepted_at"] is None


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"mentor", "goals"}),
        ({"mentor": "max", "goals": "not a list"}, {"mentor", "goals"}),
        ({"mentor": 999_999, "goals": ["x"]}, {"mentor"}),
        ({"mentor": "MENTOR", "goals": []}, {"goals"}),
        ({"mentor": "MENTOR", "goals": ["x"] * 6}, {"goals"}),
        ({"mentor": "MENTOR", "goals": ["x" * 201]}, {"goals.0"}),
        ({"mentor": "MENTOR", "goals": ["x"], "track": "nope"}, {"track"}),
        ({"mentor": "MENTOR", "goals": ["x"], "track": True}, {"track"}),
        ({"mentor": "SELF", "goals": ["x"]}, {"mentor"}),
    ],
)
def test_bad_requests_get_field_errors(mentee, mentor, payload, fields):
    members = {"MENTOR": mentor.pk, "SELF": mentee.pk}
    payload = {key: members.get(value, value) if isinstance(value, str) else value for key, value in payload.items()}
    response = client_for(mentee).post(REQUESTS, payload, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == fields, response.json()
    assert not Mentorship.objects.exists()


def test_asking_twice_is_a_field_error_and_the_eleventh_request_a_day_is_429(mentee, ceramics):
    mentors = [f.mentor(categories=[ceramics], name=f"M{n}") for n in range(services.REQUESTS_PER_DAY + 1)]
    client = client_for(mentee)
    assert client.post(REQUESTS, {"mentor": mentors[0].pk, "goals": ["x"]}, format="json").status_code == 201
    twice = client.post(REQUESTS, {"mentor": mentors[0].pk, "goals": ["x"]}, format="json")
    assert twice.status_code == 400 and "mentor" in twice.json()["errors"]
    for mentor in mentors[1:-1]:
        assert client.post(REQUESTS, {"mentor": mentor.pk, "goals": ["x"]}, format="json").status_code == 201
    limited = client.post(REQUESTS, {"mentor": mentors[-1].pk, "goals": ["x"]}, format="json")
    assert limited.status_code == 429
    assert "requests today" in limited.json()["detail"]


# --- accepting ----------------------------------------------------------------------------------------------------


def test_the_mentor_accepts(mentee, mentor):
    mentorship = f.mentorship(mentor, mentee)
    response = client_for(mentor).post(accept_url(mentorship))
    assert response.status_code == 200
    assert response.json()["state"] == "accepted" and response.json()["accepted_at"]


def test_anyone_but_the_mentor_gets_404_on_accept(mentee, mentor):
    mentorship = f.mentorship(mentor, mentee)
    for member in (mentee, f.mentor(name="Stranger")):
        response = client_for(member).post(accept_url(mentorship))
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
    assert client_for(mentor).post(accept_url(999_999)).status_code == 404
    assert client_for().post(accept_url(mentorship)).status_code == 401
    mentorship.refresh_from_db()
    assert mentorship.state == State.PROPOSED


def test_accepting_beyond_capacity_or_twice_is_refused(mentee, ceramics):
    mentor = f.mentor(categories=[ceramics], capacity=1)
    waiting = f.mentorship(mentor, mentee)
    taken = f.mentorship(mentor, f.mentee(categories=[ceramics]))
    client = client_for(mentor)
    assert client.post(accept_url(taken)).status_code == 200
    full = client.post(accept_url(waiting))
    assert full.status_code == 400
    assert "no places left" in full.json()["errors"]["non_field_errors"][0]
    again = client.post(accept_url(taken))
    assert again.status_code == 400 and again.json()["errors"]["non_field_errors"]


# --- sessions ------------------------------------------------------------------------------------------------------


def test_the_two_members_log_and_list_sessions(mentee, mentor):
    mentorship = f.mentorship(mentor, mentee, state=State.ACCEPTED)
    when = (timezone.now() - timedelta(days=2)).replace(microsecond=0)
    created = client_for(mentee).post(
        sessions_url(mentorship),
        {"scheduled_at": when.isoformat(), "duration_minutes": 50, "notes": "Talked shipping."},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert set(body) == {"id", "scheduled_at", "duration_minutes", "notes", "logged_by", "logged_at"}
    assert body["duration_minutes"] == 50 and body["notes"] == "Talked shipping."
    assert body["logged_by"] == {"id": mentee.pk, "display_name": "Nia New"}
    mentorship.refresh_from_db()
    assert mentorship.state == State.ACTIVE

    listed = client_for(mentor).get(sessions_url(mentorship))
    assert listed.status_code == 200
    page = listed.json()
    assert page["count"] == 1 and page["next"] is None
    assert page["results"][0]["id"] == body["id"]


def test_sessions_are_404_for_anyone_else(mentee, mentor):
    mentorship = f.mentorship(mentor, mentee, state=State.ACTIVE)
    stranger = client_for(f.member())
    assert stranger.get(sessions_url(mentorship)).status_code == 404
    response = stranger.post(sessions_url(mentorship), {"scheduled_at": "bad", "duration_minutes": 1}, format="json")
    assert response.status_code == 404  # before the input is even looked at
    assert MentorshipSession.objects.count() == 1


def test_bad_sessions_get_field_errors(mentee, mentor):
    mentorship = f.mentorship(mentor, mentee, state=State.ACTIVE)
    client = client_for(mentor)
    response = client.post(
        sessions_url(mentorship), {"scheduled_at": "tomorrow", "duration_minutes": 5, "notes": 3}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"scheduled_at", "duration_minutes"}
    far = client.post(
        sessions_url(mentorship),
        {"scheduled_at": (timezone.now() + timedelta(days=800)).isoformat(), "duration_minutes": 30},
        format="json",
    )
    assert far.status_code == 400 and set(far.json()["errors"]) == {"scheduled_at"}


def test_no_sessions_before_the_request_is_accepted(mentee, mentor):
    mentorship = f.mentorship(mentor, mentee)
    response = client_for(mentor).post(
        sessions_url(mentorship), {"scheduled_at": timezone.now().isoformat(), "duration_minutes": 30}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["non_field_errors"]


# --- schema --------------------------------------------------------------------------------------------------------


def test_the_schema_documents_the_mentoring_endpoints():
    response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/api/v1/mentoring/suggestions",
        "/api/v1/mentoring/requests",
        "/api/v1/mentoring/requests/{id}/accept",
        "/api/v1/mentoring/mentorships/{id}/sessions",
    } <= set(paths)
    assert set(paths["/api/v1/mentoring/mentorships/{id}/sessions"]) == {"get", "post"}
