"""Charts draw under the Content-Security-Policy (no inline script, no eval) in a real browser."""

import datetime as dt

import pytest

from assessments.services import scorecards_recompute
from kpis.models import MetricValue
from tests.browser.test_import_flow import CHROMIUM, login, pytestmark  # noqa: F401

AUG = dt.date(2026, 8, 1)


@pytest.fixture
def browser_page(live_server, monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(30_000)
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.problems = problems
        yield page
        browser.close()


def test_portfolio_and_scorecard_charts_draw_without_csp_violations(
    world, browser_page, live_server
):
    for kpi, value in [(world.revenue, 120000), (world.nps, 35), (world.late, 8)]:
        MetricValue.objects.create(partner=world.acme, kpi=kpi, observed_on=AUG, value=value)
    scorecards_recompute(period_id=world.q2.pk, trigger="test")
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    page = browser_page
    login(page, live_server.url, "manager", "manager-pass-123")
    for path in ("/portfolio/", "/partners/ACME/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_selector(".plotly-chart .main-svg")
        drawn = page.locator(".plotly-chart .main-svg").count()
        charts = page.locator(".plotly-chart").count()
        assert charts >= 2 and drawn >= charts, path
    page.select_option("select[name=period]", "2026-Q2")  # submits on change (app.js)
    page.wait_for_url("**period=2026-Q2**")
    page.goto(f"{live_server.url}/api/docs/")  # Swagger UI: its script is a file too
    page.wait_for_selector(".swagger-ui .information-container")
    assert page.problems == []
