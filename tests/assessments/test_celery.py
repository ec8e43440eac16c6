"""The recompute through a real Celery worker on the real Redis broker."""

import datetime as dt
import time

import pytest
from celery.contrib.testing.worker import start_worker

from assessments.models import RecomputeRun, Scorecard
from assessments.tasks import recompute_open_periods, recompute_period
from kpis.models import MetricValue
from partnerscore.celery import app

pytestmark = pytest.mark.slow


@pytest.fixture
def celery_worker(transactional_db):
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as worker:
        yield worker


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_recompute_through_a_real_worker_twice_gives_same_rows(world, celery_worker):
    MetricValue.objects.create(
        partner=world.acme, kpi=world.revenue, observed_on=dt.date(2026, 8, 1), value=120000
    )
    MetricValue.objects.create(
        partner=world.acme, kpi=world.nps, observed_on=dt.date(2026, 8, 1), value=35
    )
    MetricValue.objects.create(
        partner=world.acme, kpi=world.late, observed_on=dt.date(2026, 8, 1), value=8
    )
    result = recompute_period.delay(world.q3.pk, "test").get(timeout=60)
    assert result["status"] == "succeeded" and result["scorecards"] == 2
    first = list(
        Scorecard.objects.filter(period=world.q3)
        .order_by("partner_id")
        .values_list("partner_id", "score", "tier", "status", "rank")
    )
    assert first[0][1] == pytest.approx(88.2) and first[0][2] == "Gold"
    recompute_period.delay(world.q3.pk, "test").get(timeout=60)
    again = list(
        Scorecard.objects.filter(period=world.q3)
        .order_by("partner_id")
        .values_list("partner_id", "score", "tier", "status", "rank")
    )
    assert again == first
    assert RecomputeRun.objects.filter(period=world.q3, status="succeeded").count() == 2


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_beat_entry_enqueues_every_open_period(world, celery_worker):
    world.q2.status = "closed"
    world.q2.save()
    ids = recompute_open_periods.delay("schedule").get(timeout=60)
    assert ids == [world.q3.code]
    for _ in range(300):  # the worker runs the enqueued per-period task
        if RecomputeRun.objects.filter(
            period=world.q3, trigger="schedule", status="succeeded"
        ).exists():
            break
        time.sleep(0.1)
    run = RecomputeRun.objects.get(period=world.q3, trigger="schedule")
    assert run.status == "succeeded"
    assert not RecomputeRun.objects.filter(period=world.q2).exists()
