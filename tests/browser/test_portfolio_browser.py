"""The portfolio in a real browser: charts draw without errors, a chart click filters the
table, a migration cell opens its partners, and a phone shows score, tier and status."""

import pytest

from tests.assessments.test_portfolio import portfolio  # noqa: F401 (fixture)
from tests.browser.test_charts_csp import browser_page  # noqa: F401, F811 (fixture)
from tests.browser.test_import_flow import login, pytestmark  # noqa: F401


def click_first_mark(page, chart_title: str, mark_selector: str) -> None:
    """Click the first mark of the chart that has a visible size (a bar of 0 has none)."""
    chart = page.locator(".plotly-chart").filter(has_text=chart_title)
    chart.scroll_into_view_if_needed()
    for mark in chart.locator(mark_selector).all():
        box = mark.bounding_box()
        if box and box["height"] > 4 and box["width"] > 4:
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] - 2)
            return
    raise AssertionError(f"no visible mark in {chart_title}")


def table_count(page) -> int:
    heading = page.locator("#partners h2").inner_text()  # "12 partners"
    return int(heading.split()[0].replace(",", ""))


@pytest.mark.usefixtures("portfolio")
def test_portfolio_charts_draw_and_filter_the_table(browser_page, live_server):  # noqa: F811
    page = browser_page
    login(page, live_server.url, "manager", "manager-pass-123")
    page.goto(f"{live_server.url}/portfolio/?period=2026-Q3")
    page.wait_for_selector(".plotly-chart .main-svg")
    page.wait_for_function(
        "[...document.querySelectorAll('.plotly-chart')].every(e => e.dataset.drawn)"
    )
    everyone = table_count(page)
    assert everyone == 30
    # a bar of the distribution: the table shows that bar's partners
    click_first_mark(page, "Score distribution", "g.point path")
    page.wait_for_url("**score_min=**")
    assert 0 < table_count(page) < everyone
    assert "tier" in page.url and page.locator(".chip").count() >= 3
    # a cell of the tier migration matrix
    page.goto(f"{live_server.url}/portfolio/migration/?period=2026-Q3&from=2026-Q2")
    page.locator("table.matrix td a").first.click()
    page.wait_for_url("**from_tier=**")
    assert 0 < table_count(page) < everyone
    # tick two partners and compare them
    page.goto(f"{live_server.url}/portfolio/?period=2026-Q3")
    ticks = page.locator("input[name=partners]")
    ticks.nth(0).check()
    ticks.nth(1).check()
    page.get_by_role("button", name="Compare selected").click()
    page.wait_for_url("**/compare/**")
    assert page.url.count("partners=") == 2
    assert page.problems == []


@pytest.mark.usefixtures("portfolio")
def test_portfolio_on_a_phone_shows_score_tier_status_without_sideways_scrolling(
    browser_page,  # noqa: F811
    live_server,
):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server.url, "manager", "manager-pass-123")
    page.goto(f"{live_server.url}/portfolio/?period=2026-Q3")
    page.wait_for_selector(".plotly-chart .main-svg")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    row = page.locator(".portfolio-table tbody tr").first
    for column in (3, 4, 5):  # score, tier, status (1: the compare tick, hidden on a phone)
        box = row.locator(f"td:nth-child({column})").bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390, column
    assert row.locator(".status").inner_text().strip()  # the status is a word, not a colour
    page.screenshot(path="/tmp/portfolio-390.png", full_page=False)
    assert page.problems == []
