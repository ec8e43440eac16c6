"""SCORING.md 2 through the one seam (kpis/observations.py): imported values, ratings of
submitted assessments and survey answers are all observations of their KPIs."""

import datetime as dt

import pandas as pd

from assessments.models import Assessment, AssessmentRating, AssessmentStatus
from assessments.selectors import metric_values_frame
from feedback.models import Answer, Question, QuestionKind, Survey, SurveyResponse
from kpis.models import KPI, MetricValue, Period


def _frame(period: Period, kpi: KPI):
    frame = metric_values_frame(
        start=period.start, end=period.end, granularity=period.granularity, kpi_ids=[kpi.pk]
    )
    return sorted(
        zip(
            frame["partner_id"],
            pd.to_datetime(frame["observed_on"]).dt.date,
            frame["value"],
            strict=True,
        )
    )


def test_only_ratings_of_submitted_assessments_are_observations_on_the_period_end(world):
    rel = KPI.objects.create(code="relationship", name="Relationship", source="assessment")
    draft = Assessment.objects.create(partner=world.globex, period=world.q3)
    AssessmentRating.objects.create(assessment=draft, kpi=rel, rating=2)
    done = Assessment.objects.create(
        partner=world.acme, period=world.q3, status=AssessmentStatus.SUBMITTED
    )
    AssessmentRating.objects.create(assessment=done, kpi=rel, rating=4)
    month = Period.objects.create(
        code="2026-09", start=dt.date(2026, 9, 1), end=dt.date(2026, 9, 30), granularity="month"
    )
    assert _frame(world.q3, rel) == [(world.acme.pk, world.q3.end, 4.0)]
    assert _frame(world.q2, rel) == []
    # the month that ends with the quarter is another period: the quarter's rating is not its
    assert _frame(month, rel) == []


def test_every_survey_answer_counts_even_several_on_one_day(world):
    nps = KPI.objects.create(
        code="cust_nps", name="Customer NPS", source="survey", aggregation="nps"
    )
    survey = Survey.objects.create(name="CSAT", audience="customer")
    question = Question.objects.create(
        survey=survey, text="Recommend?", kind=QuestionKind.SCALE_10, kpi=nps
    )
    day = dt.date(2026, 8, 3)
    for value in (10, 10, 3):
        response = SurveyResponse.objects.create(
            survey=survey, partner=world.acme, answered_on=day, channel="link"
        )
        Answer.objects.create(response=response, question=question, value=value)
    MetricValue.objects.create(partner=world.acme, kpi=nps, observed_on=day, value=9)
    assert _frame(world.q3, nps) == [(world.acme.pk, day, v) for v in (3.0, 9.0, 10.0, 10.0)]
