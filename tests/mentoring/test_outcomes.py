"""Outcomes before and after a mentorship: snapshots at the start and end, the insight page beside peers' medians,
and the mentee's consent (the mentor sees nothing without it; strangers get 404)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mentoring import outcomes, services
from mentoring.models import MentorshipState, OutcomeSnapshot, SnapshotKind
from tests.community.factories import StaffFactory
from tests.mentoring import factories as f
from tests.orders import factories as of

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


def sales(listing, n: int, *, days_after_listing: int = 3) -> None:
    """`n` completed orders of the listing, as rows (the figures read them; orders' own tests cover the flow)."""
    completed_at = listing.published_at + timedelta(days=days_after_listing)
    for _ in range(n):
        of.order_row(listing=listing, state="released", completed_at=completed_at, paid_at=completed_at)


def seller(stage: str = "new", *, listings: int = 1, sold: int = 0):
    member = f.member(stage=stage)
    made = [of.item_listing(seller=member, published_at=timezone.now() - timedelta(days=30)) for _ in range(listings)]
    sales(made[0], sold)
    return member, made


@pytest.fixture
def pair():
    mentor = f.mentor(name="Max Mentor")
    mentee = f.mentee(name="Nia New")
    return mentor, mentee


def test_a_snapshot_is_taken_when_the_mentorship_becomes_active_and_when_it_completes(pair):
    # given a mentee with two listings and one sale, ten days after listing
    mentor, mentee = pair
    listings = [of.item_listing(seller=mentee, published_at=timezone.now() - timedelta(days=20)) for _ in range(2)]
    sales(listings[0], 1, days_after_listing=10)
    mentorship = f.mentorship(mentor, mentee, state=MentorshipState.ACCEPTED)
    assert not OutcomeSnapshot.objects.exists()  # accepted is not yet active
    # when the first session makes it active
    services.session_log(
        mentorship_id=mentorship.pk, by=mentor, scheduled_at=timezone.now(), duration_minutes=60, notes="Pricing"
    )
    start = OutcomeSnapshot.objects.get(mentorship=mentorship, kind=SnapshotKind.START)
    assert (start.listings, start.sales, start.conversion, start.days_to_first_sale) == (2, 1, Decimal("0.50"), 10)
    assert (start.review_count, start.review_average, start.defect_rate) == (0, None, Decimal("0.0"))
    # when three more sales come and the mentorship completes
    sales(listings[1], 3, days_after_listing=15)
    services.mentorship_complete(mentorship_id=mentorship.pk, by=mentee)
    end = OutcomeSnapshot.objects.get(mentorship=mentorship, kind=SnapshotKind.END)
    assert (end.sales, end.conversion, end.days_to_first_sale) == (4, Decimal("2.00"), 10)
    # and later sales change neither snapshot
    sales(listings[1], 5, days_after_listing=16)
    assert OutcomeSnapshot.objects.get(pk=end.pk).sales == 4
    insight = outcomes.mentorship_insight(pk=mentorship.pk, member=mentee)
    assert (insight.start.sales, insight.latest.sales, insight.latest_is_end) == (1, 4, True)


def test_ending_an_active_mentorship_early_keeps_its_end_figures(pair):
    mentor, mentee = pair
    mentorship = f.mentorship(mentor, mentee, state=MentorshipState.ACTIVE)
    services.mentorship_end(mentorship_id=mentorship.pk, by=mentee, reason="Moving abroad")
    assert set(OutcomeSnapshot.objects.filter(mentorship=mentorship).values_list("kind", flat=True)) == {
        "start",
        "end",
    }


def test_peers_medians_leave_the_mentee_out_and_hide_below_five_peers(pair):
    # given four sellers at the mentee's stage with 0 to 3 sales on one listing each, and the mentee with 10
    mentor, mentee = pair
    sales(of.item_listing(seller=mentee), 10)
    for n in range(4):
        seller("new", sold=n)
    seller("growing", sold=40)  # another stage: never a peer
    # then four peers are too few to show a median
    medians = outcomes.peer_medians(stage="new", exclude_member_id=mentee.pk)
    assert (medians["conversion"].value, medians["conversion"].peers) == (None, 4)
    # when a fifth peer (4 sales) joins the stage
    seller("new", sold=4)
    medians = outcomes.peer_medians(stage="new", exclude_member_id=mentee.pk)
    # then the median of 0, 1, 2, 3, 4 is shown: 2.00 (with the mentee's 10 it would be 2.50)
    assert medians["conversion"].value == Decimal("2.00")
    assert medians["days_to_first_sale"].value is None  # only four peers have sold
    assert medians["review_average"].value is None  # nobody has reviews


def test_the_mentee_sees_their_outcomes_and_shares_them_with_the_mentor(pair):
    mentor, mentee = pair
    mentorship = f.mentorship(mentor, mentee, state=MentorshipState.ACTIVE)
    url = reverse("mentoring:insight", kwargs={"pk": mentorship.pk})
    consent = reverse("mentoring:insight_consent", kwargs={"pk": mentorship.pk})
    mentee_client, mentor_client = logged_in(mentee), logged_in(mentor)
    # the mentee always sees their own figures; the mentor nothing before consent
    page = text(mentee_client.get(url))
    assert "My outcomes" in page and "Order defect rate" in page and "too few peers to show" in page
    assert "Only you can see this page" in page
    assert mentor_client.get(url).status_code == 404
    mentorship_page = text(mentor_client.get(mentorship.get_absolute_url()))
    assert "has not shared their shop" in mentorship_page and url not in mentorship_page
    # the mentor cannot give themselves consent
    assert mentor_client.post(consent, {"consent": "on"}).status_code == 404
    assert mentor_client.get(url).status_code == 404
    # when the mentee consents, the mentor sees the insight
    assert mentee_client.post(consent, {"consent": "on"}).status_code == 302
    page = text(mentor_client.get(url))
    assert "Insight into Nia New" in page and "Stop sharing" not in page
    # when the mentee takes it back, the mentor gets 404 again
    mentee_client.post(consent, {})
    assert mentor_client.get(url).status_code == 404


def test_strangers_and_staff_get_404_for_the_insight(pair):
    mentor, mentee = pair
    mentorship = f.mentorship(mentor, mentee, state=MentorshipState.ACTIVE)
    services.mentorship_insight_consent_set(mentorship_id=mentorship.pk, mentee=mentee, consent=True)
    url = reverse("mentoring:insight", kwargs={"pk": mentorship.pk})
    for outsider in (f.member(), StaffFactory()):
        assert logged_in(outsider).get(url).status_code == 404
        consent = reverse("mentoring:insight_consent", kwargs={"pk": mentorship.pk})
        assert logged_in(outsider).post(consent, {}).status_code == 404
    assert logged_in(mentor).get(url).status_code == 200


def test_the_insight_page_costs_the_same_queries_for_more_peers(pair):
    mentor, mentee = pair
    mentorship = f.mentorship(mentor, mentee, state=MentorshipState.ACTIVE)
    client = logged_in(mentee)
    url = reverse("mentoring:insight", kwargs={"pk": mentorship.pk})
    client.get(url)  # the first request warms per-process caches (site, content types)
    counts = []
    for _ in range(2):
        for n in range(5):
            seller("new", sold=n)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert "too few peers" not in text(client.get(url)).split("Conversion")[1].split("</tr>")[0]
