"""The scoring configuration is audited: every change to these models is recorded with who,
when and every field's value (django-simple-history; the history page diffs two versions).

Not audited: metric values (millions of rows; each import is recorded by its ImportJob) and
import profiles. Writes that bypass save() bypass the record too: bulk_create and COPY use
simple_history.utils.bulk_create_with_history where an audited model is written in bulk
(kpis.services.version_draft_create, kpis.periods, the demo), the partner import's upsert
records its partners with bulk_history_create; queryset .update() is avoided on these models."""

from simple_history import register

from kpis.models.measures import KPI, Period
from kpis.models.scoring_models import (
    ModelLine,
    ScoringModel,
    ScoringModelVersion,
    TargetOverride,
    Tier,
    TierRequirement,
)
from partnerscore.audit import AuditRecords

AUDITED = (
    KPI,
    Period,
    ScoringModel,
    ScoringModelVersion,
    ModelLine,
    Tier,
    TierRequirement,
    TargetOverride,
)

for model in AUDITED:
    register(model, records_class=AuditRecords)
