"""Mentor matching: how well a mentor fits a mentee, the ranked suggestions for one mentee, and the optimal intake
of a whole pool of mentees at once.

Pure Python + numpy/scipy on frozen profile dataclasses, so callers build the profiles from whatever models hold
them and this module never touches the database.

Scores are integers 0..100, the sum of weighted components (see the WEIGHT_* constants), so ties and totals are
exact. A pair is *eligible* only when mentor and mentee share a language, the mentor is not at an earlier stage
than the mentee and the mentor has a place left; an ineligible pair scores 0 and its reasons say what blocks it.

Reasons are lazy translations (`gettext_lazy`/`ngettext_lazy`, interpolated lazily): building a `Match` never needs
Django's settings or app registry, and the text renders in whatever language is active where it is shown.

Two scorers exist on purpose: `score()` for one pair (with reasons), and `score_matrix()`, its numpy twin for a
whole pool, which `intake()` uses so 2,000 x 500 pairs cost a few arrays instead of a million `Match` objects. The
test suite checks that both agree on every pair.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from django.utils.functional import lazy
from django.utils.translation import get_language_info, gettext_lazy, ngettext
from scipy.optimize import linear_sum_assignment

STAGES: tuple[str, ...] = ("new", "growing", "established")
STAGE_RANK = {stage: rank for rank, stage in enumerate(STAGES)}

# Weights: the most a component can add. They sum to 100, so a perfect fit scores 100.
# - Categories (30): a mentor who sells what the mentee sells knows their buyers, pricing and seasons; the
#   single strongest signal, and what mentees ask for first.
# - Skills (20): the specific things the mentee wants to learn (photography, pricing, shipping...).
# - Stage (20): someone one stage ahead remembers the step the mentee is on; two ahead is still useful but further
#   from the mentee's problems; a peer at the same stage scores low; a mentor behind is not eligible.
# - Time zone (10): sessions are live; a few hours apart is workable, so this only separates near from far.
# - Rating (15): how earlier mentees rated the mentor, smoothed so a single review cannot dominate.
# - Capacity (5): a nudge towards mentors with room, who have more time for each mentee and spread the load.
# A shared language is a gate, not a weight: without one the pair is not eligible.
WEIGHT_CATEGORIES = 30
WEIGHT_SKILLS = 20
WEIGHT_STAGE = 20
WEIGHT_TIMEZONE = 10
WEIGHT_RATING = 15
WEIGHT_CAPACITY = 5

# Overlap counts saturate: 2 shared categories (or 3 wanted skills) earn the full weight, and a mentee who lists
# fewer earns it by sharing all of theirs. Listing many categories must not make every mentor look poor.
CATEGORY_SATURATION = 2
SKILL_SATURATION = 3

# Points by stage gap (mentor rank - mentee rank); a negative gap is not eligible.
STAGE_POINTS_BY_GAP = {0: 4, 1: WEIGHT_STAGE, 2: 12}

# Full points up to an hour apart, falling linearly to none at 8 hours apart.
TIMEZONE_FULL_MINUTES = 60
TIMEZONE_ZERO_MINUTES = 8 * 60

# Bayesian average: every mentor starts with RATING_PRIOR_WEIGHT pseudo-reviews at RATING_PRIOR_MEAN, so one 5-star
# review moves an unrated mentor from 4.0 to 4.17, while 12 reviews at 4.8 reach 4.56. The smoothed rating maps
# linearly from RATING_FLOOR (no points) to 5.0 (full points): marketplace ratings cluster between 3 and 5.
RATING_PRIOR_MEAN = 4.0
RATING_PRIOR_WEIGHT = 5
RATING_FLOOR = 3.0
RATING_MAX = 5.0

# Remaining places that earn the full capacity points.
CAPACITY_SATURATION = 3

# A repeat of a past pairing is allowed (niche categories may have one mentor) but must win on merit: it loses
# this many points, floored at 0.
REPEAT_PENALTY = 25

# The bar for suggesting or assigning a pair. A mentor one stage ahead with ideal logistics but no shared
# category or skill lands around 40; any shared category clears it comfortably.
MIN_SCORE = 40

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class MentorProfile:
    """What matching needs to know about a mentor. Ids must be hashable and mutually comparable (they order ties)."""

    id: int
    stage: str
    categories: frozenset[str]
    skills: frozenset[str]
    languages: frozenset[str]
    utc_offset_minutes: int
    capacity: int
    active_mentees: int
    rating: float | None = None
    rating_count: int = 0

    def __post_init__(self) -> None:
        _stage_check(self.stage)
        if self.capacity < 0 or self.active_mentees < 0 or self.rating_count < 0:
            raise ValueError("capacity, active_mentees and rating_count cannot be negative")
        if self.rating is not None and not 1.0 <= self.rating <= RATING_MAX:
            raise ValueError(f"rating must be between 1 and {RATING_MAX}, not {self.rating!r}")

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - self.active_mentees)


@dataclass(frozen=True)
class MenteeProfile:
    """What matching needs to know about a mentee. `past_mentor_ids` are MentorProfile ids they were paired with."""

    id: int
    stage: str
    categories: frozenset[str]
    skills_wanted: frozenset[str]
    languages: frozenset[str]
    utc_offset_minutes: int
    past_mentor_ids: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        _stage_check(self.stage)


@dataclass(frozen=True)
class Match:
    """One mentor for one mentee. `score` is 0 when not eligible.

    `reasons` are lazy translated strings (str() them in the viewer's language). They follow from the same profiles
    as the score, so they are left out of equality: comparing matches never needs the translation machinery.
    """

    mentee_id: int
    mentor_id: int
    score: int
    eligible: bool
    reasons: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Assignment:
    """The outcome of one intake: at most one mentor per mentee, no mentor over their places left."""

    matches: tuple[Match, ...]  # ordered by mentee id
    unassigned_mentee_ids: tuple[int, ...]  # sorted

    @property
    def total_score(self) -> int:
        return sum(match.score for match in self.matches)

    @property
    def mentor_by_mentee(self) -> dict[int, int]:
        return {match.mentee_id: match.mentor_id for match in self.matches}


def _stage_check(stage: str) -> None:
    if stage not in STAGE_RANK:
        raise ValueError(f"stage must be one of {', '.join(STAGES)}, not {stage!r}")


# --- Reasons ------------------------------------------------------------------------------------------------------


def _interpolate(message: str, params: dict) -> str:
    return message % params


def _join(*names: str) -> str:
    return ", ".join(str(name) for name in names)


# All three run when the reason is rendered, not when the match is built. Django's own ngettext_lazy builds a new
# proxy class on every call (about 20 KB and 0.3 ms each: 140 MB and 2 s for one intake's reasons); this one is
# built once. It keeps the name so `makemessages` still extracts the singular and plural.
ngettext_lazy = lazy(ngettext, str)
_interpolate_lazy = lazy(_interpolate, str)
_join_lazy = lazy(_join, str)


def _reason(message: str, **params: object) -> str:
    return _interpolate_lazy(message, params)


def _language_name(code: str) -> str:
    """'es' -> Spanish (translated when rendered); anything that isn't a known language code is shown as given."""
    try:
        return get_language_info(code)["name_translated"]
    except KeyError:
        return code


def _hours_apart_reason(minutes: int) -> str:
    if minutes == 0:
        return gettext_lazy("same time zone")
    if minutes % 60 == 0:
        hours = minutes // 60
        return _reason(ngettext_lazy("%(hours)d hour apart", "%(hours)d hours apart", hours), hours=hours)
    return _reason(gettext_lazy("%(hours).1f hours apart"), hours=minutes / 60)


# --- Components shared by both scorers -----------------------------------------------------------------------------


def _rating_points(mentor: MentorProfile) -> int:
    """Per mentor, not per pair: `score_matrix` calls this once per mentor, so both scorers agree by construction."""
    if mentor.rating is None or mentor.rating_count <= 0:
        smoothed = RATING_PRIOR_MEAN
    else:
        smoothed = (RATING_PRIOR_MEAN * RATING_PRIOR_WEIGHT + mentor.rating * mentor.rating_count) / (
            RATING_PRIOR_WEIGHT + mentor.rating_count
        )
    fraction = min(1.0, max(0.0, (smoothed - RATING_FLOOR) / (RATING_MAX - RATING_FLOOR)))
    return math.floor(WEIGHT_RATING * fraction)


def _capacity_points(places_left: int) -> int:
    return WEIGHT_CAPACITY * min(places_left, CAPACITY_SATURATION) // CAPACITY_SATURATION


def _minutes_apart(a: int, b: int) -> int:
    """Distance between two UTC offsets on the 24-hour clock (+14:00 and -10:00 share a wall clock)."""
    difference = abs(a - b) % MINUTES_PER_DAY
    return min(difference, MINUTES_PER_DAY - difference)


def _timezone_points(minutes_apart: int) -> int:
    clamped = min(max(minutes_apart, TIMEZONE_FULL_MINUTES), TIMEZONE_ZERO_MINUTES)
    return WEIGHT_TIMEZONE * (TIMEZONE_ZERO_MINUTES - clamped) // (TIMEZONE_ZERO_MINUTES - TIMEZONE_FULL_MINUTES)


def _overlap_points(shared: int, listed: int, weight: int, saturation: int) -> int:
    if listed == 0:
        return 0
    return weight * min(shared, saturation) // min(listed, saturation)


# --- One pair -------------------------------------------------------------------------------------------------------


def score(mentor: MentorProfile, mentee: MenteeProfile) -> Match:
    """The mentor match score for one pair, with the reasons behind it."""
    blockers: list[str] = []
    shared_languages = sorted(mentor.languages & mentee.languages)
    if not shared_languages:
        blockers.append(gettext_lazy("no shared language"))
    gap = STAGE_RANK[mentor.stage] - STAGE_RANK[mentee.stage]
    if gap < 0:
        blockers.append(gettext_lazy("at an earlier stage than the mentee"))
    places_left = mentor.places_left
    if places_left == 0:
        blockers.append(gettext_lazy("no places left"))
    if blockers:
        return Match(mentee_id=mentee.id, mentor_id=mentor.id, score=0, eligible=False, reasons=tuple(blockers))

    reasons: list[str] = []
    shared_categories = len(mentor.categories & mentee.categories)
    category_points = _overlap_points(shared_categories, len(mentee.categories), WEIGHT_CATEGORIES, CATEGORY_SATURATION)
    if shared_categories:
        reasons.append(
            _reason(
                ngettext_lazy("%(count)d shared category", "%(count)d shared categories", shared_categories),
                count=shared_categories,
            )
        )
    shared_skills = len(mentor.skills & mentee.skills_wanted)
    skill_points = _overlap_points(shared_skills, len(mentee.skills_wanted), WEIGHT_SKILLS, SKILL_SATURATION)
    if shared_skills:
        reasons.append(
            _reason(
                ngettext_lazy("%(count)d skill you want", "%(count)d skills you want", shared_skills),
                count=shared_skills,
            )
        )
    stage_points = STAGE_POINTS_BY_GAP[gap]
    reasons.append(
        {
            0: gettext_lazy("same stage"),
            1: gettext_lazy("one stage ahead"),
            2: gettext_lazy("two stages ahead"),
        }[gap]
    )
    reasons.append(
        _reason(
            ngettext_lazy("same language (%(languages)s)", "same languages (%(languages)s)", len(shared_languages)),
            languages=_join_lazy(*(_language_name(code) for code in shared_languages)),
        )
    )
    minutes_apart = _minutes_apart(mentor.utc_offset_minutes, mentee.utc_offset_minutes)
    timezone_points = _timezone_points(minutes_apart)
    if timezone_points:
        reasons.append(_hours_apart_reason(minutes_apart))
    reasons.append(
        _reason(ngettext_lazy("has %(count)d place left", "has %(count)d places left", places_left), count=places_left)
    )
    if mentor.rating is not None and mentor.rating_count > 0:
        reasons.append(
            _reason(
                ngettext_lazy(
                    "rated %(rating).1f from %(count)d mentee",
                    "rated %(rating).1f from %(count)d mentees",
                    mentor.rating_count,
                ),
                rating=mentor.rating,
                count=mentor.rating_count,
            )
        )
    total = (
        category_points
        + skill_points
        + stage_points
        + timezone_points
        + _rating_points(mentor)
        + _capacity_points(places_left)
    )
    if mentor.id in mentee.past_mentor_ids:
        total = max(0, total - REPEAT_PENALTY)
        reasons.append(gettext_lazy("mentored you before"))
    return Match(mentee_id=mentee.id, mentor_id=mentor.id, score=total, eligible=True, reasons=tuple(reasons))


def suggestions(
    mentee: MenteeProfile, mentors: Iterable[MentorProfile], *, limit: int = 10, min_score: int = MIN_SCORE
) -> list[Match]:
    """The best eligible mentors for one mentee: highest score first, ties by mentor id (ascending)."""
    matches = [score(mentor, mentee) for mentor in mentors]
    ranked = sorted(
        (match for match in matches if match.eligible and match.score >= min_score),
        key=lambda match: (-match.score, match.mentor_id),
    )
    return ranked[: max(0, limit)]


# --- A whole pool ----------------------------------------------------------------------------------------------------


def _membership(sets: Sequence[frozenset[str]], vocabulary: dict[str, int]) -> np.ndarray:
    """Rows of 0/1 over the vocabulary, as float64 so overlap counts are one BLAS product (exact small integers)."""
    matrix = np.zeros((len(sets), max(1, len(vocabulary))), dtype=np.float64)
    for row, items in enumerate(sets):
        for item in items:
            matrix[row, vocabulary[item]] = 1.0
    return matrix


def _shared_counts(mentee_sets: Sequence[frozenset[str]], mentor_sets: Sequence[frozenset[str]]) -> np.ndarray:
    vocabulary = {item: index for index, item in enumerate(sorted(set().union(*mentee_sets, *mentor_sets)))}
    product = _membership(mentee_sets, vocabulary) @ _membership(mentor_sets, vocabulary).T
    return np.rint(product).astype(np.int64)


def _overlap_points_matrix(shared: np.ndarray, listed: np.ndarray, weight: int, saturation: int) -> np.ndarray:
    denominator = np.minimum(listed, saturation)[:, None]
    points = weight * np.minimum(shared, saturation) // np.maximum(denominator, 1)
    return np.where(denominator == 0, 0, points)


def score_matrix(mentees: Sequence[MenteeProfile], mentors: Sequence[MentorProfile]) -> tuple[np.ndarray, np.ndarray]:
    """`score()` for every pair at once: (scores, eligible), both shaped (len(mentees), len(mentors)).

    Same rules and integer arithmetic as `score()`, element for element; scores are 0 where not eligible.
    """
    n, m = len(mentees), len(mentors)
    if n == 0 or m == 0:
        return np.zeros((n, m), dtype=np.int64), np.zeros((n, m), dtype=bool)

    shared_languages = _shared_counts([e.languages for e in mentees], [r.languages for r in mentors])
    gap = (
        np.array([STAGE_RANK[r.stage] for r in mentors], dtype=np.int64)[None, :]
        - np.array([STAGE_RANK[e.stage] for e in mentees], dtype=np.int64)[:, None]
    )
    places_left = np.array([r.places_left for r in mentors], dtype=np.int64)
    eligible = (shared_languages > 0) & (gap >= 0) & (places_left > 0)[None, :]

    category_points = _overlap_points_matrix(
        _shared_counts([e.categories for e in mentees], [r.categories for r in mentors]),
        np.array([len(e.categories) for e in mentees], dtype=np.int64),
        WEIGHT_CATEGORIES,
        CATEGORY_SATURATION,
    )
    skill_points = _overlap_points_matrix(
        _shared_counts([e.skills_wanted for e in mentees], [r.skills for r in mentors]),
        np.array([len(e.skills_wanted) for e in mentees], dtype=np.int64),
        WEIGHT_SKILLS,
        SKILL_SATURATION,
    )
    stage_points_by_gap = np.zeros(2 * len(STAGES) - 1, dtype=np.int64)  # index gap + len(STAGES) - 1
    for stage_gap, points in STAGE_POINTS_BY_GAP.items():
        stage_points_by_gap[stage_gap + len(STAGES) - 1] = points
    stage_points = stage_points_by_gap[gap + len(STAGES) - 1]

    difference = (
        np.abs(
            np.array([r.utc_offset_minutes for r in mentors], dtype=np.int64)[None, :]
            - np.array([e.utc_offset_minutes for e in mentees], dtype=np.int64)[:, None]
        )
        % MINUTES_PER_DAY
    )
    minutes_apart = np.minimum(difference, MINUTES_PER_DAY - difference)
    clamped = np.clip(minutes_apart, TIMEZONE_FULL_MINUTES, TIMEZONE_ZERO_MINUTES)
    timezone_points = (
        WEIGHT_TIMEZONE * (TIMEZONE_ZERO_MINUTES - clamped) // (TIMEZONE_ZERO_MINUTES - TIMEZONE_FULL_MINUTES)
    )

    per_mentor = np.array([_rating_points(r) + _capacity_points(r.places_left) for r in mentors], dtype=np.int64)
    total = category_points + skill_points + stage_points + timezone_points + per_mentor[None, :]

    column_of = {r.id: column for column, r in enumerate(mentors)}
    repeat_rows, repeat_columns = [], []
    for row, mentee in enumerate(mentees):
        for mentor_id in mentee.past_mentor_ids:
            if mentor_id in column_of:
                repeat_rows.append(row)
                repeat_columns.append(column_of[mentor_id])
    if repeat_rows:
        total[repeat_rows, repeat_columns] = np.maximum(0, total[repeat_rows, repeat_columns] - REPEAT_PENALTY)

    return np.where(eligible, total, 0), eligible


def _sorted_unique(profiles: Iterable, kind: str) -> list:
    ordered = sorted(profiles, key=lambda profile: profile.id)
    for before, after in zip(ordered, ordered[1:], strict=False):
        if before.id == after.id:
            raise ValueError(f"duplicate {kind} id {after.id!r}")
    return ordered


def intake(
    mentees: Iterable[MenteeProfile], mentors: Iterable[MentorProfile], *, min_score: int = MIN_SCORE
) -> Assignment:
    """Assign a whole pool at once, maximising the total score.

    Constraints: at most one mentor per mentee, no mentor beyond their places left (capacity - active_mentees), no
    pair that is ineligible or scores below `min_score`.

    Method: a rectangular assignment problem (scipy's `linear_sum_assignment`, a Jonker-Volgenant solver) with one
    column per free place, i.e. each mentor's column repeated `places_left` times (capped at the number of mentees
    they could take). Forbidden cells weigh 0 and any pair the solver puts there is dropped, so "unassigned" costs
    nothing and the solver never has to find a complete matching.

    Determinism and ties: inputs are sorted by id before the matrix is built and the solver is deterministic, so
    the same pool in any order gives the same assignment. Among assignments with the same total score, the one
    that assigns more mentees wins (each allowed cell weighs score * (mentees + 1) + 1, so the count can never
    outweigh a single point of score). Beyond that, which of several equally good assignments is returned is the
    solver's choice on the id-sorted matrix: stable, but not otherwise specified.
    """
    mentees = _sorted_unique(mentees, "mentee")
    mentors = _sorted_unique(mentors, "mentor")
    scores, eligible = score_matrix(mentees, mentors)
    allowed = eligible & (scores >= min_score)

    rows = np.flatnonzero(allowed.any(axis=1))
    columns_per_mentor = np.minimum(
        np.array([mentor.places_left for mentor in mentors], dtype=np.int64), allowed.sum(axis=0)
    )
    pairs: dict[int, int] = {}
    if rows.size and columns_per_mentor.sum():
        slot_mentor = np.repeat(np.arange(len(mentors)), columns_per_mentor)
        # Integer-valued float64 (at most 100 * 2,001 + 1 per cell here): sums stay exact far beyond any pool size.
        weights = np.where(allowed, scores.astype(np.float64) * (len(mentees) + 1) + 1.0, 0.0)[rows][:, slot_mentor]
        chosen_rows, chosen_slots = linear_sum_assignment(weights, maximize=True)
        del weights
        for row, column in zip(rows[chosen_rows].tolist(), slot_mentor[chosen_slots].tolist(), strict=True):
            if allowed[row, column]:
                pairs[row] = column

    matches = []
    unassigned = []
    for row, mentee in enumerate(mentees):
        if row in pairs:
            matches.append(score(mentors[pairs[row]], mentee))
        else:
            unassigned.append(mentee.id)
    return Assignment(matches=tuple(matches), unassigned_mentee_ids=tuple(unassigned))
