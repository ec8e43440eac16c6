"""The quarterly assessment in a real browser: the manager rates GLOBEX on the assessment page
(rubric text on each level), submits, sees the ratings counted on the scorecard beside them
after the recompute, shares it; then GLOBEX's user acknowledges it in the portal with a
response, and the manager sees that in the history. Screenshots go to SHOTS."""

import os
from pathlib import Path

import pytest

from assessments.models import Assessment, AssessmentStatus
from assessments.services import scorecards_recompute
from tests.api.conftest import scored_build
from tests.assessments.reviews_world import qualitative_build
from tests.browser.test_import_flow import browser_page, login, pytestmark  # noqa: F401, F811
from tests.world import world_build

SHOTS = Path(os.environ.get("REVIEWS_SHOTS", "/tmp/shots-reviews"))


@pytest.fixture
def rated_world(transactional_db):
    world = world_build()
    q = qualitative_build(world)
    scored_build(world)
    return world, q


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def side_value(page, kpi_name: str) -> str:
    row = page.locator("#scorecard-beside tr", has_text=kpi_name)
    return row.locator("td.num").first.inner_text()


def test_manager_rates_and_submits_then_the_partner_acknowledges(
    rated_world,
    browser_page,  # noqa: F811
    live_server,
):
    world, q = rated_world
    page, base = browser_page, live_server.url
    login(page, base, "manager", "manager-pass-123")
    page.goto(f"{base}/partners/GLOBEX/")
    page.click("a.button:text('Assessment')")
    page.wait_for_url(f"{base}/partners/GLOBEX/assessment/?period=2026-Q3")
    page.click("text=Start the assessment")
    assert page.locator("label.level", has_text="Relationship strength: excellent").is_visible()
    assert side_value(page, "Relationship strength") == "–"  # nothing counted yet

    page.click("#criterion-relationship label.level:has-text('Relationship strength: excellent')")
    page.click("#criterion-communication label.level:has-text('Communication: good')")
    page.fill(f"textarea[name=comment-{q.relationship.pk}]", "Weekly pipeline calls")
    page.fill("textarea[name=summary]", "A strong quarter.")
    page.click("button[value=submit]")
    assert "Submitted: the ratings now count" in page.inner_text(".messages")
    assert Assessment.objects.get(partner=world.globex).status == AssessmentStatus.SUBMITTED

    scorecards_recompute(period_id=world.q3.pk, trigger="test")  # what the worker does
    page.reload()
    assert side_value(page, "Relationship strength") == "5"
    assert side_value(page, "Communication") == "4"
    assert page.locator("#history li").count() == 2
    page.click("button[value=share]")
    assert "Shared with the partner" in page.inner_text(".messages")
    shot(page, "assessment-1280")

    page.click("button.link:text('Log out')")
    login(page, base, "globex", "globex-pass-123")
    page.goto(f"{base}/portal/assessments/")
    section = page.locator(".portal-review")
    assert "Relationship strength: excellent" in section.inner_text()
    assert "Weekly pipeline calls" in section.inner_text()
    page.fill("textarea[name=response]", "Thanks, agreed.")
    page.click("button:text('Acknowledge')")
    assert "acknowledged" in page.inner_text(".messages")
    assert "Thanks, agreed." in page.inner_text(".portal-review")
    shot(page, "portal-assessments-1280")
    a = Assessment.objects.get(partner=world.globex)
    assert (a.status, a.partner_response) == (AssessmentStatus.ACKNOWLEDGED, "Thanks, agreed.")
