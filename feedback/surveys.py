"""Surveys: the observations their answers make (SCORING.md 2)."""

from feedback.models import Answer, Question, SurveyResponse

# Every numeric answer to a question that feeds a KPI, observed on its response's day: one
# observation per answer, so several responses on one day all count.
ANSWERS_SQL = f"""
    SELECT s.partner_id, q.kpi_id, s.answered_on AS observed_on, a.value
    FROM {Answer._meta.db_table} a
    JOIN {SurveyResponse._meta.db_table} s ON s.id = a.response_id
    JOIN {Question._meta.db_table} q ON q.id = a.question_id
    WHERE q.kpi_id IS NOT NULL AND a.value IS NOT NULL
      AND s.answered_on BETWEEN %(start)s AND %(end)s
"""
