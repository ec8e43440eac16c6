"""Quarterly assessments: the observations their ratings make (SCORING.md 2)."""

from assessments.models import COUNTING_STATUSES, Assessment, AssessmentRating
from kpis.models import Period

# The ratings of submitted (and later) assessments whose period is the period read (same
# granularity, inside the window), observed on that period's end.
RATINGS_SQL = f"""
    SELECT a.partner_id, r.kpi_id, p."end" AS observed_on, r.rating::float8 AS value
    FROM {AssessmentRating._meta.db_table} r
    JOIN {Assessment._meta.db_table} a ON a.id = r.assessment_id
    JOIN {Period._meta.db_table} p ON p.id = a.period_id
    WHERE r.rating IS NOT NULL
      AND a.status IN ({", ".join(f"'{s.value}'" for s in COUNTING_STATUSES)})
      AND p.granularity = %(granularity)s
      AND p.start >= %(start)s AND p."end" <= %(end)s
"""
