"""The model editor in a real browser: an admin opens a new draft from the Configuration nav,
changes a weight and sees the total and shares update live, sees the message for a bad floor,
saves, reads the what-if summary on the publish page and publishes with a reason; the pages
at a phone's width do not overflow. Screenshots in /tmp/shots-editor/."""

from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connections
from playwright.sync_api import expect

from kpis.models import RecomputeMark, ScoringModelVersion
from tests.assessments.test_portfolio import portfolio  # noqa: F401 (fixture)
from tests.browser.test_charts_csp import browser_page  # noqa: F401 (fixture)
from tests.browser.test_import_flow import login, pytestmark  # noqa: F401

SHOTS = Path("/tmp/shots-editor")


@pytest.fixture
def page(browser_page):  # noqa: F811
    SHOTS.mkdir(exist_ok=True)
    yield browser_page
    connections.close_all()


def no_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def line_row(page, kpi: str):
    """The lines table row whose KPI select shows `kpi`."""
    for row in page.locator("table.lines tbody tr").all():
        if row.locator("select").input_value() == kpi:
            return row
    raise AssertionError(f"no line for {kpi}")


def test_admin_edits_a_draft_live_and_publishes_it_after_the_preview(
    page,
    live_server,
    portfolio,  # noqa: F811
):
    world = portfolio
    cache.clear()
    login(page, live_server.url, "admin", "admin-pass-123")
    page.get_by_role("link", name="Configuration").click()
    page.wait_for_url("**/config/models/")
    assert no_overflow(page)
    page.screenshot(path=str(SHOTS / "models-1280.png"), full_page=True)
    page.locator("tr", has_text="Reseller").get_by_role("button", name="New draft").click()
    page.wait_for_url("**/versions/*/")
    draft = ScoringModelVersion.objects.get(model=world.version.model, status="draft")
    assert page.locator("#weight-total").inner_text() == "100"

    revenue = line_row(page, "revenue")
    assert revenue.locator(".share").inner_text() == "40.0%"
    revenue.locator("input[name$=-weight]").fill("60")
    expect(page.locator("#weight-total")).to_have_text("120")  # no page load: live
    expect(revenue.locator(".share")).to_have_text("50.0%")
    expect(line_row(page, "nps").locator(".share")).to_have_text("25.0%")  # 30 of 120

    nps_floor = line_row(page, "nps").locator("input[name$=-floor]")
    nps_floor.fill("60")
    error = page.get_by_text("Floor (60) must be below the target (50).")
    error.wait_for()
    assert nps_floor.get_attribute("aria-invalid") == "true"
    expect(page.locator("#live-state")).to_have_text("1 problem to fix")
    page.screenshot(path=str(SHOTS / "draft-error-1280.png"), full_page=True)
    assert draft.lines.get(kpi__code="nps").floor == 0  # checked, not saved
    nps_floor.fill("0")
    expect(error).to_be_hidden()
    expect(nps_floor).not_to_have_attribute("aria-invalid", "true")

    page.get_by_role("button", name="Save draft").click()
    page.get_by_text(f"Draft v{draft.number} saved.").wait_for()
    assert draft.lines.get(kpi__code="revenue").weight == 60

    page.get_by_role("link", name="Publish…").click()
    page.wait_for_url("**/publish/")
    summary = page.locator("#publish-summary")
    assert "partners scored" in summary.inner_text()
    assert "On 2026-Q3, the latest open period" in page.locator("main").inner_text()
    page.screenshot(path=str(SHOTS / "publish-1280.png"), full_page=True)
    page.get_by_role("button", name=f"Publish v{draft.number}").click()
    # the reason is required: the browser holds the form back (the server refuses it too)
    assert page.locator("textarea[name=reason]:invalid").count() == 1
    assert page.url.endswith("/publish/")
    assert ScoringModelVersion.objects.get(pk=draft.pk).status == "draft"
    page.fill("textarea[name=reason]", "FY27: revenue weighs more")
    page.get_by_role("button", name=f"Publish v{draft.number}").click()
    page.get_by_text("published (FY27: revenue weighs more)").wait_for()
    draft.refresh_from_db()
    assert draft.status == "active"
    assert RecomputeMark.objects.filter(reason__contains="FY27: revenue weighs more").exists()
    assert "Read-only." in page.locator(".read-only").inner_text()
    assert page.problems == []  # no script or CSP error on the way


def test_the_editor_fits_a_phone(page, live_server, portfolio):  # noqa: F811
    world = portfolio
    cache.clear()
    login(page, live_server.url, "admin", "admin-pass-123")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/config/models/")
    page.locator("tr", has_text="Reseller").get_by_role("button", name="New draft").click()
    page.wait_for_url("**/versions/*/")
    line_row(page, "nps").locator("input[name$=-floor]").fill("60")
    page.get_by_text("Floor (60) must be below the target (50).").wait_for()
    page.screenshot(path=str(SHOTS / "draft-390.png"), full_page=True)
    assert no_overflow(page)
    draft = ScoringModelVersion.objects.get(model=world.version.model, status="draft")
    for path, name in (
        (f"/config/models/reseller/versions/{draft.pk}/publish/", "publish-390.png"),
        ("/config/kpis/revenue/", "kpi-390.png"),
        ("/config/models/", "models-390.png"),
    ):
        page.goto(f"{live_server.url}{path}")
        page.screenshot(path=str(SHOTS / name), full_page=True)
        assert no_overflow(page), path
    assert page.problems == []


def test_the_formula_is_checked_as_typed_and_aggregation_hides(page, live_server, world):
    login(page, live_server.url, "admin", "admin-pass-123")
    page.goto(f"{live_server.url}/config/kpis/new/")
    aggregation = page.locator("#aggregation-field")
    expect(aggregation).to_be_visible()
    page.fill("input[name=code]", "rev_per_point")
    page.select_option("select[name=source]", "formula")
    expect(aggregation).to_be_hidden()
    page.fill("textarea[name=formula]", "revenue / max(nps, 1) + prev(revenue)")
    expect(page.locator("#formula-refs")).to_have_text("nps, revenue; previous period: revenue")
    page.fill("textarea[name=formula]", "revenue + bogus")
    expect(page.locator("#formula-error")).to_contain_text("unknown KPI code 'bogus'")
    expect(page.locator("#formula-inputs")).to_be_hidden()
    page.screenshot(path=str(SHOTS / "kpi-formula-1280.png"), full_page=True)
    page.select_option("select[name=source]", "import")
    expect(aggregation).to_be_visible()
    assert page.problems == []
