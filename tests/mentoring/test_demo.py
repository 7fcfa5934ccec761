"""The demo mentoring: tracks per stage, mentors, mentees, a mentorship under way; idempotent."""

from __future__ import annotations

import pytest

from community.models import Member, RoleGrant
from community.services import profile_update
from mentoring import outcomes, selectors
from mentoring.demo import CIRCLE_NAME, demo_email, seed_mentoring
from mentoring.models import (
    CoachingCircle,
    MenteeProfile,
    MentorProfile,
    Mentorship,
    MentorshipState,
    Milestone,
    Track,
)
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

# The members seed_demo creates before it calls seed_mentoring: local part, stage, languages, time zone.
SEED_DEMO_MEMBERS = [
    ("seller", "growing", ["en"], "Europe/London"),
    ("seller2", "new", ["en"], "Europe/London"),
    ("mentor", "established", ["en"], "Europe/London"),
    ("ambassador", "growing", ["en", "es"], "Europe/Madrid"),
    ("facilitator", "new", ["en"], "Europe/London"),
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
    RoleGrant.objects.create(member=members["facilitator"], role="facilitator")
    return members


def test_seed_mentoring_fills_every_page_and_runs_twice_safely(demo_members):
    # when
    created = seed_mentoring(password="guildhall-demo")
    # then
    assert created == {"tracks": 3, "members": 7, "mentors": 6, "mentees": 2, "mentorships": 1, "circles": 1}
    assert sorted(Track.objects.values_list("stage", flat=True)) == ["established", "growing", "new"]
    assert Milestone.objects.filter(kind="first_listing").exists() and Milestone.objects.count() == 9
    assert MentorProfile.objects.filter(member=demo_members["mentor"]).exists()
    assert MenteeProfile.objects.get(member=demo_members["seller2"]).track.slug == "first-steps"
    under_way = Mentorship.objects.get(mentee=demo_members["seller"])
    assert (under_way.mentor, under_way.state) == (demo_members["mentor"], MentorshipState.ACTIVE)
    assert under_way.sessions.count() == 1
    # seller@ shares their figures with mentor@, measured from the start
    assert under_way.insight_consent and under_way.snapshots.filter(kind="start").exists()
    insight = outcomes.mentorship_insight(pk=under_way.pk, member=demo_members["mentor"])
    assert insight.start is not None
    # facilitator@'s circle: seller2@ and three new sellers, a welcome in the thread, meetings ahead
    circle = CoachingCircle.objects.get(name=CIRCLE_NAME)
    assert circle.facilitator == demo_members["facilitator"]
    members = set(circle.memberships.values_list("member__email", flat=True))
    assert demo_email("seller2") in members and len(members) == 4
    assert circle.posts.count() == 2
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
        "circles": 0,
    }
    assert Mentorship.objects.count() == 1 and MentorProfile.objects.count() == 6
    assert CoachingCircle.objects.count() == 1 and circle.posts.count() == 2


def test_seed_mentoring_without_the_seed_demo_members_still_works():
    created = seed_mentoring()
    assert created["tracks"] == 3 and created["mentors"] == 4 and created["mentees"] == 0
    assert created["circles"] == 0  # no facilitator@ to run it
    assert not Member.objects.get(email=demo_email("mentor-kai")).has_usable_password()
