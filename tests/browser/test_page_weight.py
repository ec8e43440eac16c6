"""Page weight as a browser sees it, with the static files served as in run and production:
collected (fingerprinted, compressed) into a temporary STATIC_ROOT and served by WhiteNoise in
a gunicorn subprocess on the test database (pytest-django's live server serves static files
from the source folders, not through WhiteNoise)."""

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.conf import settings

from assessments.services import scorecards_recompute
from kpis.models import MetricValue
from tests.browser.test_import_flow import ARGS, CHROMIUM
from tests.helpers import ROOT, database_url

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,  # a collectstatic (compressing every file) and a server subprocess
    pytest.mark.django_db(transaction=True, databases="__all__"),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium"),
]
FIRST_LOAD_LIMIT = 1500 * 1024
ONE_YEAR = 31_536_000


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """STATIC_ROOT after collectstatic (the admin's and the API docs' files left out: the
    portfolio does not use them, and compressing them takes most of the time)."""
    root = tmp_path_factory.mktemp("static")
    env = {**os.environ, "STATIC_FILES": "collected", "STATIC_ROOT": str(root)}
    command = [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"]
    command += ["-i", "admin", "-i", "rest_framework", "-i", "drf_spectacular_sidecar"]
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    return root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(collected, tmp_path, transactional_db):
    """(base URL, access log path) of gunicorn serving the app on the test database."""
    port, log = free_port(), tmp_path / "access.log"
    env = {
        **os.environ,
        "STATIC_FILES": "collected",
        "STATIC_ROOT": str(collected),
        "DEBUG": "false",
        "DATABASE_URL": database_url(),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    command = [sys.executable, "-m", "gunicorn", "partnerscore.wsgi", "-b", f"127.0.0.1:{port}"]
    command += ["-w", "1", "--threads", "4", "--access-logfile", str(log)]
    errors = open(tmp_path / "server.log", "w+")  # noqa: SIM115
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=errors, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{base}/login/", timeout=2)
                break
            time.sleep(0.3)
        else:
            errors.seek(0)
            pytest.fail(f"gunicorn did not answer at {base}:\n{errors.read()[-3000:]}")
        yield base, log
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        errors.close()


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def manager_session(world) -> str:
    """A scored portfolio and a manager's session key, made before the browser starts (the
    test's database connection stays in this thread's context, closed at teardown)."""
    from django.test import Client

    for kpi, value in [(world.revenue, 120000), (world.nps, 35), (world.late, 8)]:
        MetricValue.objects.create(
            partner=world.acme, kpi=kpi, observed_on=world.q3.end, value=value
        )
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    client = Client()
    client.force_login(world.manager)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_portfolio_first_load_is_compressed_small_and_cached_for_repeat_visits(
    manager_session, server, browser
):
    base, access_log = server
    # a new context: its own, empty cache; signed in without loading the sign-in page
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    cookie = {"name": settings.SESSION_COOKIE_NAME, "value": manager_session, "url": base}
    context.add_cookies([cookie])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))

    page.goto(f"{base}/portfolio/")
    page.wait_for_selector(".plotly-chart .main-svg")
    page.wait_for_load_state("networkidle")
    assert problems == []
    transferred = sum(
        r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"] for r in finished
    )
    assert transferred <= FIRST_LOAD_LIMIT, f"first load {transferred / 1024:.0f} kB"
    assets = [r for r in finished if r.resource_type in ("script", "stylesheet")]
    names = {re.sub(r"\.[0-9a-f]{12}\.", ".", r.url.rsplit("/", 1)[1]) for r in assets}
    assert {"plotly-cartesian.min.js", "charts.js", "app.js", "app.css"} <= names
    for request in assets:
        headers = request.response().all_headers()
        assert re.search(r"\.[0-9a-f]{12}\.(js|css)$", request.url), request.url  # fingerprinted
        assert headers.get("content-encoding") in ("br", "gzip"), request.url
        cache = headers["cache-control"]
        max_age = int(re.search(r"max-age=(\d+)", cache).group(1))
        assert "immutable" in cache and max_age >= ONE_YEAR, (request.url, cache)
    plotly = next(r for r in assets if "plotly-cartesian" in r.url)
    assert plotly.sizes()["responseBodySize"] < 600 * 1024  # 1.5 MB, compressed

    served_before = len(access_log.read_text().splitlines())
    finished.clear()
    page.goto(f"{base}/portfolio/")  # a repeat visit: only the page itself from the server
    page.wait_for_selector(".plotly-chart .main-svg")
    page.wait_for_load_state("networkidle")
    repeat = access_log.read_text().splitlines()[served_before:]
    assert any('"GET /portfolio/ ' in line for line in repeat), repeat
    assert not [line for line in repeat if "/static/" in line]
    assert problems == []
    context.close()
