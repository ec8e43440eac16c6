"""Scale-out benchmark: every period recomputed by 1 Celery worker process, then by 2.

    .venv/bin/python bench/scaleout.py [--partners 10000 --kpis 30 --periods 8 --repeat 2]

Builds the recompute benchmark's world (bench/recompute.py) in a fresh database
(`partnerscore_scaleout`), starts a real Celery worker (prefork, on a queue of its own) with
--concurrency 1, enqueues one recompute per period and times until all have finished; then
the same with --concurrency 2, in the same run. The last line is
`scaleout_2_workers_speedup=<1-worker seconds / 2-worker seconds>` (medians over --repeat).
"""

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time

from common import ROOT, fresh_database  # bench/common.py also puts the project on sys.path
from recompute import build_world

BENCH_DB = "partnerscore_scaleout"


def start_worker(queue: str, concurrency: int) -> subprocess.Popen:
    args = [sys.executable, "-m", "celery", "-A", "partnerscore", "worker", "-Q", queue]
    args += ["-n", f"{queue}@{socket.gethostname()}"]
    args += ["--concurrency", str(concurrency), "--pool", "prefork", "--loglevel", "WARNING"]
    return subprocess.Popen(args, cwd=ROOT, env=dict(os.environ), start_new_session=True)


def timed_round(quarters: list, concurrency: int, label: str) -> float:
    """Seconds from enqueueing every period until all of them have finished."""
    from assessments.models import RecomputeRun, RunStatus
    from assessments.tasks import recompute_period

    queue = f"scaleout-{os.getpid()}-{concurrency}"
    worker = start_worker(queue, concurrency)
    try:
        name = f"{queue}@{socket.gethostname()}"
        while not recompute_period.app.control.ping(destination=[name], timeout=1):
            pass
        time.sleep(1)  # its pool processes are up
        started = time.perf_counter()
        results = [recompute_period.apply_async((p.pk, label), queue=queue) for p in quarters]
        for result in results:
            result.get(timeout=900)
        seconds = time.perf_counter() - started
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    failed = RecomputeRun.objects.filter(trigger=label).exclude(status=RunStatus.SUCCEEDED)
    if failed.exists():
        raise SystemExit(f"{failed.count()} failed run(s) with {concurrency} worker(s)")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--kpis", type=int, default=30)
    parser.add_argument("--periods", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    fresh_database(BENCH_DB)
    import django

    django.setup()
    from django.core.management import call_command

    from assessments.services import scorecards_recompute

    call_command("migrate", verbosity=0)
    quarters = build_world(args.partners, args.kpis, args.periods, args.seed)
    for period in quarters:  # warm: partitions exist, previous scorecards are there
        scorecards_recompute(period_id=period.pk, trigger="warm-up")
    one, two = [], []
    for attempt in range(args.repeat):
        one.append(timed_round(quarters, 1, f"one-{attempt}"))
        two.append(timed_round(quarters, 2, f"two-{attempt}"))
        print(f"run {attempt + 1}: 1 worker {one[-1]:.2f} s, 2 workers {two[-1]:.2f} s", flush=True)
    print(f"partners={args.partners} kpis={args.kpis} periods={args.periods} repeat={args.repeat}")
    print(f"one_worker_seconds={statistics.median(one):.2f}")
    print(f"two_workers_seconds={statistics.median(two):.2f}")
    print(f"scaleout_2_workers_speedup={statistics.median(one) / statistics.median(two):.2f}")


if __name__ == "__main__":
    main()
