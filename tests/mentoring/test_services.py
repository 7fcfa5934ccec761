"""Mentoring services: profiles, the mentorship state machine, capacity (also under concurrency), sessions, goals,
ratings, the intake and milestones."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.http import Http404
from django.utils import timezone

from community.models import Profile, Role, RoleGrant
from listings.models import Listing
from mentoring import selectors, services
from mentoring.models import (
    EndReason,
    MentorProfile,
    Mentorship,
    MentorshipEvent,
    MentorshipOrigin,
    MentorshipRating,
    MentorshipSession,
    MentorshipState,
    MilestoneKind,
    MilestoneProgress,
)
from tests.listings import factories as listing_factories
from tests.mentoring import factories as f

pytestmark = pytest.mark.django_db

State = MentorshipState


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def pair():
    return f.mentor(name="Max Mentor"), f.mentee(name="Nia New")


def events(mentorship: Mentorship) -> list[tuple[str, str]]:
    return list(mentorship.events.order_by("pk").values_list("from_state", "to_state"))


# --- profiles ------------------------------------------------------------------------------------------------------


def test_mentor_profile_upsert_grants_the_role_and_keeps_languages_on_the_community_profile():
    # given
    member = f.member(stage="growing")
    ceramics = f.category("Ceramics")
    # when
    profile = services.mentor_profile_upsert(
        member=member,
        data={
            "categories": [ceramics],
            "skills": "Pricing, product  photography, pricing",
            "capacity": 3,
            "languages": ["en", "es"],
            "timezone": "Europe/Madrid",
        },
    )
    # then
    assert RoleGrant.objects.filter(member=member, role=Role.MENTOR).exists()
    assert sorted(tag.name for tag in profile.skills.all()) == ["pricing", "product photography"]
    assert list(profile.categories.all()) == [ceramics]
    community = Profile.objects.get(member=member)
    assert (community.languages, community.timezone) == (["en", "es"], "Europe/Madrid")
    # an update keeps one profile
    services.mentor_profile_upsert(member=member, data={"capacity": 1})
    assert MentorProfile.objects.get(member=member).capacity == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"capacity": 0}, "capacity"),
        ({"capacity": 11}, "capacity"),
        ({"categories": [999_999]}, "categories"),
        ({"languages": []}, "languages"),
        ({"skills": ", ".join(f"skill {n}" for n in range(13))}, "skills"),
        ({"is_staff": True}, "is_staff"),
    ],
)
def test_mentor_profile_upsert_refuses_bad_input_field_by_field(data, field):
    member = f.member()
    with pytest.raises(ValidationError) as error:
        services.mentor_profile_upsert(member=member, data={"capacity": 2, **data})
    assert field in error.value.message_dict


def test_mentee_profile_needs_goals_and_a_track():
    member = f.member()
    with pytest.raises(ValidationError) as error:
        services.mentee_profile_upsert(member=member, data={"track": 999_999, "goals": "  "})
    assert set(error.value.message_dict) == {"track", "goals"}


# --- the state machine -----------------------------------------------------------------------------------------


def test_a_mentorship_goes_from_request_to_rated_with_an_event_per_transition(pair):
    mentor, mentee = pair
    # given a request
    mentorship = services.mentorship_request(mentee=mentee, mentor=mentor, goals=["Make my first sale", " "])
    assert (mentorship.state, mentorship.origin) == (State.PROPOSED, MentorshipOrigin.REQUEST)
    assert mentorship.score > 0
    assert list(mentorship.goals.values_list("text", flat=True)) == ["Make my first sale"]
    # when the mentor accepts and a session is logged
    services.mentorship_accept(mentorship_id=mentorship.pk, mentor=mentor)
    services.session_log(
        mentorship_id=mentorship.pk,
        by=mentee,
        scheduled_at=timezone.now() - timedelta(hours=2),
        duration_minutes=45,
        notes="Priced three listings together.",
    )
    mentorship.refresh_from_db()
    # then the first session started it
    assert mentorship.state == State.ACTIVE and mentorship.accepted_at and mentorship.started_at
    # and completing and rating close it
    services.mentorship_complete(mentorship_id=mentorship.pk, by=mentee)
    services.mentorship_rate(mentorship_id=mentorship.pk, by=mentee, score=5, comment="Wonderful")
    services.mentorship_rate(mentorship_id=mentorship.pk, by=mentor, score=4)
    mentorship.refresh_from_db()
    assert mentorship.state == State.COMPLETED and mentorship.closed_at
    assert events(mentorship) == [
        ("", State.PROPOSED),
        (State.PROPOSED, State.ACCEPTED),
        (State.ACCEPTED, State.ACTIVE),
        (State.ACTIVE, State.COMPLETED),
    ]
    assert dict(mentorship.ratings.values_list("side", "score")) == {"mentee": 5, "mentor": 4}


def test_the_transition_table_has_no_way_out_of_a_closed_mentorship():
    assert services.TRANSITIONS[State.COMPLETED] == set()
    assert services.TRANSITIONS[State.ENDED] == set()
    assert set(services.TRANSITIONS) == set(State.values)


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (State.PROPOSED, "complete"),
        (State.PROPOSED, "start_session"),
        (State.ACCEPTED, "accept"),
        (State.ACCEPTED, "complete"),
        (State.ACCEPTED, "withdraw"),
        (State.ACTIVE, "accept"),
        (State.ACTIVE, "start"),
        (State.ACTIVE, "decline"),
        (State.COMPLETED, "end"),
        (State.COMPLETED, "start"),
        (State.COMPLETED, "start_session"),
        (State.ENDED, "accept"),
        (State.ENDED, "complete"),
        (State.ENDED, "end"),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(pair, state, action):
    mentor, mentee = pair
    mentorship = f.mentorship(mentor, mentee, state=state)
    before = (mentorship.state, mentorship.events.count())
    calls = {
        "accept": lambda: services.mentorship_accept(mentorship_id=mentorship.pk, mentor=mentor),
        "decline": lambda: services.mentorship_decline(mentorship_id=mentorship.pk, mentor=mentor),
        "withdraw": lambda: services.mentorship_withdraw(mentorship_id=mentorship.pk, mentee=mentee),
        "start": lambda: services.mentorship_start(mentorship_id=mentorship.pk, by=mentee),
        "complete": lambda: services.mentorship_complete(mentorship_id=mentorship.pk, by=mentee),
        "end": lambda: services.mentorship_end(mentorship_id=mentorship.pk, by=mentee, reason="Too busy"),
        "start_session": lambda: services.session_log(
            mentorship_id=mentorship.pk, by=mentor, scheduled_at=timezone.now(), duration_minutes=30
        ),
    }
    with pytest.raises(ValidationError):
        calls[action]()
    mentorship.refresh_from_db()
    assert (mentorship.state, mentorship.events.count()) == before


def test_only_the_mentor_answers_a_request_and_strangers_see_nothing(pair):
    mentor, mentee = pair
    stranger = f.mentor(name="Someone Else")
    mentorship = f.mentorship(mentor, mentee)
    for call in (
        lambda: services.mentorship_accept(mentorship_id=mentorship.pk, mentor=mentee),
        lambda: services.mentorship_accept(mentorship_id=mentorship.pk, mentor=stranger),
        lambda: services.mentorship_decline(mentorship_id=mentorship.pk, mentor=stranger),
        lambda: services.mentorship_withdraw(mentorship_id=mentorship.pk, mentee=mentor),
        lambda: services.mentorship_end(mentorship_id=mentorship.pk, by=stranger, reason="no"),
        lambda: services.goal_add(mentorship_id=mentorship.pk, by=stranger, text="Take over"),
    ):
        with pytest.raises(Http404):
            call()
    assert Mentorship.objects.get(pk=mentorship.pk).state == State.PROPOSED


def test_decline_and_end_keep_the_reason(pair):
    mentor, mentee = pair
    declined = f.mentorship(mentor, mentee)
    services.mentorship_decline(mentorship_id=declined.pk, mentor=mentor, note="Full this month")
    declined.refresh_from_db()
    assert (declined.state, declined.end_reason, declined.end_note) == (
        State.ENDED,
        EndReason.DECLINED,
        "Full this month",
    )

    ended = f.mentorship(mentor, mentee, state=State.ACTIVE)
    with pytest.raises(ValidationError) as error:
        services.mentorship_end(mentorship_id=ended.pk, by=mentor, reason="  ")
    assert "reason" in error.value.message_dict
    services.mentorship_end(mentorship_id=ended.pk, by=mentor, reason="Moving abroad")
    ended.refresh_from_db()
    assert (ended.state, ended.end_reason, ended.end_note) == (State.ENDED, EndReason.STOPPED, "Moving abroad")
    assert ended.events.last().note == "Moving abroad"


# --- requests ------------------------------------------------------------------------------------------------------


def test_requests_that_cannot_work_are_refused(pair):
    mentor, mentee = pair
    peer_behind = f.mentor(stage="new", name="Behind")
    spanish = f.mentor(languages=["es"], name="Solo Español")
    resting = f.mentor(accepting=False, name="Resting")
    no_profile = f.member()
    cases = [
        (lambda: services.mentorship_request(mentee=mentee, mentor=mentee, goals=["x"]), "mentor"),
        (lambda: services.mentorship_request(mentee=mentee, mentor=resting, goals=["x"]), "mentor"),
        (lambda: services.mentorship_request(mentee=mentee, mentor=spanish, goals=["x"]), "mentor"),
        (lambda: services.mentorship_request(mentee=mentee, mentor=mentor, goals=[]), "goals"),
        (lambda: services.mentorship_request(mentee=mentee, mentor=mentor, goals=["g"] * 6), "goals"),
    ]
    for call, field in cases:
        with pytest.raises(ValidationError) as error:
            call()
        assert field in error.value.message_dict
    with pytest.raises(ValidationError, match="mentee profile"):
        services.mentorship_request(mentee=no_profile, mentor=mentor, goals=["x"])
    # a mentor at an earlier stage is not eligible, and the reason says why
    mentee_growing = f.mentee(stage="growing")
    with pytest.raises(ValidationError) as error:
        services.mentorship_request(mentee=mentee_growing, mentor=peer_behind, goals=["x"])
    assert "earlier stage" in str(error.value.message_dict["mentor"])
    # asking twice is refused; so is asking while having a mentor
    f.mentorship(mentor, mentee)
    with pytest.raises(ValidationError, match="already asked"):
        services.mentorship_request(mentee=mentee, mentor=mentor, goals=["x"])
    services.mentorship_accept(mentorship_id=Mentorship.objects.get(mentee=mentee).pk, mentor=mentor)
    other = f.mentor(name="Other Mentor")
    with pytest.raises(ValidationError, match="already have a mentor"):
        services.mentorship_request(mentee=mentee, mentor=other, goals=["x"])
    assert Mentorship.objects.filter(mentee=mentee).count() == 1


def test_a_mentee_sends_at_most_ten_requests_a_day():
    mentee = f.mentee()
    mentors = [f.mentor(name=f"Mentor {n}") for n in range(services.REQUESTS_PER_DAY + 1)]
    for mentor in mentors[:-1]:
        services.mentorship_request(mentee=mentee, mentor=mentor, goals=["x"])
    with pytest.raises(ValidationError) as error:
        services.mentorship_request(mentee=mentee, mentor=mentors[-1], goals=["x"])
    assert error.value.code == "rate_limited"
    # a day later there is room again
    Mentorship.objects.filter(mentee=mentee).update(created_at=timezone.now() - timedelta(hours=25))
    services.mentorship_request(mentee=mentee, mentor=mentors[-1], goals=["x"])


def test_accepting_ends_the_mentees_other_requests():
    mentee = f.mentee()
    first, second = f.mentor(name="First"), f.mentor(name="Second")
    chosen = f.mentorship(first, mentee)
    other = f.mentorship(second, mentee)
    services.mentorship_accept(mentorship_id=chosen.pk, mentor=first)
    other.refresh_from_db()
    assert (other.state, other.end_reason) == (State.ENDED, EndReason.SUPERSEDED)
    with pytest.raises(ValidationError):
        services.mentorship_accept(mentorship_id=other.pk, mentor=second)


# --- capacity ------------------------------------------------------------------------------------------------------


def test_a_mentor_accepts_no_more_mentees_than_their_capacity():
    mentor = f.mentor(capacity=1)
    first, second = f.mentorship(mentor, f.mentee()), f.mentorship(mentor, f.mentee())
    services.mentorship_accept(mentorship_id=first.pk, mentor=mentor)
    with pytest.raises(ValidationError, match="no places left"):
        services.mentorship_accept(mentorship_id=second.pk, mentor=mentor)
    # completing the first frees the place
    services.mentorship_start(mentorship_id=first.pk, by=mentor)
    services.mentorship_complete(mentorship_id=first.pk, by=mentor)
    services.mentorship_accept(mentorship_id=second.pk, mentor=mentor)


def _race(calls) -> list[object]:
    """Runs the calls in threads released together; each result is the return value or the exception.

    Tests that race use a transactional database with serialized_rollback, like the other suites' concurrency tests:
    the flush after them then leaves the content types as the browser journeys expect them."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # returned for the test to inspect
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_capacity_holds_when_a_mentor_accepts_two_requests_at_once():
    # given a mentor with one place and two waiting requests
    mentor = f.mentor(capacity=1)
    requests = [f.mentorship(mentor, f.mentee()), f.mentorship(mentor, f.mentee())]
    # when both are accepted at the same moment
    results = _race([lambda pk=m.pk: services.mentorship_accept(mentorship_id=pk, mentor=mentor) for m in requests])
    # then one wins and the other is told there is no place
    assert sorted(type(result).__name__ for result in results) == ["Mentorship", "ValidationError"]
    assert "no places left" in str(next(r for r in results if isinstance(r, ValidationError)))
    assert Mentorship.objects.filter(mentor=mentor, state=State.ACCEPTED).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_mentors_accepting_one_mentee_at_once_cannot_both_win():
    mentee = f.mentee()
    mentors = [f.mentor(name="One"), f.mentor(name="Two")]
    requests = [f.mentorship(mentor, mentee) for mentor in mentors]
    results = _race(
        [
            lambda pk=m.pk, mentor=mentor: services.mentorship_accept(mentorship_id=pk, mentor=mentor)
            for m, mentor in zip(requests, mentors, strict=True)
        ]
    )
    # one wins; the other is refused cleanly (no deadlock), its request already ended by the winner
    assert sorted(type(result).__name__ for result in results) == ["Mentorship", "ValidationError"]
    assert Mentorship.objects.filter(mentee=mentee, state=State.ACCEPTED).count() == 1


# --- sessions, goals, ratings -----------------------------------------------------------------------------------


def test_session_input_is_checked(pair):
    mentor, mentee = pair
    mentorship = f.mentorship(mentor, mentee, state=State.ACCEPTED)
    with pytest.raises(ValidationError) as error:
        services.session_log(
            mentorship_id=mentorship.pk,
            by=mentor,
            scheduled_at=timezone.now() + timedelta(days=400),
            duration_minutes=5,
            notes="x" * 5001,
        )
    assert set(error.value.message_dict) == {"scheduled_at", "duration_minutes", "notes"}
    assert not MentorshipSession.objects.exists()
    assert Mentorship.objects.get(pk=mentorship.pk).state == State.ACCEPTED


def test_goals_are_added_and_progress_stays_between_0_and_100(pair):
    mentor, mentee = pair
    mentorship = f.mentorship(mentor, mentee, state=State.ACTIVE)
    goal = services.goal_add(mentorship_id=mentorship.pk, by=mentor, text="  Ten   reviews ")
    assert goal.text == "Ten reviews"
    services.goal_progress_set(goal_id=goal.pk, by=mentee, progress=40)
    with pytest.raises(ValidationError):
        services.goal_progress_set(goal_id=goal.pk, by=mentee, progress=101)
    with pytest.raises(Http404):
        services.goal_progress_set(goal_id=goal.pk, by=f.member(), progress=50)
    goal.refresh_from_db()
    assert goal.progress == 40


def test_ratings_come_once_per_side_and_only_after_completion(pair):
    mentor, mentee = pair
    mentorship = f.mentorship(mentor, mentee, state=State.ACTIVE)
    with pytest.raises(ValidationError, match="once it is completed"):
        services.mentorship_rate(mentorship_id=mentorship.pk, by=mentee, score=5)
    services.mentorship_complete(mentorship_id=mentorship.pk, by=mentor)
    for bad in (0, 6, True, "5"):
        with pytest.raises(ValidationError):
            services.mentorship_rate(mentorship_id=mentorship.pk, by=mentee, score=bad)
    services.mentorship_rate(mentorship_id=mentorship.pk, by=mentee, score=4, comment="Helpful")
    with pytest.raises(ValidationError, match="already rated"):
        services.mentorship_rate(mentorship_id=mentorship.pk, by=mentee, score=5)
    services.mentorship_rate(mentorship_id=mentorship.pk, by=mentor, score=5)
    with pytest.raises(Http404):
        services.mentorship_rate(mentorship_id=mentorship.pk, by=f.member(), score=5)
    assert MentorshipRating.objects.filter(mentorship=mentorship).count() == 2
    # the mentee's rating is the mentor's rating in matching
    row = selectors.mentors_for_matching().get(member=mentor)
    assert (row.rating_avg, row.rating_count) == (4.0, 1)


# --- intake -------------------------------------------------------------------------------------------------------


def test_intake_proposes_the_best_total_within_places_and_only_once():
    # given three mentees and two mentors with one place each
    ceramics, clothing = f.category("Ceramics"), f.category("Clothing")
    potter = f.mentor(categories=[ceramics], capacity=1, name="Potter")
    tailor = f.mentor(categories=[clothing], capacity=1, name="Tailor")
    mentees = [
        f.mentee(categories=[ceramics], name="Clay"),
        f.mentee(categories=[clothing], name="Cloth"),
        f.mentee(categories=[ceramics], name="Clay Two"),
    ]
    # when the intake runs for everyone without a mentor
    result = services.intake_run(mentees=selectors.mentees_without_mentor(), mentors=selectors.mentors_for_matching())
    # then two mentorships are proposed, each mentor within their place, by category
    pairs = {(m.mentor_id, m.mentee_id) for m in result.mentorships}
    assert len(pairs) == 2
    assert (tailor.pk, mentees[1].pk) in pairs
    assert {mentor for mentor, _ in pairs} == {potter.pk, tailor.pk}
    assert all(m.origin == MentorshipOrigin.INTAKE and m.state == State.PROPOSED for m in result.mentorships)
    assert result.total_score == sum(m.score for m in result.mentorships) > 0
    assert MentorshipEvent.objects.filter(to_state=State.PROPOSED).count() == 2
    # and a second run proposes nothing more: the places are spoken for
    again = services.intake_run(mentees=selectors.mentees_without_mentor(), mentors=selectors.mentors_for_matching())
    assert again.mentorships == ()
    assert Mentorship.objects.count() == 2


def test_the_intake_command_prints_the_total_score(capsys):
    ceramics = f.category("Ceramics")
    f.mentor(categories=[ceramics], capacity=2)
    f.mentee(categories=[ceramics])
    f.mentee(categories=[ceramics])
    call_command("mentoring_intake", "--dry-run")
    dry = capsys.readouterr().out
    assert "Total score:" in dry and "would be proposed" in dry
    assert not Mentorship.objects.exists()
    call_command("mentoring_intake")
    out = capsys.readouterr().out
    total = sum(Mentorship.objects.values_list("score", flat=True))
    assert f"Total score: {total} (2 proposed)" in out


# --- milestones ----------------------------------------------------------------------------------------------------


def test_first_listing_is_worked_out_from_listings():
    track = f.track("new")
    first_listing = f.milestone(track, MilestoneKind.FIRST_LISTING)
    seller = f.mentee(on_track=track)
    assert services.milestones_check(member=seller) == []
    listing_factories.draft(seller, listing_factories.category())
    assert services.milestones_check(member=seller) == []  # a draft is not enough
    Listing.objects.filter(seller=seller).update(status="published", published_at=timezone.now())
    assert [p.milestone for p in services.milestones_check(member=seller)] == [first_listing]
    assert services.milestones_check(member=seller) == []  # once only
    assert MilestoneProgress.objects.filter(member=seller).count() == 1


def test_milestone_achieve_is_the_hook_for_orders():
    track = f.track("growing")
    first_sale = f.milestone(track, MilestoneKind.FIRST_SALE)
    defects = f.milestone(track, MilestoneKind.DEFECT_RATE_UNDER, threshold=Decimal("2"))
    reviews = f.milestone(track, MilestoneKind.TEN_REVIEWS_4_5, threshold=Decimal("4.5"))
    seller = f.member()
    assert [p.milestone for p in services.milestone_achieve(member=seller, kind="first_sale")] == [first_sale]
    assert services.milestone_achieve(member=seller, kind="defect_rate_under", value=2.5) == []
    assert [p.milestone for p in services.milestone_achieve(member=seller, kind="defect_rate_under", value=1.2)] == [
        defects
    ]
    assert services.milestone_achieve(member=seller, kind="ten_reviews_4_5", value=Decimal("4.4")) == []
    assert [p.milestone for p in services.milestone_achieve(member=seller, kind="ten_reviews_4_5", value=4.8)] == [
        reviews
    ]
    with pytest.raises(ValidationError):
        services.milestone_achieve(member=seller, kind="custom")


def test_custom_milestones_are_marked_by_the_mentee_or_their_mentor():
    track = f.track("new")
    story = f.milestone(track, MilestoneKind.CUSTOM, title="Write your story")
    mentee = f.mentee(on_track=track)
    mentor = f.mentor()
    with pytest.raises(Http404):
        services.milestone_mark(milestone_id=story.pk, member=mentee, by=mentor)  # not their mentor yet
    f.mentorship(mentor, mentee, state=State.ACCEPTED)
    progress = services.milestone_mark(milestone_id=story.pk, member=mentee, by=mentor)
    assert progress.marked_by == mentor
    assert selectors.track_progress(member=mentee).reached == 1
