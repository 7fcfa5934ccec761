from .mentorships import (
    ENGAGED_STATES,
    OPEN_STATES,
    EndReason,
    Goal,
    Mentorship,
    MentorshipEvent,
    MentorshipOrigin,
    MentorshipRating,
    MentorshipSession,
    MentorshipState,
    RatingSide,
)
from .profiles import MAX_CAPACITY, MenteeProfile, MentorProfile
from .tracks import Milestone, MilestoneKind, MilestoneProgress, Track

__all__ = [
    "ENGAGED_STATES",
    "MAX_CAPACITY",
    "OPEN_STATES",
    "EndReason",
    "Goal",
    "MenteeProfile",
    "MentorProfile",
    "Mentorship",
    "MentorshipEvent",
    "MentorshipOrigin",
    "MentorshipRating",
    "MentorshipSession",
    "MentorshipState",
    "Milestone",
    "MilestoneKind",
    "MilestoneProgress",
    "RatingSide",
    "Track",
]
