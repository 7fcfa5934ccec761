"""Mentor matching: the score's components and reasons, suggestions, and the intake's optimality and invariants.

Plain functions: matching works on frozen profiles, so none of these tests touch the database.
"""

from __future__ import annotations

import random

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from mentoring.matching import (
    MIN_SCORE,
    REPEAT_PENALTY,
    STAGES,
    MenteeProfile,
    MentorProfile,
    intake,
    score,
    score_matrix,
    suggestions,
)

PROPERTIES = hypothesis_settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

CATEGORIES = ["ceramics", "clothing", "home", "lessons"]
SKILLS = ["photography", "pricing", "shipping", "seo", "bookkeeping"]
LANGUAGES = ["en", "es", "fr"]
OFFSETS = [-600, -300, 0, 60, 120, 330, 540, 840]


def mentor(id=1, **overrides) -> MentorProfile:
    fields = {
        "stage": "growing",
        "categories": frozenset(),
        "skills": frozenset(),
        "languages": frozenset({"en"}),
        "utc_offset_minutes": 0,
        "capacity": 3,
        "active_mentees": 0,
        "rating": None,
        "rating_count": 0,
    }
    return MentorProfile(id=id, **{**fields, **overrides})


def mentee(id=100, **overrides) -> MenteeProfile:
    fields = {
        "stage": "new",
        "categories": frozenset(),
        "skills_wanted": frozenset(),
        "languages": frozenset({"en"}),
        "utc_offset_minutes": 0,
        "past_mentor_ids": frozenset(),
    }
    return MenteeProfile(id=id, **{**fields, **overrides})


def rendered(match) -> list[str]:
    return [str(reason) for reason in match.reasons]


# --- Strategies -----------------------------------------------------------------------------------------------------

small_sets = lambda items: st.frozensets(st.sampled_from(items), max_size=len(items))  # noqa: E731
MENTOR_STAGES = ["growing", "established", "new", "growing", "established"]  # mostly ahead, as mentors are
offsets = st.one_of(st.sampled_from(OFFSETS), st.integers(-720, 840))


@st.composite
def mentor_profiles(draw, id, max_capacity=5):
    capacity = draw(st.sampled_from([*range(1, max_capacity + 1), 0]))  # a full mentor now and then, not half the time
    rated = draw(st.booleans())
    return MentorProfile(
        id=id,
        stage=draw(st.sampled_from(MENTOR_STAGES)),
        categories=draw(small_sets(CATEGORIES)),
        skills=draw(small_sets(SKILLS)),
        languages=draw(small_sets(LANGUAGES)) | (frozenset({"en"}) if draw(st.integers(0, 3)) else frozenset()),
        utc_offset_minutes=draw(offsets),
        capacity=capacity,
        active_mentees=draw(st.integers(0, capacity)) if not draw(st.integers(0, 3)) else 0,
        rating=draw(st.floats(1.0, 5.0)) if rated else None,
        rating_count=draw(st.integers(0, 60)) if rated else 0,
    )


@st.composite
def mentee_profiles(draw, id, mentor_ids):
    past = draw(st.frozensets(st.sampled_from(mentor_ids), max_size=2))
    return MenteeProfile(
        id=id,
        stage=draw(st.sampled_from(STAGES)),
        categories=draw(small_sets(CATEGORIES)),
        skills_wanted=draw(small_sets(SKILLS)),
        languages=draw(
            st.sampled_from([frozenset({"en"}), frozenset({"en", "es"}), frozenset({"es"}), frozenset({"fr"})])
        ),
        utc_offset_minutes=draw(offsets),
        past_mentor_ids=past | draw(st.frozensets(st.integers(900, 905), max_size=1)),  # some ids unknown here
    )


@st.composite
def pools(draw, max_mentees=8, max_mentors=6, max_capacity=5):
    """Mentees and mentors with unique, unordered ids (so id order and list order differ); usually a few of each,
    with enough shared languages and places that most pools assign several mentees."""
    mentor_count, mentee_count = draw(st.integers(1, max_mentors)), draw(st.integers(1, max_mentees))
    mentor_ids = draw(st.lists(st.integers(1, 50), unique=True, min_size=mentor_count, max_size=mentor_count))
    mentee_ids = draw(st.lists(st.integers(100, 150), unique=True, min_size=mentee_count, max_size=mentee_count))
    mentors = [draw(mentor_profiles(id, max_capacity)) for id in mentor_ids]
    mentees = [draw(mentee_profiles(id, mentor_ids)) for id in mentee_ids]
    return mentees, mentors


def brute_force_best(mentees, mentors, min_score) -> tuple[int, int]:
    """The best (total score, assigned count) over every feasible assignment, enumerated one mentee at a time."""
    options = [
        [(j, m.score) for j, r in enumerate(mentors) if (m := score(r, e)).eligible and m.score >= min_score]
        for e in mentees
    ]
    places = [r.places_left for r in mentors]
    best = (0, 0)

    def walk(i, total, count):
        nonlocal best
        if i == len(mentees):
            best = max(best, (total, count))
            return
        walk(i + 1, total, count)
        for j, points in options[i]:
            if places[j]:
                places[j] -= 1
                walk(i + 1, total + points, count + 1)
                places[j] += 1

    walk(0, 0, 0)
    return best


def check_feasible(assignment, mentees, mentors, min_score):
    mentors_by_id = {r.id: r for r in mentors}
    mentees_by_id = {e.id: e for e in mentees}
    assigned_ids = [match.mentee_id for match in assignment.matches]
    assert len(assigned_ids) == len(set(assigned_ids))
    assert sorted(assigned_ids + list(assignment.unassigned_mentee_ids)) == sorted(mentees_by_id)
    taken: dict[int, int] = {}
    for match in assignment.matches:
        taken[match.mentor_id] = taken.get(match.mentor_id, 0) + 1
        again = score(mentors_by_id[match.mentor_id], mentees_by_id[match.mentee_id])
        assert match == again
        assert match.eligible
        assert match.score >= min_score
    for mentor_id, count in taken.items():
        assert count <= mentors_by_id[mentor_id].places_left


# --- Properties ------------------------------------------------------------------------------------------------------


@PROPERTIES
@given(pool=pools(max_mentees=10, max_mentors=8))
def test_the_vectorised_score_equals_the_scalar_score_on_every_pair(pool):
    mentees, mentors = pool
    scores, eligible = score_matrix(mentees, mentors)
    assert scores.shape == eligible.shape == (len(mentees), len(mentors))
    for i, e in enumerate(mentees):
        for j, r in enumerate(mentors):
            match = score(r, e)
            assert (int(scores[i, j]), bool(eligible[i, j])) == (match.score, match.eligible), (e, r)
            assert 0 <= match.score <= 100


@PROPERTIES
@given(pool=pools(max_mentees=12, max_mentors=6), min_score=st.integers(0, 70))
def test_intake_never_exceeds_capacity_nor_assigns_a_pair_below_the_bar(pool, min_score):
    mentees, mentors = pool
    check_feasible(intake(mentees, mentors, min_score=min_score), mentees, mentors, min_score)


@PROPERTIES
@given(pool=pools(max_mentees=6, max_mentors=4, max_capacity=2), min_score=st.integers(0, 60))
def test_intake_finds_the_brute_force_optimum_on_small_pools(pool, min_score):
    mentees, mentors = pool
    assignment = intake(mentees, mentors, min_score=min_score)
    check_feasible(assignment, mentees, mentors, min_score)
    # the best total, and among the best totals the most mentees assigned (the documented tie rule)
    assert (assignment.total_score, len(assignment.matches)) == brute_force_best(mentees, mentors, min_score)


@PROPERTIES
@given(pool=pools(max_mentees=10, max_mentors=6, max_capacity=3), seed=st.integers(0, 2**32 - 1))
def test_intake_gives_the_same_assignment_for_the_same_pool_in_any_order(pool, seed):
    mentees, mentors = pool
    shuffled_mentees, shuffled_mentors = list(mentees), list(mentors)
    random.Random(seed).shuffle(shuffled_mentees)
    random.Random(seed + 1).shuffle(shuffled_mentors)
    assert intake(shuffled_mentees, shuffled_mentors, min_score=20) == intake(mentees, mentors, min_score=20)


# --- Components ------------------------------------------------------------------------------------------------------


def test_a_mentor_one_stage_ahead_sharing_categories_and_language_outranks_one_sharing_nothing():
    # given a new ceramics-and-home seller who speaks Spanish
    seller = mentee(categories=frozenset({"ceramics", "home"}), languages=frozenset({"es"}))
    close = mentor(id=7, stage="growing", categories=frozenset({"ceramics", "home"}), languages=frozenset({"es"}))
    unrelated = mentor(id=3, stage="growing", categories=frozenset({"clothing"}), languages=frozenset({"es"}))
    no_language = mentor(id=1, stage="growing", categories=frozenset({"ceramics", "home"}))
    # when they ask for suggestions
    ranked = suggestions(seller, [unrelated, no_language, close], min_score=0)
    # then the close mentor comes first and the one without a shared language is not suggested
    assert [match.mentor_id for match in ranked] == [7, 3]
    assert ranked[0].score - ranked[1].score == 30  # the full category weight


def test_stage_gap_one_ahead_beats_two_ahead_beats_same_stage_and_behind_is_not_eligible():
    points = {
        stage: score(mentor(stage=stage), mentee(stage="new")).score for stage in ("new", "growing", "established")
    }
    assert points["growing"] > points["established"] > points["new"] > 0
    behind = score(mentor(stage="new"), mentee(stage="growing"))
    assert (behind.eligible, behind.score) == (False, 0)


def test_timezone_points_fall_with_distance_on_the_24_hour_clock():
    near = score(mentor(utc_offset_minutes=60), mentee(utc_offset_minutes=0)).score
    far = score(mentor(utc_offset_minutes=-300), mentee(utc_offset_minutes=120)).score
    assert near > far
    # +14:00 and -10:00 show the same wall clock
    same_clock = score(mentor(utc_offset_minutes=840), mentee(utc_offset_minutes=-600)).score
    assert same_clock == score(mentor(), mentee()).score


def test_one_five_star_review_does_not_dominate_the_rating():
    unrated = score(mentor(), mentee()).score
    one_review = score(mentor(rating=5.0, rating_count=1), mentee()).score
    many_reviews = score(mentor(rating=4.8, rating_count=12), mentee()).score
    poor = score(mentor(rating=2.0, rating_count=30), mentee()).score
    assert poor < unrated < one_review < many_reviews
    assert one_review - unrated <= 2


def test_capacity_left_counts_and_a_full_mentor_is_not_eligible():
    roomy = score(mentor(capacity=5, active_mentees=1), mentee()).score
    one_place = score(mentor(capacity=2, active_mentees=1), mentee()).score
    assert roomy > one_place
    full = score(mentor(capacity=2, active_mentees=2), mentee())
    assert (full.eligible, full.score) == (False, 0)


def test_skill_overlap_counts_the_skills_the_mentee_wants():
    wants = mentee(skills_wanted=frozenset({"pricing", "photography"}))
    both = score(mentor(skills=frozenset({"pricing", "photography", "seo"})), wants).score
    one = score(mentor(skills=frozenset({"pricing"})), wants).score
    none = score(mentor(skills=frozenset({"seo"})), wants).score
    assert both - none == 20 and one - none == 10


def test_a_repeat_pairing_is_penalised():
    first = score(mentor(id=5, categories=frozenset({"home"})), mentee(categories=frozenset({"home"})))
    again = score(
        mentor(id=5, categories=frozenset({"home"})),
        mentee(categories=frozenset({"home"}), past_mentor_ids=frozenset({5})),
    )
    assert first.score - again.score == REPEAT_PENALTY
    assert again.eligible


def test_profiles_reject_an_unknown_stage_and_an_out_of_range_rating():
    with pytest.raises(ValueError, match="stage"):
        mentor(stage="expert")
    with pytest.raises(ValueError, match="rating"):
        mentor(rating=6.0, rating_count=1)


# --- Reasons -------------------------------------------------------------------------------------------------------


def test_reasons_say_why_in_short_sentences():
    match = score(
        mentor(
            stage="growing",
            categories=frozenset({"ceramics", "home", "clothing"}),
            skills=frozenset({"pricing"}),
            languages=frozenset({"es", "en"}),
            utc_offset_minutes=60,
            capacity=3,
            active_mentees=1,
            rating=4.8,
            rating_count=12,
        ),
        mentee(
            stage="new",
            categories=frozenset({"ceramics", "home"}),
            skills_wanted=frozenset({"pricing", "shipping"}),
            languages=frozenset({"es"}),
        ),
    )
    with translation.override("en"):
        assert rendered(match) == [
            "2 shared categories",
            "1 skill you want",
            "one stage ahead",
            "same language (Spanish)",
            "1 hour apart",
            "has 2 places left",
            "rated 4.8 from 12 mentees",
        ]


def test_reasons_use_singular_and_plural_and_half_hours():
    match = score(
        mentor(categories=frozenset({"home"}), utc_offset_minutes=330, capacity=1, languages=frozenset({"en", "fr"})),
        mentee(categories=frozenset({"home"}), utc_offset_minutes=120, languages=frozenset({"fr", "en"})),
    )
    with translation.override("en"):
        assert rendered(match) == [
            "1 shared category",
            "one stage ahead",
            "same languages (English, French)",
            "3.5 hours apart",
            "has 1 place left",
        ]


def test_reasons_explain_why_a_pair_is_not_eligible():
    match = score(mentor(stage="new", languages=frozenset({"fr"}), capacity=0), mentee(stage="growing"))
    with translation.override("en"):
        assert rendered(match) == ["no shared language", "at an earlier stage than the mentee", "no places left"]


def test_reasons_render_lazily_in_the_active_language():
    match = score(mentor(languages=frozenset({"es"})), mentee(languages=frozenset({"es"})))
    language_reason = match.reasons[1]  # after "one stage ahead"
    with translation.override("en"):
        assert str(language_reason) == "same language (Spanish)"
    with translation.override("es"):
        assert "Español" in str(language_reason)


# --- Suggestions and intake -------------------------------------------------------------------------------------------


def test_suggestions_rank_by_score_then_mentor_id_and_honour_limit_and_bar():
    seller = mentee(categories=frozenset({"home"}))
    mentors = [mentor(id=id, categories=frozenset({"home"})) for id in (9, 4, 6)] + [mentor(id=2)]
    ranked = suggestions(seller, mentors, limit=2)
    assert [match.mentor_id for match in ranked] == [4, 6]
    assert all(match.score >= MIN_SCORE for match in ranked)
    assert [match.mentor_id for match in suggestions(seller, mentors, limit=10, min_score=0)] == [4, 6, 9, 2]
    assert suggestions(seller, mentors, min_score=101) == []


def test_intake_beats_greedy_by_moving_a_flexible_mentee():
    # given one English-speaking mentee who slightly prefers the bilingual mentor, and a Spanish-only mentee
    bilingual = mentor(id=1, categories=frozenset({"home"}), languages=frozenset({"en", "es"}), capacity=1)
    english = mentor(id=2, categories=frozenset({"home"}), capacity=1, utc_offset_minutes=180)
    flexible = mentee(id=10, categories=frozenset({"home"}))
    spanish_only = mentee(id=11, categories=frozenset({"home"}), languages=frozenset({"es"}))
    assert score(bilingual, flexible).score > score(english, flexible).score
    # when the pool is assigned at once
    assignment = intake([flexible, spanish_only], [bilingual, english])
    # then both get a mentor: greedy would give the bilingual mentor to the first mentee and leave the second out
    assert assignment.mentor_by_mentee == {10: 2, 11: 1}
    assert assignment.unassigned_mentee_ids == ()


def test_intake_respects_active_mentees_and_reports_the_unassigned():
    busy = mentor(id=1, categories=frozenset({"home"}), capacity=3, active_mentees=2)
    pool = [mentee(id=id, categories=frozenset({"home"})) for id in (30, 10, 20)]
    assignment = intake(pool, [busy])
    assert len(assignment.matches) == 1
    assert len(assignment.unassigned_mentee_ids) == 2
    assert list(assignment.unassigned_mentee_ids) == sorted(assignment.unassigned_mentee_ids)


def test_intake_of_empty_pools_and_duplicate_ids():
    assert intake([], [mentor()]).matches == ()
    assert intake([mentee()], []).unassigned_mentee_ids == (100,)
    with pytest.raises(ValueError, match="duplicate mentor id 1"):
        intake([mentee()], [mentor(id=1), mentor(id=1)])


def test_the_bench_runs_at_a_small_scale_and_is_deterministic():
    from bench.matching import run

    figures = run(mentees=80, mentors=20, seed=3, repeats=2)
    assert figures["assigned"] + figures["unassigned"] == 80
    assert figures["assigned"] <= figures["places"]
    assert figures["deterministic"] is True
    assert figures["total_score"] == run(mentees=80, mentors=20, seed=3, repeats=1)["total_score"]
