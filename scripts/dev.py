"""`make run`: one process that brings up everything on this machine and stops it on Ctrl-C.

Without DATABASE_URL / REDIS_URL it starts the embedded PostgreSQL and Redis (data under var/).
Then: collect the static files (fingerprinted and compressed, as in production) when they
changed, migrate, create the beat schedule, seed demo data when there are no partners (which
computes the scorecards and closes all quarters but the latest), and run the web server plus
one Celery worker with beat."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerscore.settings")
os.environ.setdefault("DEBUG", "true")

EMBEDDED_REDIS = not os.environ.get("REDIS_URL")
PORT = os.environ.get("PORT", "8000")
DEMO_PARTNERS = os.environ.get("DEMO_PARTNERS", "300")
PYTHON = sys.executable


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], check=True)


def main() -> int:
    import django

    from partnerscore import embedded

    embedded.ensure_services()  # exports DATABASE_URL / REDIS_URL to the children
    django.setup()
    from partners.models import Partner
    from partnerscore.staticfiles import collection_stale

    if collection_stale():
        print("Collecting static files (compressed, fingerprinted)...", flush=True)
        manage("collectstatic", "--no-input", "--clear", "-v", "0")
    manage("migrate", "--no-input", "-v", "0")
    manage("setup_schedule")
    if not Partner.objects.exists():
        # scores every quarter, then closes all but the latest (frozen history)
        manage("seed_demo", "--partners", DEMO_PARTNERS, "--periods", "8")
    children = [
        subprocess.Popen([PYTHON, "manage.py", "runserver", f"127.0.0.1:{PORT}", "--noreload"]),
        subprocess.Popen(
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "partnerscore",
                "worker",
                "-B",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
                "--scheduler",
                "django_celery_beat.schedulers:DatabaseScheduler",
            ]
        ),
    ]
    print(
        f"\npartnerscore is running at http://127.0.0.1:{PORT}/  (Ctrl-C stops everything)\n"
        "  demo logins: admin / admin (admin), manager / manager (channel manager),\n"
        "               partner / partner and partner2 / partner2 (two partners' portal users)\n",
        flush=True,
    )
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping and all(child.poll() is None for child in children):
        time.sleep(0.3)
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
    if EMBEDDED_REDIS:
        from partnerscore import embedded

        embedded.redis_stop()
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())
