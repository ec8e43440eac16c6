"""Nothing lost in the queue: a changed input marks its period in PostgreSQL, in the change's
transaction; the recompute that covers it deletes the mark; the sweep recomputes what is left."""

import datetime as dt
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import transaction

from assessments import services, tasks
from assessments.models import RecomputeRun, Scorecard
from assessments.services import scorecard_recompute_partner, scorecards_recompute
from kpis.imports import metric_values_upsert
from kpis.models import RecomputeMark
from kpis.recompute import request_recompute
from partnerscore.celery import app
from tests.helpers import forget_pending_recomputes

AUG = dt.date(2026, 8, 1)


def marks() -> set[tuple[int, int | None]]:
    return set(RecomputeMark.objects.values_list("period_id", "partner_id"))


def test_a_change_marks_its_open_period_and_a_full_run_clears_every_mark(world):
    with transaction.atomic():
        request_recompute(period_ids=[world.q3.pk], reason="import")
        request_recompute(period_ids=[world.q3.pk], partner_id=world.acme.pk, reason="edit")
    assert marks() == {(world.q3.pk, None), (world.q3.pk, world.acme.pk)}
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    assert marks() == set()


def test_closed_periods_are_never_marked(world):
    world.q2.status = "closed"
    world.q2.save()
    request_recompute(period_ids=[world.q2.pk, world.q3.pk], reason="import")
    assert marks() == {(world.q3.pk, None)}


def test_a_partner_run_clears_only_its_partners_mark(world):
    request_recompute(period_ids=[world.q3.pk], partner_id=world.acme.pk, reason="edit")
    request_recompute(period_ids=[world.q3.pk], partner_id=world.globex.pk, reason="edit")
    scorecard_recompute_partner(period_id=world.q3.pk, partner_id=world.acme.pk, trigger="t")
    assert marks() == {(world.q3.pk, world.globex.pk)}


def test_a_change_during_the_run_keeps_its_mark(world, monkeypatch):
    request_recompute(period_ids=[world.q3.pk], reason="import")
    read_inputs = services.recompute_inputs

    def inputs_then_a_new_change(**kwargs):
        inputs = read_inputs(**kwargs)
        request_recompute(period_ids=[world.q3.pk], reason="arrived mid-run")
        return inputs

    monkeypatch.setattr(services, "recompute_inputs", inputs_then_a_new_change)
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    mark = RecomputeMark.objects.get()
    assert (mark.period_id, mark.seq, mark.reason) == (world.q3.pk, 2, "arrived mid-run")


def test_the_sweep_sends_period_marks_whole_and_lone_partner_marks_alone(world, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks, "enqueue_period", lambda **kw: sent.append(("period", kw)))
    monkeypatch.setattr(tasks, "enqueue_partner", lambda **kw: sent.append(("partner", kw)))
    request_recompute(period_ids=[world.q3.pk], reason="import")
    request_recompute(period_ids=[world.q3.pk], partner_id=world.acme.pk, reason="edit")
    request_recompute(period_ids=[world.q2.pk], partner_id=world.globex.pk, reason="edit")
    assert tasks.recompute_marked(min_age_seconds=3600) == []  # younger marks: queued already
    tasks.recompute_marked(min_age_seconds=0)
    assert sorted((kind, kw["period_id"], kw.get("partner_id")) for kind, kw in sent) == [
        ("partner", world.q2.pk, world.globex.pk),
        ("period", world.q3.pk, None),
    ]


@pytest.fixture
def worker(transactional_db):
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as w:
        yield w


def wait_for(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_dropped_queue_message_is_recomputed_by_the_next_sweep(world):
    forget_pending_recomputes()
    app.control.purge()
    metric_values_upsert(
        [{"partner": "ACME", "kpi": "revenue", "observed_on": "2026-08-01", "value": 120000}]
    )
    assert marks() == {(world.q3.pk, None)}
    assert app.control.purge() >= 1  # the message is lost: purged before any worker saw it
    forget_pending_recomputes()  # its de-duplication key expires (after one sweep interval)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        assert not Scorecard.objects.filter(period=world.q3).exists()
        tasks.recompute_marked.delay(min_age_seconds=0).get(timeout=30)
        assert wait_for(lambda: not RecomputeMark.objects.exists())
    run = RecomputeRun.objects.get(period=world.q3)
    assert (run.trigger, run.status) == ("sweep", "succeeded")
    card = Scorecard.objects.get(period=world.q3, partner=world.acme)
    assert card.score == pytest.approx(108.0)  # revenue alone: 100 + 20 * (120k - 100k) / 50k


def test_a_period_after_one_without_any_data_recomputes(world):
    """The previous period's scorecards all have no score and no tier (found by the browser
    test: the trend compared a float with None)."""
    scorecards_recompute(period_id=world.q2.pk, trigger="empty")
    assert set(Scorecard.objects.filter(period=world.q2).values_list("status", flat=True)) == {
        "no_data"
    }
    metric_values_upsert(
        [{"partner": "ACME", "kpi": "revenue", "observed_on": "2026-08-01", "value": 120000}]
    )
    run = scorecards_recompute(period_id=world.q3.pk, trigger="after empty")
    assert run.status == "succeeded"
    card = Scorecard.objects.get(period=world.q3, partner=world.acme)
    assert (card.previous_tier, card.trend) == ("", None)
