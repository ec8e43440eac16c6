"""Celery entry points of the feedback app (ids in, one service call, idempotent): alerts,
reminders, the digest, the survey requests; and the receiver of assessments'
`scorecards_recomputed` signal (connected in FeedbackConfig.ready)."""

import logging

from celery import shared_task
from django.db import OperationalError, transaction

from feedback.alerts import alerts_raise
from feedback.digest import digests_send
from feedback.reminders import reminders_raise
from feedback.survey_services import survey_requests_create

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def raise_alerts(period_id: int, partner_id: int | None = None) -> int:
    return alerts_raise(period_id=period_id, partner_id=partner_id)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def send_reminders() -> dict[str, int]:
    return reminders_raise()


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def send_alert_digest() -> int:
    return digests_send()


def enqueue_alerts(*, period_id: int, partner_id: int | None) -> None:
    """Send the alerts task. Never raises: with the broker down, the next recompute of the
    period (the schedule's, at the latest) raises the alerts, which are idempotent."""
    try:
        raise_alerts.delay(period_id, partner_id)
    except Exception:
        logger.warning("could not enqueue the alerts of period %s", period_id, exc_info=True)


def on_scorecards_recomputed(
    sender, *, period_id: int, partner_id: int | None, run_id: int, **kwargs
) -> None:
    """Receiver of assessments.signals.scorecards_recomputed: raise the run's alerts."""
    transaction.on_commit(
        lambda: enqueue_alerts(period_id=period_id, partner_id=partner_id), robust=True
    )


# surveys: the daily partner relationship survey requests (beat: `setup_schedule`)
@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def survey_requests_daily() -> dict:
    return {"created": survey_requests_create()}
