"""Settings only read the environment; the entry points start the embedded servers."""

import json
import os
import subprocess
import sys

from partnerscore import embedded
from tests.helpers import ROOT


def test_settings_without_a_database_url_name_the_variable():
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["DJANGO_SETTINGS_MODULE"] = "partnerscore.settings"
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "DATABASE_URL is not set" in done.stderr


def test_handles_of_dead_processes_are_forgotten(tmp_path):
    """A hard-killed `make run` leaves its process ids in pgserver's handle list; the next
    start drops them, so the last live process stops the server on exit."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    handles = tmp_path / ".handle_pids.json"
    handles.write_text(json.dumps([dead.pid, os.getpid()]))
    embedded._forget_dead_handles(tmp_path)
    assert json.loads(handles.read_text()) == [os.getpid()]
