"""The partner pages in a real browser: the scorecard draws its charts without console errors,
its explain links and the compare page work, and at 390 px the headline and each line's score
and status fit without sideways scrolling. Screenshots go to SHOTS for a person to look at."""

import os
from pathlib import Path

import pytest
from django.db import connections

from assessments.services import scorecards_recompute
from partners.models import Partner
from tests.assessments import test_scorecard_page as pages
from tests.browser import test_charts_csp
from tests.browser.test_import_flow import login, pytestmark  # noqa: F401

# the fixtures shared with those modules: the scored world, a page that records console errors
scored = pages.scored
recording_page = test_charts_csp.browser_page
Q2, Q3, values = pages.Q2, pages.Q3, pages.values

SHOTS = Path(os.environ.get("SCORECARD_SHOTS", "/tmp/shots-scorecard"))


@pytest.fixture
def browser_page(recording_page):
    yield recording_page
    # While Playwright's loop runs, connections are keyed by context: close what the test
    # opened here, or it keeps the test database from being dropped (test_import_flow.py).
    connections.close_all()


@pytest.fixture
def peers(scored):
    """Six more resellers, so the peer median and the neighbours are worth drawing."""
    for i in range(6):
        partner = Partner.objects.create(  # the manager's: named as neighbours
            code=f"R{i}", name=f"Reseller {i}", partner_type=scored.reseller, manager=scored.manager
        )
        values(scored, partner, Q2, revenue=30000 + 15000 * i, nps=20 + 5 * i, late=18 - 2 * i)
        values(scored, partner, Q3, revenue=40000 + 16000 * i, nps=25 + 4 * i, late=16 - 2 * i)
    for period in (scored.q2, scored.q3):
        scorecards_recompute(period_id=period.pk, trigger="test")
    return scored


def charts_drawn(page) -> None:
    page.wait_for_selector(".plotly-chart .main-svg")
    charts = page.locator(".plotly-chart").count()
    page.wait_for_function(
        "n => document.querySelectorAll('.plotly-chart .main-svg').length >= n", arg=charts
    )
    assert charts >= 1


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_scorecard_explain_and_compare_in_a_browser(peers, browser_page, live_server):
    page, base = browser_page, live_server.url
    login(page, base, "manager", "manager-pass-123")
    page.goto(f"{base}/partners/ACME/?period=2026-Q3")
    charts_drawn(page)
    assert page.locator(".plotly-chart .main-svg").count() >= 2
    assert page.locator("svg.bullet").count() == 3
    main = page.inner_text("main")
    assert "What it takes" in main and "at most 4.333" in main
    shot(page, "scorecard-1280")

    page.click("table.kpi-lines a[href*='/explain/revenue/']")
    page.wait_for_url("**/partners/ACME/explain/revenue/?period=2026-Q3")
    charts_drawn(page)
    assert "40 × 108.0 / 100 = 43.2 points" in page.inner_text("#contribution")
    shot(page, "explain-1280")

    page.goto(f"{base}/partners/ACME/?period=2026-Q3")
    page.click("text=Compare with neighbours")
    page.wait_for_url("**/compare/?partners=ACME**")
    table = page.inner_text("table.compare")
    assert "Acme Corp" in table and "88.2" in table
    # the label column, ACME and the partners ranked just above and below it
    assert page.locator("table.compare thead th").count() == 4
    shot(page, "compare-1280")

    page.fill("form.compare-form input[name=partners] >> nth=0", "NOPE")
    page.click("form.compare-form button")
    assert "Unknown partner code: NOPE." in page.inner_text("[role=alert]")
    assert page.problems == [] or all("400" in p for p in page.problems), page.problems


def test_scorecard_fits_a_phone(peers, browser_page, live_server):
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, base, "acme", "acme-pass-123")
    page.goto(f"{base}/partners/ACME/?period=2026-Q3")
    charts_drawn(page)
    no_sideways = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(no_sideways)
    for selector in (".headline .big", ".headline .tier", ".headline .status"):
        box = page.locator(selector).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, selector
    first = page.locator("table.kpi-lines tbody tr").first
    for cell in (2, 3):  # score and status of a line, visible without scrolling the table
        box = first.locator(f"td:nth-child({cell})").bounding_box()
        assert box and box["x"] + box["width"] <= 390, cell
    shot(page, "scorecard-390")
    page.goto(f"{base}/partners/ACME/explain/late_deliveries/?period=2026-Q3")
    charts_drawn(page)
    assert page.evaluate(no_sideways)
    shot(page, "explain-390")
    assert page.problems == []
