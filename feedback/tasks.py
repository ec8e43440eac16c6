"""Celery entry points of the feedback app (each calls one service; idempotent)."""

from celery import shared_task
from django.db import OperationalError

from feedback.survey_services import survey_requests_create


# surveys: the daily partner relationship survey requests (beat: `setup_schedule`)
@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def survey_requests_daily() -> dict:
    return {"created": survey_requests_create()}
