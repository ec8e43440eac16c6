"""The partner's improvement plan and a feedback thread in a real browser, as GLOBEX's user:
mark an own action done, sign the plan off, reply to a thread from the vendor and acknowledge
it. Screenshots go to SHOTS for a person to look at."""

import datetime as dt
import os
from pathlib import Path

import pytest
from django.db import connections

from feedback import conversations, plans
from feedback.models import FeedbackThread, ImprovementPlan, PlanAction
from tests.api.conftest import scored_build
from tests.browser import test_charts_csp
from tests.browser.test_import_flow import login, pytestmark  # noqa: F401

recording_page = test_charts_csp.browser_page
SHOTS = Path(os.environ.get("PLANS_SHOTS", "/tmp/shots-plans"))


@pytest.fixture
def browser_page(recording_page):
    yield recording_page
    connections.close_all()  # see tests/browser/test_scorecard_browser.py


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def globex_plan(world) -> ImprovementPlan:
    scored_build(world)
    plan = plans.plan_create(partner=world.globex, period=world.q3, user=world.manager)
    plans.action_add(
        plan=plan,
        user=world.manager,
        title="Weekly delivery review",
        owner=world.globex_user,
        due_on=dt.date.today() + dt.timedelta(days=10),
    )
    return plan


def test_partner_marks_own_action_done_and_signs_off_the_plan(
    world, globex_plan, browser_page, live_server
):
    page, base = browser_page, live_server.url
    login(page, base, "globex", "globex-pass-123")
    page.wait_for_url(f"{base}/portal/")
    page.click("text=Improvement plan")
    page.wait_for_url(f"{base}/portal/plan/")
    assert "Not signed off by Globex yet" in page.inner_text("#plan")
    own = PlanAction.objects.get(plan=globex_plan, owner=world.globex_user)
    row = page.locator(f"#action-{own.pk}")
    assert row.locator("select").count() == 1  # only the own action has a status form
    assert page.locator("table.actions-table select").count() == 1
    row.locator("select").select_option("done")
    row.locator("button", has_text="Update").click()
    page.wait_for_selector("text=is now done")
    assert "1 / 3" in page.inner_text("#plan")
    page.click("#sign-off button")
    page.wait_for_selector(".signed")
    assert "Signed off by globex" in page.inner_text(".signed")
    assert page.locator("#sign-off").count() == 0
    shot(page, "portal-plan-signed")
    globex_plan.refresh_from_db()
    assert globex_plan.signed_off_by == world.globex_user
    assert PlanAction.objects.get(pk=own.pk).status == "done"
    assert page.problems == []


def test_partner_replies_to_a_thread_and_acknowledges_it(world, browser_page, live_server):
    thread = conversations.thread_start(
        partner=world.globex,
        user=world.manager,
        topic="support",
        subject="Late deliveries",
        body="Three orders were late this month.",
    )
    page, base = browser_page, live_server.url
    login(page, base, "globex", "globex-pass-123")
    page.wait_for_url(f"{base}/portal/")
    page.click("text=Feedback")
    page.click("text=Late deliveries")
    page.wait_for_url(f"{base}/portal/feedback/{thread.pk}/")
    page.fill("#reply-form textarea", "We added a second shift.")
    page.click("text=Send reply")
    page.wait_for_selector("text=Reply sent.")
    assert page.locator(".msg.partner").inner_text().endswith("We added a second shift.")
    page.click("button:has-text('Acknowledge')")
    page.wait_for_selector("text=The thread is now acknowledged.")
    assert page.locator("button:has-text('Acknowledge')").count() == 0
    shot(page, "portal-thread")
    assert FeedbackThread.objects.get(pk=thread.pk).status == "acknowledged"
    assert thread.replies.count() == 2
    assert page.problems == []
