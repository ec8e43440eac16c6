"""The alerts page in a real browser, as the channel manager: the header's badge counts the
unread alerts, opening one marks it read and goes where it points, "Mark all read" empties
the badge."""

import pytest

from feedback.models import Alert, AlertKind
from tests.browser import test_import_flow
from tests.browser.test_import_flow import login, pytestmark  # noqa: F401

browser_page = test_import_flow.browser_page  # the fixture: Chromium at 1280x800


@pytest.fixture
def alerts(world):
    world.manager.set_password("manager-pass-123")
    world.manager.save()
    rows = [
        (AlertKind.TIER_DROP, "Acme Corp dropped from Gold to Silver in 2026-Q3", "/portfolio/"),
        (AlertKind.RED_KPI, "Globex: NPS turned red in 2026-Q3", "/portfolio/"),
        (AlertKind.ASSESSMENT_DUE, "2026-Q3: 2 partners still to assess", "/alerts/settings/"),
    ]
    return [
        Alert.objects.create(
            user=world.manager, kind=kind, key=f"b:{n}", title=title, body="Details.", url=url
        )
        for n, (kind, title, url) in enumerate(rows)
    ]


def test_badge_open_and_mark_all_read(world, alerts, browser_page, live_server):
    page, base = browser_page, live_server.url
    login(page, base, "manager", "manager-pass-123")
    page.wait_for_url(f"{base}/**")
    assert page.inner_text(".alerts-badge") == "3"
    page.click("a.alerts-link")
    page.wait_for_url(f"{base}/alerts/")
    assert page.locator(".alert-item.unread").count() == 3
    page.click("text=2026-Q3: 2 partners still to assess")
    page.wait_for_url(f"{base}/alerts/settings/")  # where the alert points
    assert page.inner_text(".alerts-badge") == "2"
    page.goto(f"{base}/alerts/")
    assert page.locator(".alert-item.unread").count() == 2
    page.click("button:has-text('Mark all read')")
    page.wait_for_selector("text=Marked 2 alerts read.")
    assert page.locator(".alerts-badge").count() == 0
    assert page.locator(".alert-item.unread").count() == 0
    assert not Alert.objects.filter(read_at__isnull=True).exists()
