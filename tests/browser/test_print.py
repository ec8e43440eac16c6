"""Exports and print in a real browser: the export links download files named for what they
hold, and a demo scorecard prints on one or two A4 pages without navigation, with its Score,
Status and Weight columns on the paper."""

import re
from pathlib import Path

import pytest
from django.db import connections

from assessments.models import Scorecard
from assessments.services import scorecards_recompute
from kpis.models import Period
from partnerscore.demo import seed_demo
from tests.browser.test_import_flow import ARGS, CHROMIUM, login, pytestmark  # noqa: F401

SHOTS = Path("/tmp/shots-print")
A4_WIDTH_PX = 794  # 210 mm at 96 px per inch
PRINTABLE_WIDTH_PX = 703  # 186 mm: A4 less the 12 mm margins of static/css/print.css
DEMO = {"partners": 50, "periods": 4, "seed": 7, "last_quarter": "2026-Q3"}


@pytest.fixture
def demo(transactional_db):
    """The demo world (managers log in as manager/manager), every quarter recomputed; the
    best-scored reseller (the model with the most KPI lines) of the last quarter that has a
    previous score is printed."""
    seed_demo(**DEMO)
    for period in Period.objects.order_by("start"):
        scorecards_recompute(period_id=period.pk, trigger="test")
    card = (
        Scorecard.objects.filter(
            period__code=DEMO["last_quarter"],
            status="ok",
            partner_type__code="reseller",
            previous_score__isnull=False,  # a history to chart
        )
        .select_related("partner")
        .order_by("-score")
        .first()
    )
    return card.partner


@pytest.fixture
def browser(live_server, monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        connections.close_all()
        browser.close()


def new_page(browser, width: int, height: int = 1100):
    page = browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)
    page.set_default_timeout(30_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.problems = problems
    return page


def test_export_links_download_files_named_for_their_content(demo, browser, live_server):
    page = new_page(browser, 1280, 800)
    login(page, live_server.url, "manager", "manager")
    page.goto(f"{live_server.url}/portfolio/?period=2026-Q3")
    with page.expect_download() as download:
        page.locator("a", has_text="Export CSV").first.click()
    assert download.value.suggested_filename == "portfolio-2026-Q3.csv"
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0].startswith("partner_code,partner_name,") and len(lines) == 1 + 50
    page.goto(f"{live_server.url}/partners/{demo.code}/?period=2026-Q3")
    with page.expect_download() as download:
        page.locator("a", has_text="Export CSV").first.click()
    assert download.value.suggested_filename == f"scorecard-{demo.code}-2026-Q3.csv"
    assert demo.code in Path(download.value.path()).read_text().splitlines()[1]
    assert page.problems == []


def test_printed_scorecard_fits_a4_without_navigation(demo, browser, live_server):
    SHOTS.mkdir(exist_ok=True)
    page = new_page(browser, PRINTABLE_WIDTH_PX)
    login(page, live_server.url, "manager", "manager")
    page.goto(f"{live_server.url}/partners/{demo.code}/?period=2026-Q3")
    page.wait_for_selector(".plotly-chart .main-svg")
    table = page.locator("table.grid").first
    header = table.locator("thead th")
    names = [cell.strip() for cell in header.all_inner_texts()]
    assert {"Score", "Status", "Weight"} <= set(names), names
    # on screen the table scrolls sideways at this width: the cut-off the print must avoid
    wrap = page.locator(".table-wrap").first
    assert wrap.evaluate("el => el.scrollWidth > el.clientWidth")

    page.emulate_media(media="print")
    for hidden in (".topbar", "form.period-picker", "a.button"):
        assert all(not el.is_visible() for el in page.locator(hidden).all()), hidden
    page_width = page.evaluate("document.documentElement.clientWidth")
    assert page_width == PRINTABLE_WIDTH_PX
    assert page.evaluate("document.documentElement.scrollWidth") <= page_width
    for name in ("Score", "Status", "Weight", names[-1]):
        box = header.nth(names.index(name)).bounding_box()
        assert box["x"] + box["width"] <= page_width, (name, box)
    for svg in page.locator(".plotly-chart .main-svg").all():  # redrawn at the print width
        box = svg.bounding_box()
        assert box["x"] + box["width"] <= page_width, box
    page.screenshot(path=str(SHOTS / "scorecard-print-emulated.png"), full_page=True)

    pdf = page.pdf(format="A4", print_background=True)
    (SHOTS / f"scorecard-{demo.code}.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
    assert 1 <= pages <= 2, pages
    assert page.problems == []


def test_print_button_and_print_date_work_without_inline_script(demo, browser, live_server):
    """app.js: [data-print] calls window.print(); on print media, [data-print-date] shows
    today's date (the partial renders the server's date)."""
    page = new_page(browser, 1280, 800)
    login(page, live_server.url, "manager", "manager")
    page.goto(f"{live_server.url}/partners/{demo.code}/?period=2026-Q3")
    page.wait_for_load_state("load")
    page.evaluate(
        """() => {
          window.printed = 0;
          window.print = () => { window.printed += 1; };
          document.querySelector("main").insertAdjacentHTML("afterbegin",
            '<button type="button" data-print>Print</button>' +
            '<time data-print-date>1999-01-01</time>');
        }"""
    )
    page.click("button[data-print]")
    assert page.evaluate("window.printed") == 1
    page.emulate_media(media="print")
    today = page.evaluate("new Date().toLocaleDateString('sv')")  # YYYY-MM-DD, local
    assert page.inner_text("time[data-print-date]") == today != "1999-01-01"
    assert page.problems == []


def test_printed_portfolio_hides_navigation_filters_and_pager(demo, browser, live_server):
    page = new_page(browser, PRINTABLE_WIDTH_PX)
    login(page, live_server.url, "manager", "manager")
    page.goto(f"{live_server.url}/portfolio/?period=2026-Q3")
    page.wait_for_selector(".plotly-chart .main-svg")
    page.emulate_media(media="print")
    for hidden in (".topbar", "form", ".pager", "a.button", "button"):
        assert all(not el.is_visible() for el in page.locator(hidden).all()), hidden
    assert page.locator("table.grid").first.is_visible()
    page.screenshot(path=str(SHOTS / "portfolio-print-emulated.png"), full_page=True)
    assert page.problems == []
