"""Ranked mentor suggestions built from the models: the reasons, who is left out, and a query count that does not
grow with the number of mentors."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from community.models import RoleGrant
from mentoring import matching, selectors, services
from mentoring.models import MentorshipState
from tests.mentoring import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def reasons(suggestion) -> list[str]:
    with translation.override("en"):
        return [str(reason) for reason in suggestion.reasons]


def test_suggestions_rank_mentors_and_say_why():
    # given a mentee in London selling ceramics and jewellery, wanting to learn pricing
    ceramics, jewellery, clothing = f.category("Ceramics"), f.category("Jewellery"), f.category("Clothing")
    mentee = f.mentee(categories=[ceramics, jewellery], skills=["pricing"], zone="Europe/London")
    close = f.mentor(categories=[ceramics, jewellery], skills=["Pricing"], zone="Europe/Paris", name="Close Fit")
    far = f.mentor(categories=[ceramics, clothing], stage="growing", zone="America/New_York", name="Far Away")
    # when
    suggestions = selectors.mentoring_suggestions(mentee=mentee)
    # then the better fit comes first, with its reasons
    assert [s.member for s in suggestions] == [close, far]
    assert suggestions[0].score > suggestions[1].score
    best = reasons(suggestions[0])
    assert "2 shared categories" in best
    assert "1 skill you want" in best
    assert "same language (English)" in best
    assert "1 hour apart" in best
    assert "two stages ahead" in best
    assert {"1 shared category", "one stage ahead", "5 hours apart"} <= set(reasons(suggestions[1]))


def test_suggestions_leave_out_who_cannot_mentor_and_flag_waiting_requests():
    ceramics = f.category("Ceramics")
    mentee = f.mentee(categories=[ceramics], stage="growing")

    def mentor(**kwargs):
        return f.mentor(categories=[ceramics], **kwargs)

    good = mentor(name="Good")
    mentor(accepting=False, name="Not accepting")
    mentor(languages=["fr"], name="No shared language")
    mentor(stage="new", name="Behind")
    role_less = mentor(name="Role revoked")
    RoleGrant.objects.filter(member=role_less, role="mentor").delete()
    full = mentor(capacity=1, name="Full")
    f.mentorship(full, f.mentee(categories=[ceramics]), state=MentorshipState.ACCEPTED)
    waiting = mentor(name="Waiting")
    f.mentorship(waiting, mentee)

    suggestions = selectors.mentoring_suggestions(mentee=mentee)

    assert {s.member for s in suggestions} == {good, waiting}
    assert {s.member: s.requested for s in suggestions} == {good: False, waiting: True}


def test_a_past_mentor_is_suggested_with_the_repeat_penalty():
    ceramics, clothing = f.category("Ceramics"), f.category("Clothing")
    mentee = f.mentee(categories=[ceramics, clothing], skills=["pricing"])
    past = f.mentor(categories=[ceramics, clothing], skills=["pricing"], name="Past")
    other = f.mentor(categories=[ceramics, clothing], skills=["pricing"], name="Other")
    mentorship = f.mentorship(past, mentee, state=MentorshipState.ACTIVE)
    services.mentorship_end(mentorship_id=mentorship.pk, by=mentee, reason="Changed plans")

    by_member = {s.member: s for s in selectors.mentoring_suggestions(mentee=mentee)}

    assert "mentored you before" in reasons(by_member[past])
    assert by_member[other].score - by_member[past].score == matching.REPEAT_PENALTY


def test_no_mentee_profile_no_suggestions():
    f.mentor()
    assert selectors.mentoring_suggestions(mentee=f.member()) == []


def _mentors(n: int, categories) -> None:
    for i in range(n):
        f.mentor(categories=[categories[i % len(categories)]], skills=["pricing", f"skill {i % 4}"], name=f"M{i}")


def _queries_for_suggestions(mentee) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        suggestions = selectors.mentoring_suggestions(mentee=mentee, limit=100)
        for suggestion in suggestions:  # what a page or the API reads of each
            str(suggestion.member.display_name)
            list(suggestion.mentor.categories.all())
            list(suggestion.mentor.skills.all())
            [str(reason) for reason in suggestion.reasons]
    return len(captured), len(suggestions)


def test_the_query_count_is_the_same_for_5_and_50_mentors():
    categories = [f.category(f"Cat {n}") for n in range(3)]
    mentee = f.mentee(categories=categories[:2], skills=["pricing"])
    _mentors(5, categories)
    few, shown_few = _queries_for_suggestions(mentee)
    _mentors(45, categories)
    many, shown_many = _queries_for_suggestions(mentee)
    assert (shown_few, shown_many) == (5, 50)
    assert few == many <= 8
