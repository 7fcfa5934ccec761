"""Staff edit tracks and milestones in the Django admin, and run an intake from the mentee list."""

from __future__ import annotations

import pytest

from mentoring.models import MenteeProfile, Mentorship, MentorshipOrigin, Milestone, Track
from tests.community.factories import StaffFactory
from tests.mentoring import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_client(client):
    client.force_login(StaffFactory())
    return client


def test_staff_add_a_track_with_its_milestones(admin_client):
    assert admin_client.get("/django-admin/mentoring/track/add/").status_code == 200
    response = admin_client.post(
        "/django-admin/mentoring/track/add/",
        {
            "stage": "new",
            "name": "First steps",
            "slug": "first-steps",
            "description": "Start here.",
            "suggested_weeks": "6",
            "guide_url": "https://example.test/guide",
            "milestones-TOTAL_FORMS": "2",
            "milestones-INITIAL_FORMS": "0",
            "milestones-MIN_NUM_FORMS": "0",
            "milestones-MAX_NUM_FORMS": "1000",
            "milestones-0-order": "1",
            "milestones-0-kind": "first_listing",
            "milestones-0-title": "",
            "milestones-0-threshold": "",
            "milestones-1-order": "2",
            "milestones-1-kind": "custom",
            "milestones-1-title": "Write your story",
            "milestones-1-threshold": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    track = Track.objects.get(slug="first-steps")
    assert track.guide_link == "https://example.test/guide"
    assert [m.label for m in track.milestones.order_by("order")] == ["First published listing", "Write your story"]
    assert (
        admin_client.get(f"/django-admin/mentoring/milestone/{Milestone.objects.first().pk}/change/").status_code == 200
    )


def test_a_custom_milestone_needs_a_title_in_the_admin(admin_client):
    track = f.track()
    response = admin_client.post(
        "/django-admin/mentoring/milestone/add/", {"track": track.pk, "kind": "custom", "order": "1"}
    )
    assert response.status_code == 200
    assert "Give a custom milestone a title." in response.content.decode()
    assert not Milestone.objects.exists()


def test_staff_run_an_intake_from_the_mentee_list(admin_client):
    ceramics = f.category("Ceramics")
    f.mentor(categories=[ceramics], capacity=2)
    f.mentee(categories=[ceramics])
    f.mentee(categories=[ceramics])
    response = admin_client.post(
        "/django-admin/mentoring/menteeprofile/",
        {"action": "intake", "_selected_action": list(MenteeProfile.objects.values_list("pk", flat=True))},
        follow=True,
    )
    assert response.status_code == 200
    assert "2 mentorships proposed" in response.content.decode()
    assert Mentorship.objects.filter(origin=MentorshipOrigin.INTAKE).count() == 2
    # the mentorship list and page are read-only views of the services' work
    mentorship = Mentorship.objects.first()
    assert admin_client.get("/django-admin/mentoring/mentorship/").status_code == 200
    assert admin_client.get(f"/django-admin/mentoring/mentorship/{mentorship.pk}/change/").status_code == 200
    assert admin_client.get("/django-admin/mentoring/mentorship/add/").status_code == 403
