"""Celery entry points (ids in, one service call, idempotent) and how they are enqueued.

Inputs changed in kpis are marked in PostgreSQL (`kpis.recompute.request_recompute`); the
receiver below enqueues a task after commit, de-duplicated with Django's cache (a burst of
changes to one period gives one run). The task drops its de-duplication key before it reads
anything, so a change landing during a run enqueues the next run. The sweep recomputes every
mark that is still there, so a lost message delays a recompute by one sweep at most."""

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError
from django.utils import timezone

from assessments.dashboards import warm_portfolio
from assessments.models import RecomputeRun, RunStatus
from assessments.services import scorecard_recompute_partner, scorecards_recompute
from kpis.models import Period, PeriodStatus, RecomputeMark

logger = logging.getLogger(__name__)
PENDING_KEY = "recompute:pending:{scope}"
DEBOUNCE_SECONDS = 2.0  # gather a burst of changes into one run


def _pending_ttl() -> int:
    """A queued task's de-duplication key outlives it by no more than one sweep."""
    return settings.RECOMPUTE_SWEEP_SECONDS


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def recompute_period(period_id: int, trigger: str = "manual") -> dict:
    cache.delete(PENDING_KEY.format(scope=f"period:{period_id}"))
    run = scorecards_recompute(period_id=period_id, trigger=trigger)
    _warm(run)
    return {"run": run.pk, "status": run.status, "scorecards": run.scorecards}


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def recompute_partner(period_id: int, partner_id: int, trigger: str = "manual") -> dict:
    cache.delete(PENDING_KEY.format(scope=f"partner:{period_id}:{partner_id}"))
    run = scorecard_recompute_partner(period_id=period_id, partner_id=partner_id, trigger=trigger)
    _warm(run)
    return {"run": run.pk, "status": run.status}


def _warm(run: RecomputeRun) -> None:
    """The portfolio's figures are cached per recompute run: compute the default view's now,
    so the first manager after a recompute does not wait. Best effort: a failure here (the
    cache unreachable) leaves the page to compute them itself."""
    if run.status != RunStatus.SUCCEEDED:
        return
    try:
        warm_portfolio(run.period.code)
    except Exception:
        logger.warning("could not warm the portfolio of %s", run.period.code, exc_info=True)


@shared_task
def recompute_open_periods(trigger: str = "schedule") -> list[str]:
    """The periodic full recompute: one task per open period, so workers share the work."""
    periods = list(
        Period.objects.filter(status=PeriodStatus.OPEN).order_by("start").values_list("pk", "code")
    )
    for period_id, _ in periods:
        recompute_period.delay(period_id, trigger)
    return [code for _, code in periods]


@shared_task
def recompute_marked(min_age_seconds: float | None = None) -> list[str]:
    """The sweep: enqueue a recompute for every mark older than one de-duplication window
    (younger marks have their task in the queue). A period-wide mark covers its partners."""
    age = _pending_ttl() if min_age_seconds is None else min_age_seconds
    cutoff = timezone.now() - dt.timedelta(seconds=age)
    marks = (
        RecomputeMark.objects.filter(marked_at__lte=cutoff, period__status=PeriodStatus.OPEN)
        .order_by("period__start", "partner_id")
        .values_list("period_id", "period__code", "partner_id")
    )
    whole: dict[int, str] = {}
    partners: dict[int, list[int]] = {}
    for period_id, code, partner_id in marks:
        if partner_id is None:
            whole[period_id] = code
        else:
            partners.setdefault(period_id, []).append(partner_id)
    for period_id, code in whole.items():
        enqueue_period(period_id=period_id, code=code, trigger="sweep", dedupe=False)
    sent = list(whole.values())
    for period_id, ids in partners.items():
        if period_id in whole:
            continue
        for partner_id in ids:
            enqueue_partner(period_id=period_id, partner_id=partner_id, trigger="sweep")
        sent.append(f"{period_id}:{len(ids)} partner(s)")
    return sent


def enqueue_period(*, period_id: int, code: str, trigger: str, dedupe: bool = True) -> bool:
    """Send a period's recompute unless one is already queued. Never raises: if the broker
    is down the period's mark stays and the sweep sends it later."""
    try:
        claimed = cache.add(PENDING_KEY.format(scope=f"period:{period_id}"), 1, _pending_ttl())
        if claimed or not dedupe:  # the sweep sends even when a (lost?) message holds the key
            recompute_period.apply_async((period_id, trigger), countdown=DEBOUNCE_SECONDS)
            return True
        logger.info("recompute of %s already queued; %s joins it", code, trigger)
    except Exception:  # the broker or the cache is unreachable: the sweep will catch up
        logger.warning("could not enqueue the recompute of %s; the sweep will", code, exc_info=True)
    return False


def enqueue_partner(*, period_id: int, partner_id: int, trigger: str) -> bool:
    try:
        if cache.add(
            PENDING_KEY.format(scope=f"partner:{period_id}:{partner_id}"), 1, _pending_ttl()
        ):
            recompute_partner.apply_async(
                (period_id, partner_id, trigger), countdown=DEBOUNCE_SECONDS
            )
            return True
    except Exception:
        logger.warning("could not enqueue a partner recompute; the sweep will", exc_info=True)
    return False


def on_recompute_requested(
    sender, *, period_ids: list[int], partner_id: int | None, reason: str, **kwargs
) -> None:
    """Receiver of kpis.recompute.recompute_requested (connected in AssessmentsConfig.ready)."""
    codes = dict(Period.objects.filter(pk__in=period_ids).values_list("pk", "code"))
    for period_id in sorted(period_ids):
        if partner_id is None:
            enqueue_period(period_id=period_id, code=codes.get(period_id, "?"), trigger=reason)
        else:
            enqueue_partner(period_id=period_id, partner_id=partner_id, trigger=reason)
