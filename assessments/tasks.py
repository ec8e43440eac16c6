"""Celery entry points: ids in, one service call, idempotent."""

from celery import shared_task
from django.db import OperationalError, transaction

from assessments.models import Period, PeriodStatus
from assessments.services import scorecards_recompute


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def recompute_period(period_id: int, trigger: str = "manual") -> dict:
    run = scorecards_recompute(period_id=period_id, trigger=trigger)
    return {"run": run.pk, "status": run.status, "scorecards": run.scorecards}


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


def enqueue_recompute(*, period_ids: list[int], trigger: str) -> None:
    """Enqueue after the current transaction commits (never before: the worker must see it)."""
    for period_id in sorted(set(period_ids)):
        transaction.on_commit(lambda pid=period_id: recompute_period.delay(pid, trigger))


def recompute_after_change(*, first_day, last_day, trigger: str) -> list[int]:
    """Enqueue (after commit) the open periods whose dates overlap a changed range."""
    ids = list(
        Period.objects.filter(
            status=PeriodStatus.OPEN, start__lte=last_day, end__gte=first_day
        ).values_list("pk", flat=True)
    )
    enqueue_recompute(period_ids=ids, trigger=trigger)
    return ids
