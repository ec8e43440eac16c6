"""Surveys' writes: the one way a response is recorded (the portal, the public link, the CSV
import and the API all call `survey_response_record`), and the partner relationship survey's
requests, asked of every portal user of every active partner each open period."""

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from feedback.models import (
    SCALE_BOUNDS,
    Answer,
    Question,
    QuestionKind,
    Survey,
    SurveyAudience,
    SurveyLink,
    SurveyRequest,
    SurveyResponse,
)
from kpis.models import Period, PeriodStatus, period_open_check
from kpis.recompute import request_recompute_of_dates
from partners.models import Partner, PortalUser

LINK_USED = "This link has already been used: thank you, your answers were recorded."
REQUEST_DONE = "You have already answered this survey for this period."


def answer_clean(question: Question, raw: Any) -> tuple[float | None, str] | None:
    """One answer checked against its question: (value, text), or None when left blank (and
    allowed). ValidationError naming the question otherwise."""
    text = "" if raw is None else str(raw).strip()
    if text == "":
        if question.required:
            raise ValidationError(f"“{question.text}” needs an answer.")
        return None
    if question.kind in SCALE_BOUNDS:
        low, high = SCALE_BOUNDS[QuestionKind(question.kind)]
        try:
            number = float(text)
        except ValueError:
            number = None
        if number is None or not number.is_integer() or not low <= number <= high:
            raise ValidationError(
                f"“{question.text}” takes a whole number from {low} to {high}, not “{text}”."
            )
        return number, ""
    if question.kind == QuestionKind.CHOICE:
        options = question.choice_list()
        if text not in options:
            raise ValidationError(
                f"“{text}” is not an option of “{question.text}” ({', '.join(options)})."
            )
    return None, text


def answers_clean(
    *, questions: list[Question], raw: Mapping[int, Any]
) -> dict[int, tuple[float | None, str]]:
    """Every question's answer checked; ValidationError keyed by question id with every
    problem at once. Answers to questions of another survey are refused."""
    known = {q.pk for q in questions}
    unknown = sorted(set(raw) - known)
    errors: dict[str, list[str]] = {}
    if unknown:
        errors["answers"] = [f"No such question in this survey: {unknown}."]
    cleaned: dict[int, tuple[float | None, str]] = {}
    for question in questions:
        try:
            answer = answer_clean(question, raw.get(question.pk))
        except ValidationError as exc:
            errors[f"q{question.pk}"] = exc.messages
            continue
        if answer is not None:
            cleaned[question.pk] = answer
    if errors:
        raise ValidationError(errors)
    return cleaned


def survey_response_record(
    *,
    survey: Survey,
    partner: Partner,
    answered_on: dt.date,
    answers: Mapping[int, Any],
    channel: str,
    link: SurveyLink | None = None,
    survey_request: SurveyRequest | None = None,
    respondent: User | None = None,
) -> SurveyResponse:
    """Records one response and its answers in one transaction, then asks for a recompute of
    the open periods holding its day (for this partner). Refused (ValidationError) when the
    survey is inactive, the day lies in a closed period, an answer is wrong, the link already
    took its response, or the request was already answered."""
    if not survey.is_active:
        raise ValidationError("This survey is no longer open for responses.")
    period_open_check(what=f"A response dated {answered_on.isoformat()}", day=answered_on)
    questions = list(survey.questions.all())
    cleaned = answers_clean(questions=questions, raw=answers)
    with transaction.atomic():
        if link is not None and survey.one_response_per_link:
            locked = SurveyLink.objects.select_for_update().get(pk=link.pk)
            if locked.responses.exists():
                raise ValidationError(LINK_USED, code="link_used")
        if survey_request is not None:
            claimed = SurveyRequest.objects.filter(
                pk=survey_request.pk, answered_at__isnull=True
            ).update(answered_at=timezone.now())
            if not claimed:
                raise ValidationError(REQUEST_DONE, code="request_done")
        response = SurveyResponse.objects.create(
            survey=survey,
            partner=partner,
            answered_on=answered_on,
            channel=channel,
            link=link,
            request=survey_request,
            respondent=respondent,
        )
        Answer.objects.bulk_create(
            Answer(response=response, question_id=pk, value=value, text=text)
            for pk, (value, text) in cleaned.items()
        )
        if any(q.kpi_id for q in questions):
            request_recompute_of_dates(
                first_day=answered_on,
                last_day=answered_on,
                partner_id=partner.pk,
                reason=f"survey response ({survey.name})",
            )
    return response


def request_answer_day(survey_request: SurveyRequest, today: dt.date | None = None) -> dt.date:
    """The day a portal answer counts on: today, or the period's last day once it has ended
    (the request was for that period)."""
    today = today or timezone.localdate()
    return min(today, survey_request.period.end)


# Set-based and idempotent: the unique (survey, period, user) constraint skips what exists.
_REQUESTS_SQL = f"""
    INSERT INTO {SurveyRequest._meta.db_table} (survey_id, period_id, partner_id, user_id,
                                                  created_at)
    SELECT s.id, p.id, pu.partner_id, pu.user_id, now()
    FROM {Survey._meta.db_table} s
    CROSS JOIN {Period._meta.db_table} p
    CROSS JOIN {PortalUser._meta.db_table} pu
    JOIN {Partner._meta.db_table} pa ON pa.id = pu.partner_id AND pa.is_active
    JOIN {get_user_model()._meta.db_table} u ON u.id = pu.user_id AND u.is_active
    WHERE s.is_active AND s.audience = %(audience)s
      AND p.status = %(open)s AND p.start <= %(today)s
    ON CONFLICT (survey_id, period_id, user_id) DO NOTHING
"""


def survey_requests_create(*, today: dt.date | None = None) -> int:
    """Asks every portal user of every active partner each active partner survey, once per
    open period that has begun. Running it again creates nothing new. Returns rows created."""
    params: dict[str, Any] = {
        "audience": SurveyAudience.PARTNER,
        "open": PeriodStatus.OPEN,
        "today": today or timezone.localdate(),
    }
    with connection.cursor() as cursor:
        cursor.execute(_REQUESTS_SQL, params)
        return cursor.rowcount
