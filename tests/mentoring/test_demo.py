"""The demo mentoring: tracks per stage, mentors, mentees, a mentorship under way; idempotent."""

from __future__ import annotations

import pytest

from community.models import Member
from community.services import profile_update
from mentoring import selectors
from mentoring.demo import demo_email, seed_mentoring
from mentoring.models import MenteeProfile, MentorProfile, Mentorship, MentorshipState, Milestone, Track
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

# The members seed_demo creates before it calls seed_mentoring: local part, stage, languages, time zone.
SEED_DEMO_MEMBERS = [
    ("seller", "growing", ["en"], "Europe/London"),
    ("seller2", "new", ["en"], "Europe/London"),
    ("mentor", "established", ["en"], "Europe/London"),
    ("ambassador", "growing", ["en", "es"], "Europe/Madrid"),
]


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo_members() -> dict[str, Member]:
    members = {}
    for local, stage, languages, zone in SEED_DEMO_MEMBERS:
        member = MemberFactory(email=demo_email(local), display_name=local.title())
        profile_update(member=member, data={"seller_stage": stage, "languages": languages, "timezone": zone})
        members[local] = member
    return members


def test_seed_mentoring_fills_every_page_and_runs_twice_safely(demo_members):
    # when
    created = seed_mentoring(password="guildhall-demo")
    # then
    assert created == {"tracks": 3, "members": 4, "mentors": 6, "mentees": 2, "mentorships": 1}
    assert sorted(Track.objects.values_list("stage", flat=True)) == ["established", "growing", "new"]
    assert Milestone.objects.filter(kind="first_listing").exists() and Milestone.objects.count() == 9
    assert MentorProfile.objects.filter(member=demo_members["mentor"]).exists()
    assert MenteeProfile.objects.get(member=demo_members["seller2"]).track.slug == "first-steps"
    under_way = Mentorship.objects.get(mentee=demo_members["seller"])
    assert (under_way.mentor, under_way.state) == (demo_members["mentor"], MentorshipState.ACTIVE)
    assert under_way.sessions.count() == 1
    # a new mentor can sign in with the demo password
    assert Member.objects.get(email=demo_email("mentor-lena")).check_password("guildhall-demo")
    # seller2 has mentors to choose from, the demo mentor among them
    suggested = [s.member for s in selectors.mentoring_suggestions(mentee=demo_members["seller2"])]
    assert demo_members["mentor"] in suggested and len(suggested) >= 3
    # and a second run changes nothing
    assert seed_mentoring(password="guildhall-demo") == {
        "tracks": 0,
        "members": 0,
        "mentors": 0,
        "mentees": 0,
        "mentorships": 0,
    }
    assert Mentorship.objects.count() == 1 and MentorProfile.objects.count() == 6


def test_seed_mentoring_without_the_seed_demo_members_still_works():
    created = seed_mentoring()
    assert created["tracks"] == 3 and created["mentors"] == 4 and created["mentees"] == 0
    assert not Member.objects.get(email=demo_email("mentor-kai")).has_usable_password()
