"""A recompute killed with SIGKILL in the middle of its write leaves the previous scorecards
intact and visible; the next run completes."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from django.db import connection

from assessments.models import RecomputeRun, Scorecard
from assessments.services import scorecards_recompute
from kpis.models import MetricValue

ROOT = Path(__file__).resolve().parents[2]

# Runs the real service in another process, but stalls it inside its write transaction
# (after the scorecards are replaced, before the lines are swapped in) so it can be killed.
STALLED_RECOMPUTE = textwrap.dedent("""
    import sys, time, django
    django.setup()
    from assessments import services
    original = services._swap_line_partition
    def stalled(period_id, lines):
        print("writing", flush=True)
        time.sleep(120)
        original(period_id, lines)
    services._swap_line_partition = stalled
    services.scorecards_recompute(period_id=int(sys.argv[1]), trigger="doomed")
""")


def database_url() -> str:
    s = connection.settings_dict
    host = s["HOST"] or "localhost"
    if host.startswith("/"):
        return f"postgresql://{s['USER']}:{s['PASSWORD']}@/{s['NAME']}?host={host}"
    return f"postgresql://{s['USER']}:{s['PASSWORD']}@{host}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_sigkilled_recompute_leaves_old_scorecards_and_next_run_completes(world):
    MetricValue.objects.create(
        partner=world.acme, kpi=world.revenue, observed_on="2026-08-01", value=120000
    )
    scorecards_recompute(period_id=world.q3.pk, trigger="first")
    before = Scorecard.objects.get(period=world.q3, partner=world.acme).score
    MetricValue.objects.filter(partner=world.acme).update(value=10)

    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "partnerscore.settings",
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", STALLED_RECOMPUTE, str(world.q3.pk)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "writing"
        # mid-write: readers still see the old scorecards
        assert Scorecard.objects.get(period=world.q3, partner=world.acme).score == before
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    time.sleep(0.5)  # the server notices the dropped connection and rolls back
    assert Scorecard.objects.get(period=world.q3, partner=world.acme).score == before
    assert RecomputeRun.objects.get(trigger="doomed").status == "running"

    run = scorecards_recompute(period_id=world.q3.pk, trigger="next")  # waits for no one
    assert run.status == "succeeded"
    assert RecomputeRun.objects.get(trigger="doomed").status == "failed"
    assert Scorecard.objects.get(period=world.q3, partner=world.acme).score == pytest.approx(
        100 * 10 / 100000 * 40 / 40
    )
