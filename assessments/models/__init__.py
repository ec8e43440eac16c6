"""assessments models, one module per concept; import them from here."""

from assessments.models.reviews import (
    COUNTING_STATUSES,
    RATING_MAX,
    RATING_MIN,
    Assessment,
    AssessmentRating,
    AssessmentStatus,
    AssessmentTransition,
    Rubric,
)
from assessments.models.scorecards import (
    LineStatus,
    OfficialTier,
    ProposalStatus,
    RecomputeRun,
    RunStatus,
    Scorecard,
    ScorecardLine,
    ScorecardStatus,
    TierChange,
    TierProposal,
)

__all__ = [
    "COUNTING_STATUSES",
    "RATING_MAX",
    "RATING_MIN",
    "Assessment",
    "AssessmentRating",
    "AssessmentStatus",
    "AssessmentTransition",
    "LineStatus",
    "OfficialTier",
    "ProposalStatus",
    "RecomputeRun",
    "RunStatus",
    "Rubric",
    "Scorecard",
    "ScorecardLine",
    "ScorecardStatus",
    "TierChange",
    "TierProposal",
]
