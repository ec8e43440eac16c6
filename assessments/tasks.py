"""Celery entry points (ids in, one service call, idempotent) and how to enqueue them.

Enqueueing happens after commit and is de-duplicated in Redis: a burst of changes to one
period (an import, then an override, then a publish...) yields one pending recompute. The task
clears its pending mark before it reads anything, so a change that lands during a run enqueues
the next run instead of being lost."""

import logging
from functools import cache

import redis
from celery import shared_task
from django.conf import settings
from django.db import OperationalError, transaction

from assessments.models import Period, PeriodStatus
from assessments.services import scorecard_recompute_partner, scorecards_recompute

logger = logging.getLogger(__name__)
PENDING_KEY = "partnerscore:recompute:pending:{scope}"
PENDING_TTL = 600  # seconds; a lost message frees its mark after this
DEBOUNCE_SECONDS = 2.0  # gather a burst of changes into one run


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def _claim(scope: str) -> bool:
    return bool(_redis().set(PENDING_KEY.format(scope=scope), 1, nx=True, ex=PENDING_TTL))


def _release(scope: str) -> None:
    _redis().delete(PENDING_KEY.format(scope=scope))


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def recompute_period(period_id: int, trigger: str = "manual") -> dict:
    _release(f"period:{period_id}")
    run = scorecards_recompute(period_id=period_id, trigger=trigger)
    return {"run": run.pk, "status": run.status, "scorecards": run.scorecards}


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def recompute_partner(period_id: int, partner_id: int, trigger: str = "manual") -> dict:
    _release(f"partner:{period_id}:{partner_id}")
    run = scorecard_recompute_partner(period_id=period_id, partner_id=partner_id, trigger=trigger)
    return {"run": run.pk, "status": run.status}


@shared_task
def recompute_open_periods(trigger: str = "schedule") -> list[int]:
    """The beat entry: one task per open period, so several workers share the work."""
    ids = list(
        Period.objects.filter(status=PeriodStatus.OPEN)
        .order_by("start")
        .values_list("pk", flat=True)
    )
    for period_id in ids:
        recompute_period.delay(period_id, trigger)
    return ids


def _send_period(period_id: int, trigger: str) -> None:
    if _claim(f"period:{period_id}"):
        recompute_period.apply_async((period_id, trigger), countdown=DEBOUNCE_SECONDS)
    else:
        logger.info("recompute of period %s already pending; %s joins it", period_id, trigger)


def enqueue_recompute(*, period_ids: list[int], trigger: str) -> None:
    """Enqueue after the current transaction commits (never before: the worker must see it)."""
    for period_id in sorted(set(period_ids)):
        transaction.on_commit(lambda pid=period_id: _send_period(pid, trigger))


def enqueue_open_periods(*, trigger: str) -> list[int]:
    ids = list(Period.objects.filter(status=PeriodStatus.OPEN).values_list("pk", flat=True))
    enqueue_recompute(period_ids=ids, trigger=trigger)
    return ids


def enqueue_partner_recompute(*, period_id: int, partner_id: int, trigger: str) -> None:
    """One partner in one period (an override, a manual edit): cheap, others untouched."""

    def send() -> None:
        if _claim(f"partner:{period_id}:{partner_id}"):
            recompute_partner.apply_async(
                (period_id, partner_id, trigger), countdown=DEBOUNCE_SECONDS
            )

    transaction.on_commit(send)


def recompute_after_change(
    *, first_day, last_day, trigger: str, partner_id: int | None = None
) -> list[int]:
    """Enqueue (after commit) the open periods whose dates overlap a changed range; only the
    one partner when the change is that partner's."""
    ids = list(
        Period.objects.filter(
            status=PeriodStatus.OPEN, start__lte=last_day, end__gte=first_day
        ).values_list("pk", flat=True)
    )
    if partner_id is None:
        enqueue_recompute(period_ids=ids, trigger=trigger)
    else:
        for period_id in ids:
            enqueue_partner_recompute(period_id=period_id, partner_id=partner_id, trigger=trigger)
    return ids
