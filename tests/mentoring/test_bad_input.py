"""Bad input from the issue's "Done when", answered clearly: a capacity of 0 or 10,000, a request to a mentor at
capacity, a mentee requesting themselves, script in goals and session notes (shown as text, never run). Circle
sizes of 3 and 9 are in test_circles."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from mentoring import services
from mentoring.models import MentorProfile, Mentorship, MentorshipState
from tests.mentoring import factories as f

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('pwned')</script>"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def logged_in(member) -> Client:
    client = Client()
    client.force_login(member)
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def mentor_form(capacity: str) -> dict:
    return {
        "headline": "Pricing pots",
        "skills": "pricing",
        "seller_stage": "established",
        "languages": ["en"],
        "timezone": "Europe/London",
        "capacity": capacity,
        "availability": "Evenings",
        "accepting": "on",
    }


@pytest.mark.parametrize("capacity", ["0", "10000", "-1", "lots"])
def test_a_capacity_of_0_or_10000_is_refused_on_the_field(capacity):
    member = f.member(stage="established")
    response = logged_in(member).post(reverse("mentoring:mentor_profile"), mentor_form(capacity))
    assert response.status_code == 400
    page = text(response)
    assert "Please check these" in page
    assert re.search(
        r"Mentees at a time[^<]*:.*(greater than or equal to 1|less than or equal to 10|whole number)", page
    )
    assert not MentorProfile.objects.exists()


@pytest.mark.parametrize("capacity", [0, 10_000])
def test_the_service_refuses_the_same_capacities(capacity):
    with pytest.raises(ValidationError) as error:
        services.mentor_profile_upsert(member=f.member(), data={"capacity": capacity})
    assert "capacity" in error.value.message_dict


def test_a_request_to_a_mentor_at_capacity_is_refused_with_the_reason():
    # given a mentor with one place, taken
    mentor = f.mentor(capacity=1, name="Max Mentor")
    f.mentorship(mentor, f.mentee(), state=MentorshipState.ACCEPTED)
    mentee = f.mentee(name="Nia New")
    # when another mentee asks, in the page and in the API
    response = logged_in(mentee).post(
        reverse("mentoring:request", kwargs={"member_id": mentor.pk}), {"goals": "Price my mugs"}
    )
    api = APIClient()
    api.force_authenticate(mentee)
    answer = api.post("/api/v1/mentoring/requests", {"mentor": mentor.pk, "goals": ["x"]}, format="json")
    # then both say the mentor has no places left, and nothing is created
    assert response.status_code == 400
    assert "This mentor cannot take you on" in text(response) and "no places left" in text(response)
    assert answer.status_code == 400 and "no places left" in str(answer.json()["errors"]["mentor"])
    assert not Mentorship.objects.filter(mentee=mentee).exists()


def test_a_mentee_requesting_themselves_gets_a_clear_answer():
    member = f.mentor(stage="growing", name="Both Hats")
    services.mentee_profile_upsert(member=member, data={"track": f.track("growing"), "goals": "Grow"})
    assert logged_in(member).get(reverse("mentoring:request", kwargs={"member_id": member.pk})).status_code == 404
    with pytest.raises(ValidationError) as error:
        services.mentorship_request(mentee=member, mentor=member, goals=["x"])
    assert error.value.message_dict["mentor"] == ["You cannot mentor yourself."]
    # nor does the mentor see themselves among the suggestions
    page = text(logged_in(member).get(reverse("mentoring:find")))
    assert reverse("mentoring:request", kwargs={"member_id": member.pk}) not in page


def test_script_in_goals_and_session_notes_is_shown_as_text():
    mentor = f.mentor(name="Max Mentor")
    mentee = f.mentee(name="Nia New", goals=f"Sell more {SCRIPT}")
    client = logged_in(mentee)
    response = client.post(
        reverse("mentoring:request", kwargs={"member_id": mentor.pk}), {"goals": f"Price my mugs {SCRIPT}"}
    )
    assert response.status_code == 302
    mentorship = Mentorship.objects.get(mentee=mentee)
    services.mentorship_accept(mentorship_id=mentorship.pk, mentor=mentor)
    logged_in(mentor).post(
        reverse("mentoring:session_create", kwargs={"pk": mentorship.pk}),
        {"scheduled_at": timezone.now().strftime("%Y-%m-%dT%H:%M"), "duration_minutes": "45", "notes": SCRIPT},
    )
    assert mentorship.sessions.get().notes == SCRIPT  # kept as written
    pages = [
        logged_in(mentor).get(mentorship.get_absolute_url()),
        client.get(mentorship.get_absolute_url()),
        logged_in(mentor).get(reverse("mentoring:inbox")),
    ]
    for page in pages:
        body = page.content.decode()
        assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in pages[0].content.decode()
