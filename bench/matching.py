"""Mentor matching intake at the scale of a busy intake round: 2,000 mentees and 500 mentors with 1-5 places each.

Generates a seeded random pool (same seed, same pool, same figures but the time), times `mentoring.matching.intake`
end to end (scoring every pair with numpy, the assignment solver, the `Match` objects of the assigned pairs) and
reports the wall time (median of a few runs), the total and mean score and how many mentees got a mentor. Needs no
database and no Django settings: matching works on plain profiles, and its reasons stay lazy until rendered.

    .venv/bin/python -m bench.matching            prints JSON
    bench.matching.run(mentees=200, mentors=50)   the same dict, at any size
"""

from __future__ import annotations

import json
import random
import statistics
import time
from typing import Any

from mentoring.matching import MIN_SCORE, MenteeProfile, MentorProfile, intake

CATEGORIES = [
    "ceramics",
    "clothing",
    "home",
    "jewellery",
    "art prints",
    "furniture",
    "toys",
    "books",
    "lessons",
    "repairs",
    "photography services",
    "rentals",
]
SKILLS = [
    "product photography",
    "pricing",
    "shipping",
    "packaging",
    "listing copy",
    "seo",
    "bookkeeping",
    "taxes",
    "social media",
    "customer service",
    "wholesale",
    "craft fairs",
    "returns",
    "sourcing",
    "time management",
    "branding",
    "bookings",
    "reviews",
    "email lists",
    "collaborations",
]
# (language sets, weight): most members speak English, a large Spanish-speaking group, a few others.
LANGUAGE_SETS = [
    (frozenset({"en"}), 55),
    (frozenset({"en", "es"}), 15),
    (frozenset({"es"}), 15),
    (frozenset({"en", "fr"}), 5),
    (frozenset({"fr"}), 3),
    (frozenset({"en", "de"}), 4),
    (frozenset({"pt"}), 3),
]
# (UTC offset in minutes, weight): UK and Spain first, then the Americas and a few further away.
OFFSETS = [(0, 35), (60, 30), (120, 5), (-300, 10), (-360, 5), (-480, 5), (330, 4), (540, 3), (600, 3)]


def _weighted(rng: random.Random, choices: list[tuple[Any, int]]):
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights=weights)[0]


def pool_generate(*, mentees: int, mentors: int, seed: int) -> tuple[list[MenteeProfile], list[MentorProfile]]:
    rng = random.Random(seed)
    mentor_profiles = []
    for mentor_id in range(1, mentors + 1):
        capacity = rng.randint(1, 5)
        rated = rng.random() < 0.7
        mentor_profiles.append(
            MentorProfile(
                id=mentor_id,
                stage=rng.choices(["growing", "established"], weights=[45, 55])[0],
                categories=frozenset(rng.sample(CATEGORIES, rng.randint(1, 3))),
                skills=frozenset(rng.sample(SKILLS, rng.randint(2, 8))),
                languages=_weighted(rng, LANGUAGE_SETS),
                utc_offset_minutes=_weighted(rng, OFFSETS),
                capacity=capacity,
                active_mentees=rng.randint(1, capacity) if rng.random() < 0.2 else 0,
                rating=round(rng.uniform(3.5, 5.0), 1) if rated else None,
                rating_count=rng.randint(1, 40) if rated else 0,
            )
        )
    mentee_profiles = []
    for mentee_id in range(1, mentees + 1):
        past = frozenset(rng.sample(range(1, mentors + 1), rng.randint(1, 2))) if rng.random() < 0.1 else frozenset()
        mentee_profiles.append(
            MenteeProfile(
                id=mentee_id,
                stage=rng.choices(["new", "growing"], weights=[70, 30])[0],
                categories=frozenset(rng.sample(CATEGORIES, rng.randint(1, 2))),
                skills_wanted=frozenset(rng.sample(SKILLS, rng.randint(1, 4))),
                languages=_weighted(rng, LANGUAGE_SETS),
                utc_offset_minutes=_weighted(rng, OFFSETS),
                past_mentor_ids=past,
            )
        )
    return mentee_profiles, mentor_profiles


def run(
    *, mentees: int = 2_000, mentors: int = 500, seed: int = 20240601, min_score: int = MIN_SCORE, repeats: int = 3
) -> dict:
    """Times `repeats` intakes of the same pool (reporting the median and the fastest) and checks they agree."""
    mentee_profiles, mentor_profiles = pool_generate(mentees=mentees, mentors=mentors, seed=seed)
    timings, assignments = [], []
    for _ in range(max(1, repeats)):
        started = time.perf_counter()
        assignments.append(intake(mentee_profiles, mentor_profiles, min_score=min_score))
        timings.append(time.perf_counter() - started)
    assignment = assignments[0]
    scores = [match.score for match in assignment.matches]
    return {
        "bench": "mentoring.matching.intake",
        "mentees": mentees,
        "mentors": mentors,
        "places": sum(mentor.places_left for mentor in mentor_profiles),
        "seed": seed,
        "min_score": min_score,
        "repeats": len(timings),
        "seconds": round(statistics.median(timings), 3),
        "seconds_fastest": round(min(timings), 3),
        "total_score": assignment.total_score,
        "assigned": len(assignment.matches),
        "unassigned": len(assignment.unassigned_mentee_ids),
        "mean_score": round(statistics.fmean(scores), 2) if scores else None,
        "deterministic": all(other == assignment for other in assignments[1:]),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
