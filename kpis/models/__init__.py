"""kpis models, one module per concept; import them from here."""

from kpis.models.imports import ImportJob, ImportKind, ImportProfile
from kpis.models.measures import (
    CATEGORY_SUGGESTIONS,
    KPI,
    Aggregation,
    Direction,
    Granularity,
    MetricValue,
    Period,
    PeriodStatus,
    RecomputeMark,
    Source,
    kpi_code_validator,
)
from kpis.models.scoring_models import (
    THRESHOLD_ORDER,
    MissingPolicy,
    ModelLine,
    ScoringModel,
    ScoringModelVersion,
    TargetOverride,
    Tier,
    VersionStatus,
    check_thresholds,
)

__all__ = [
    "CATEGORY_SUGGESTIONS",
    "KPI",
    "THRESHOLD_ORDER",
    "Aggregation",
    "Direction",
    "Granularity",
    "ImportJob",
    "ImportKind",
    "ImportProfile",
    "MetricValue",
    "MissingPolicy",
    "ModelLine",
    "Period",
    "PeriodStatus",
    "RecomputeMark",
    "ScoringModel",
    "ScoringModelVersion",
    "Source",
    "TargetOverride",
    "Tier",
    "VersionStatus",
    "check_thresholds",
    "kpi_code_validator",
]
