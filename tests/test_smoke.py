"""The README's first command really starts: boot `make run`, GET the login page, stop it."""

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def on_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def recreate_database(url: str, name: str, *, create: bool) -> None:
    """Drop (and create) a database on DATABASE_URL's server, connected to the server's
    maintenance database: DATABASE_URL's own database need not exist (the tests run in
    test_<name>)."""
    admin = psycopg2.connect(on_database(url, "postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if create:
            cursor.execute(f"CREATE DATABASE {name}")
    admin.close()


@pytest.fixture
def smoke_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(PORT=str(free_port()), DEMO_PARTNERS="25", PARTNERSCORE_VAR_DIR=str(tmp_path))
    url = os.environ.get("DATABASE_URL")
    # Named after DATABASE_URL's database, so runs against other databases on a shared server
    # do not drop each other's.
    name = f"{urlsplit(url).path.lstrip('/')}_smoke" if url else None
    if url:
        recreate_database(url, name, create=True)
        env["DATABASE_URL"] = on_database(url, name)
    if os.environ.get("REDIS_URL", "").startswith("redis://"):
        env["REDIS_URL"] = os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/14"
    yield env
    if url:
        recreate_database(url, name, create=False)


def test_make_run_serves_the_login_page_and_stops_on_ctrl_c(smoke_env):
    log = open(Path(smoke_env["PARTNERSCORE_VAR_DIR"]) / "run.log", "w+")  # noqa: SIM115
    proc = subprocess.Popen(
        ["make", "run"],
        cwd=ROOT,
        env=smoke_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{smoke_env['PORT']}/login/"
    try:
        body = None
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        log.seek(0)
        output = log.read()
        assert body is not None, f"the app did not answer at {url}:\n{output[-3000:]}"
        assert "Log in" in body
        assert "demo logins: admin / admin" in output
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=3)
