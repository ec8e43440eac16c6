"""The what-if preview in a real browser: the admin picks the draft and an open period, reads
the summary, opens a cell of the tier matrix from the heatmap and from the table, then tries a
single weight edit on the active version."""

import pytest
from django.core.cache import cache
from django.db import connections

from tests.assessments.test_portfolio import portfolio  # noqa: F401 (fixture)
from tests.assessments.test_whatif import rich_draft
from tests.browser.test_charts_csp import browser_page  # noqa: F401 (fixture)
from tests.browser.test_import_flow import login, pytestmark  # noqa: F401


@pytest.fixture
def page(browser_page):  # noqa: F811
    """The shared browser page; the connections the test opened while Playwright's loop runs
    are closed in that loop too (see test_import_flow.browser_page), or the test database
    cannot be dropped."""
    yield browser_page
    connections.close_all()


def stat(page, label: str) -> int:
    box = page.locator(".stats .stat").filter(has=page.get_by_text(label, exact=True))
    return int(box.locator(".num").inner_text().replace(",", ""))


def test_admin_previews_a_draft_and_opens_the_partners_of_a_matrix_cell(
    page,
    live_server,
    portfolio,  # noqa: F811
):
    world = portfolio
    draft = rich_draft(world)
    cache.clear()
    login(page, live_server.url, "admin", "admin-pass-123")
    page.get_by_role("link", name="What if").click()
    page.wait_for_url("**/config/whatif/")
    page.select_option("select[name=version]", str(draft.pk))
    page.select_option("select[name=period]", "2026-Q3")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_url(f"**version={draft.pk}**")
    page.wait_for_function("document.querySelector('.plotly-chart')?.dataset.drawn")
    assert "Reseller v2 (draft) on 2026-Q3" in page.locator(".whatif-head h2").inner_text()
    assert stat(page, "partners") == 24
    downs, fallers = stat(page, "tier down"), stat(page, "fall to insufficient data")
    assert downs > 0 and fallers > 0
    assert page.locator("#falling tbody tr").count() == fallers
    page.screenshot(path="/tmp/whatif-preview.png", full_page=True)

    # a heatmap cell opens its partners below
    chart = page.locator(".plotly-chart")
    chart.scroll_into_view_if_needed()
    cells = chart.locator("g.hm image, .heatmaplayer image")
    assert cells.count() >= 1  # the heatmap drew
    box = chart.locator(".nsewdrag").first.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.1)
    page.wait_for_url("**from=**")
    assert page.locator("#cell tbody tr").count() >= 1

    # the table's Gold -> No tier cell: exactly the partners it counts
    link = page.locator("table.matrix tr", has=page.locator("th", has_text="Gold")).locator("td a")
    gold_row = [a for a in link.all() if "to=-" in (a.get_attribute("href") or "")]
    assert gold_row, "Gold partners who fall to no tier"
    count = int(gold_row[0].inner_text())
    gold_row[0].click()
    page.wait_for_url("**to=-**")
    assert page.locator("#cell tbody tr").count() == count
    assert set(page.locator("#cell tbody td.partner .code").all_inner_texts()) <= {
        f"R{i:02d}" for i in range(20)
    }
    page.locator("#cell").screenshot(path="/tmp/whatif-cell.png")

    # what if NPS weighed 90 on the active version
    page.select_option("select[name=version]", str(world.version.pk))
    page.select_option("select[name=kpi]", "nps")
    page.fill("input[name=weight]", "90")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_url("**weight=90**")
    assert "nps weighed 90" in page.locator(".whatif-head h2").inner_text()
    assert stat(page, "partners") == 24
    assert page.problems == []


@pytest.mark.usefixtures("portfolio")
def test_whatif_on_a_phone_fits_the_width(page, live_server):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server.url, "admin", "admin-pass-123")
    page.goto(f"{live_server.url}/config/whatif/")
    page.wait_for_selector(".stats .stat")
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 390"
        " && !e.closest('.table-wrap')).map(e => e.tagName + '.' + e.className).slice(0, 8)"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide
    page.screenshot(path="/tmp/whatif-390.png", full_page=False)
    assert page.problems == []
