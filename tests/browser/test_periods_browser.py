"""The periods page in a real browser: an admin adds the next quarters (the codes are shown
before anything is created), closes one (the confirmation says what closing means), and opens
its audit trail. Screenshots in /tmp/shots-periods."""

from pathlib import Path

from assessments.services import scorecards_recompute
from kpis.models import Period, PeriodStatus
from tests.browser.test_import_flow import browser_page, login, pytestmark  # noqa: F401

SHOTS = Path("/tmp/shots-periods")


def test_add_close_and_audit_a_period(world, browser_page, live_server):  # noqa: F811
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    page, base = browser_page, live_server.url
    SHOTS.mkdir(exist_ok=True)
    login(page, base, "admin", "admin-pass-123")
    page.click(".topbar nav >> text=Configuration")  # Periods is in the Configuration menu
    page.click("nav.config-nav >> text=Periods")
    page.wait_for_selector("table.periods")
    page.fill("input[name=count]", "2")
    page.click("text=Next…")
    assert page.inner_text("ul.planned").split("\n")[0].startswith("2026-Q4")
    assert "2027-Q1" in page.inner_text("ul.planned")
    page.screenshot(path=str(SHOTS / "add-confirm.png"), full_page=True)
    page.click("button:has-text('Create 2 periods')")
    assert "Added 2026-Q4, 2027-Q1 (open)." in page.inner_text(".messages")
    assert Period.objects.filter(code__in=["2026-Q4", "2027-Q1"]).count() == 2

    page.click("tr[data-period='2026-Q3'] >> text=Close…")
    text = page.inner_text("main")
    assert "Inputs frozen" in text and "Scorecards kept" in text and "2 scorecards" in text
    page.screenshot(path=str(SHOTS / "close-confirm.png"), full_page=True)
    page.click("button:has-text('Close 2026-Q3')")
    assert "2026-Q3 is closed" in page.inner_text(".messages")
    row = page.inner_text("tr[data-period='2026-Q3']")
    assert "closed" in row and "Reopen…" in row
    assert Period.objects.get(code="2026-Q3").status == PeriodStatus.CLOSED
    page.screenshot(path=str(SHOTS / "periods.png"), full_page=True)

    page.click("tr[data-period='2026-Q3'] >> text=History")
    page.wait_for_selector(".history-entry")
    first = page.inner_text(".history-entry >> nth=0")
    assert "Changed by admin" in first and "closed" in first
    assert "Open (recomputed)" in first and "Closed (frozen)" in first
    page.screenshot(path=str(SHOTS / "history.png"), full_page=True)
