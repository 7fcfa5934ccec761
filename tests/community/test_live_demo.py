"""The demo live sessions: an ambassador term for ambassador@, upcoming sessions and one archived past session;
running the seed again changes nothing."""

from __future__ import annotations

import pytest

from community.live.demo import DEMO_DOMAIN, seed_live
from community.live.selectors import member_is_ambassador
from community.models import AmbassadorTerm, LiveSession, Role, RoleGrant, SessionStatus
from tests.community.test_forums_support import member

pytestmark = pytest.mark.django_db


def test_seed_live_creates_upcoming_and_archived_sessions_once():
    roles = {"ambassador": Role.AMBASSADOR, "facilitator": Role.FACILITATOR, "mentor": Role.MENTOR}
    people = {}
    for local in ("ambassador", "facilitator", "mentor", "seller", "seller2", "buyer"):
        people[local] = member(local.title(), email=f"{local}@{DEMO_DOMAIN}")
        RoleGrant.objects.create(member=people[local], role=roles.get(local, Role.SELLER))
    assert seed_live() == 4
    assert member_is_ambassador(people["ambassador"])
    assert AmbassadorTerm.objects.get().region.facet == "region"
    upcoming = LiveSession.objects.filter(status=SessionStatus.SCHEDULED)
    assert upcoming.count() == 3 and upcoming.filter(host=people["ambassador"]).exists()
    past = LiveSession.objects.get(status=SessionStatus.ENDED)
    topic = past.archive_topic
    assert topic.category.slug == "live-session-archives"
    assert "How many listings before the first sale?" in topic.posts.get(number=1).body_html
    # Idempotent.
    assert seed_live() == 0
    assert LiveSession.objects.count() == 4 and AmbassadorTerm.objects.count() == 1
