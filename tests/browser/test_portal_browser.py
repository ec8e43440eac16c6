"""The partner portal in a real browser, as ACME's user: the home page (standing, progress,
what it takes, KPIs with peer strips, score history) and the method page at 1280x800, and the
home page on a phone (390x844) with the progress bar and the KPI list inside the screen.
Screenshots go to SHOTS for a person to look at."""

import os
from pathlib import Path

import pytest
from django.db import connections

from tests.browser import test_scorecard_browser as scorecard_browser
from tests.browser.test_import_flow import login, pytestmark  # noqa: F401

# the fixtures shared with the scorecard's browser test: six more resellers, a browser page
scored, peers = scorecard_browser.scored, scorecard_browser.peers
recording_page, charts_drawn = scorecard_browser.recording_page, scorecard_browser.charts_drawn

SHOTS = Path(os.environ.get("PORTAL_SHOTS", "/tmp/shots-portal"))
NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def browser_page(recording_page):
    yield recording_page
    connections.close_all()  # see tests/browser/test_scorecard_browser.py


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_portal_home_and_method_page_on_a_desktop(peers, browser_page, live_server):
    page, base = browser_page, live_server.url
    login(page, base, "acme", "acme-pass-123")
    page.wait_for_url(f"{base}/portal/")  # a partner user lands on the portal
    page.goto(f"{base}/portal/?period=2026-Q3")
    charts_drawn(page)
    assert " of 8 resellers" in page.inner_text("#standing")
    assert "points to Platinum" in page.inner_text("#progress")
    assert page.locator(".progress-fill").bounding_box()["width"] > 0
    assert page.locator("svg.bullet").count() == 3
    assert page.locator("svg.strip").count() == 3  # 8 resellers have a value of each KPI
    assert "Reseller 0" not in page.content() and "GLOBEX" not in page.content()
    shot(page, "portal-home-1280")

    page.click("text=How you are scored")
    page.wait_for_url(f"{base}/portal/method/")
    assert "From a score of" in page.inner_text("main")
    shot(page, "portal-method-1280")
    assert page.problems == []


def test_portal_home_fits_a_phone(peers, browser_page, live_server):
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, base, "acme", "acme-pass-123")
    page.goto(f"{base}/portal/?period=2026-Q3")
    charts_drawn(page)
    assert page.evaluate(NO_SIDEWAYS)
    for selector in (".progress-track", ".kpi-list", "svg.bullet >> nth=0", "svg.strip >> nth=0"):
        box = page.locator(selector).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, selector
    shot(page, "portal-home-390")
    page.goto(f"{base}/portal/method/")
    assert page.evaluate(NO_SIDEWAYS)
    table = page.locator("table.method-lines").bounding_box()
    assert table and table["x"] + table["width"] <= 390  # no scrolling inside the table either
    shot(page, "portal-method-390")
    assert page.problems == []
