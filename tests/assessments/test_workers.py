"""Real Celery worker processes on the real broker and database: periods recompute in parallel
without deadlocks, and a recompute whose worker is killed mid-task still finishes."""

import os
import signal
import subprocess
import sys
import time

import psutil
import psycopg2
import pytest
from django.core.management import call_command

from assessments.models import RecomputeRun, RunStatus
from assessments.tasks import recompute_period
from kpis.models import Period
from kpis.recompute import request_recompute
from partnerscore.celery import app
from tests.helpers import ROOT, database_url, forget_pending_recomputes

pytestmark = pytest.mark.slow


def start_worker(queue: str, *, concurrency: int, beat: bool = False, env=None):
    """A worker process of our own (killed only by the pid we get here)."""
    args = [sys.executable, "-m", "celery", "-A", "partnerscore", "worker", "-Q", queue]
    args += ["--concurrency", str(concurrency), "--pool", "prefork", "--loglevel", "WARNING"]
    if beat:
        args += ["-B", "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"]
    env = {**os.environ, "DATABASE_URL": database_url(), **(env or {})}
    return subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)  # the worker's own session: it and its children
        proc.wait(timeout=30)


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def demo_world(transactional_db):
    call_command("seed_demo", partners=400, periods=8, seed=7, no_scorecards=True, verbosity=0)
    forget_pending_recomputes()
    return list(Period.objects.order_by("start"))


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_two_workers_recompute_every_period_at_once_without_a_failed_run(demo_world):
    queue = f"parallel-{os.getpid()}"
    worker = start_worker(queue, concurrency=2)
    try:
        results = [
            recompute_period.apply_async((p.pk, f"parallel {i}"), queue=queue)
            for i in range(3)
            for p in demo_world
        ]
        for result in results:
            result.get(timeout=300, propagate=False)
    finally:
        stop(worker)
    runs = RecomputeRun.objects.filter(trigger__startswith="parallel")
    failed = list(runs.exclude(status=RunStatus.SUCCEEDED).values_list("error", flat=True))
    assert failed == []
    assert runs.filter(status=RunStatus.SUCCEEDED).count() == 3 * len(demo_world)


def _pool_child(worker: subprocess.Popen) -> psutil.Process | None:
    children = psutil.Process(worker.pid).children()
    return children[0] if children else None


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_recompute_whose_pool_process_is_killed_is_run_again(demo_world):
    period = demo_world[-1]
    queue = f"killed-{os.getpid()}"
    worker = start_worker(queue, concurrency=1)
    blocker = psycopg2.connect(database_url())  # holds the recompute mid-task
    try:
        with blocker.cursor() as cursor:
            cursor.execute("BEGIN; LOCK TABLE assessments_scorecard IN ACCESS EXCLUSIVE MODE")
        recompute_period.apply_async((period.pk, "doomed"), queue=queue)
        assert wait_for(lambda: RecomputeRun.objects.filter(trigger="doomed").exists(), seconds=60)
        child = _pool_child(worker)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        blocker.rollback()  # let the redelivered task through
        assert wait_for(
            lambda: RecomputeRun.objects.filter(
                trigger="doomed", status=RunStatus.SUCCEEDED
            ).exists(),
            seconds=120,
        ), list(RecomputeRun.objects.values_list("trigger", "status", "error"))
    finally:
        blocker.close()
        stop(worker)
    statuses = sorted(
        RecomputeRun.objects.filter(trigger="doomed").values_list("status", flat=True)
    )
    assert statuses == ["failed", "succeeded"]  # the killed run is marked interrupted


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_recompute_whose_whole_worker_is_killed_is_finished_by_the_sweep(demo_world):
    period = demo_world[-1]
    queue = "celery"  # beat sends the sweep to the default queue
    app.control.purge()
    env = {"RECOMPUTE_SWEEP_SECONDS": "5"}
    worker = start_worker(queue, concurrency=1, env=env)
    blocker = psycopg2.connect(database_url())
    try:
        with blocker.cursor() as cursor:
            cursor.execute("BEGIN; LOCK TABLE assessments_scorecard IN ACCESS EXCLUSIVE MODE")
        request_recompute(period_ids=[period.pk], reason="a change")  # autocommit: sent now
        assert wait_for(
            lambda: RecomputeRun.objects.filter(trigger="a change").exists(), seconds=60
        )
        stop(worker)  # the whole worker, mid-task; its message stays unacknowledged
        blocker.rollback()
        call_command("setup_schedule", stdout=open(os.devnull, "w"))  # noqa: SIM115
        worker = start_worker(queue, concurrency=1, beat=True, env=env)
        assert wait_for(
            lambda: RecomputeRun.objects.filter(period=period, status=RunStatus.SUCCEEDED).exists(),
            seconds=120,
        ), list(RecomputeRun.objects.values_list("trigger", "status", "error"))
    finally:
        blocker.close()
        stop(worker)
    assert RecomputeRun.objects.get(trigger="a change").status == RunStatus.FAILED
    assert RecomputeRun.objects.filter(
        period=period, status=RunStatus.SUCCEEDED, trigger="sweep"
    ).exists()
