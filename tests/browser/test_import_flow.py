"""The import flow in a real browser (Playwright driving /usr/bin/chromium) against a live
server, with a real Celery worker checking and importing the file."""

import os
import shutil

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connections

from kpis.models import ImportJob, MetricValue
from partnerscore.celery import app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases="__all__"),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium"),
]


@pytest.fixture
def browser_page(live_server, monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(30_000)
        yield page
        # While Playwright's event loop runs, Django keys connections by context, not thread
        # (asgiref's Local): what the test opened here must be closed here, or it outlives the
        # test and keeps the test database from being dropped.
        connections.close_all()
        browser.close()


@pytest.fixture
def worker(transactional_db):
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield


def login(page, base, username, password):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_upload_check_confirm_and_history(world, worker, browser_page, live_server, tmp_path):
    world.manager.set_password("manager-pass-123")
    world.manager.save()
    page, base = browser_page, live_server.url
    login(page, base, "manager", "manager-pass-123")
    page.click("text=Imports")
    csv = tmp_path / "q3-values.csv"
    csv.write_text(
        "partner_code,kpi_code,observed_on,value\n"
        "ACME,revenue,2026-07-31,120000\nACME,nps,2026-08-01,35\n"
        "GLOBEX,revenue,2026-08-15,50000\n"
    )
    page.set_input_files("input[name=file]", str(csv))
    page.click("text=Upload and check")
    page.wait_for_selector("#confirm")  # the check ran on the worker
    assert "3 rows checked" in page.inner_text("main").replace("\n", " ")
    assert "Acme Corp" in page.inner_text("table.grid")
    assert MetricValue.objects.count() == 0
    page.screenshot(path=str(tmp_path / "preview.png"))
    page.click("#confirm")
    page.wait_for_selector("#result")
    assert "3 new or changed" in page.inner_text("#result")
    assert MetricValue.objects.count() == 3
    page.click("text=← Imports")
    history = page.inner_text("table.grid")
    assert "q3-values.csv" in history and "Imported" in history and "manager" in history


def test_bad_file_lists_every_error_in_the_browser(
    world, worker, browser_page, live_server, tmp_path
):
    world.manager.set_password("manager-pass-123")
    world.manager.save()
    page, base = browser_page, live_server.url
    login(page, base, "manager", "manager-pass-123")
    page.goto(f"{base}/imports/")
    csv = tmp_path / "bad.csv"
    csv.write_text(
        "partner_code,kpi_code,observed_on,value\n"
        "ACME,revenue,2026-07-31,=cmd|' /C calc'!A0\nNOPE,revenue,2026-07-31,1\n"
    )
    page.set_input_files("input[name=file]", str(csv))
    page.click("text=Upload and check")
    page.wait_for_selector("table.errors")
    text = page.inner_text("table.errors")
    assert "value \"=cmd|' /C calc'!A0\" is not a number" in text
    assert "unknown partner code 'NOPE'" in text
    assert ImportJob.objects.get().status == "invalid"
    assert MetricValue.objects.count() == 0


def test_partner_user_is_refused_the_import_page(world, browser_page, live_server):
    world.acme_user.set_password("acme-pass-123")
    world.acme_user.save()
    page, base = browser_page, live_server.url
    login(page, base, "acme", "acme-pass-123")
    assert page.url.endswith("/portal/")  # a partner user lands on their portal
    response = page.goto(f"{base}/imports/")
    assert response.status == 404
