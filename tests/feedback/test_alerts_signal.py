"""The seam after a recompute: assessments sends `scorecards_recomputed` once its run has
committed (and only when it succeeded); feedback's receiver enqueues the alerts task with ids
only, after commit; the task raises the period's alerts."""

import pytest

from assessments.services import period_close, scorecards_recompute
from assessments.signals import scorecards_recomputed
from feedback.models import AlertKind
from partnerscore.celery import app
from tests.feedback.alerts_world import alerts_of, scored


@pytest.fixture
def sent():
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    scorecards_recomputed.connect(receiver, dispatch_uid="test-receiver")
    yield received
    scorecards_recomputed.disconnect(dispatch_uid="test-receiver")


@pytest.fixture
def eager():
    """Celery runs the task in the test (as CELERY_TASK_ALWAYS_EAGER would)."""
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def test_the_signal_is_sent_after_commit_with_ids(world, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = scorecards_recompute(period_id=world.q3.pk, trigger="test")
    assert sent == []  # not before the commit
    for callback in callbacks:
        callback()
    assert [(s["period_id"], s["partner_id"], s["run_id"]) for s in sent] == [
        (world.q3.pk, None, run.pk)
    ]


def test_no_signal_for_a_skipped_run(world, sent, django_capture_on_commit_callbacks):
    period_close(period=world.q3)
    with django_capture_on_commit_callbacks(execute=True):
        run = scorecards_recompute(period_id=world.q3.pk, trigger="test")
    assert run.status == "skipped" and sent == []


def test_a_recompute_raises_its_alerts_through_the_task(
    world, eager, django_capture_on_commit_callbacks
):
    scored(world, world.acme, world.q2, 85)
    scored(world, world.acme, world.q3, 70)
    with django_capture_on_commit_callbacks(execute=True):
        scorecards_recompute(period_id=world.q2.pk, trigger="test")
        scorecards_recompute(period_id=world.q3.pk, trigger="test")
    (drop,) = alerts_of(world.manager, AlertKind.TIER_DROP)
    assert drop.title == "Acme Corp dropped from Gold to Silver in 2026-Q3"
    raised = len(alerts_of(world.manager))
    with django_capture_on_commit_callbacks(execute=True):  # twice: nothing new
        scorecards_recompute(period_id=world.q3.pk, trigger="test")
    assert len(alerts_of(world.manager)) == raised


def test_a_partner_recompute_raises_that_partners_alerts(
    world, eager, django_capture_on_commit_callbacks
):
    from assessments.services import scorecard_recompute_partner

    for partner in (world.acme, world.globex):
        scored(world, partner, world.q2, 85)
        scored(world, partner, world.q3, 85)
    scorecards_recompute(period_id=world.q2.pk, trigger="test")
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    scored(world, world.globex, world.q3, 50)
    scored(world, world.acme, world.q3, 50)  # changed too, but not recomputed
    with django_capture_on_commit_callbacks(execute=True):
        scorecard_recompute_partner(
            period_id=world.q3.pk, partner_id=world.globex.pk, trigger="test"
        )
    drops = alerts_of(world.manager, AlertKind.TIER_DROP)
    assert [a.partner for a in drops] == [world.globex]
