"""Surveys in a real browser (Playwright, /usr/bin/chromium): a partner user answers the
relationship survey in the portal; a customer answers a public link on a phone's width."""

import datetime as dt
from pathlib import Path

from feedback.models import Answer, SurveyRequest, SurveyResponse
from feedback.survey_links import survey_link_create
from feedback.survey_services import survey_requests_create
from tests.browser.test_import_flow import browser_page, login, pytestmark  # noqa: F401

SHOTS = Path("/tmp/shots-surveys")
NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"


def test_partner_user_answers_the_relationship_survey_in_the_portal(
    world,
    surveys,
    browser_page,  # noqa: F811
    live_server,
):
    SHOTS.mkdir(exist_ok=True)
    survey_requests_create(today=dt.date(2026, 8, 15))
    page, base = browser_page, live_server.url
    login(page, base, "acme", "acme-pass-123")
    page.wait_for_url(f"{base}/portal/")
    page.click(".portal-tabs >> text=Surveys")
    page.wait_for_url(f"{base}/portal/surveys/")
    assert page.locator(".survey-requests li").count() == 2  # q2 and q3
    page.locator("a.button.primary").first.click()
    assert "Not at all likely" in page.inner_text(".scale-ends")
    page.click("form.survey-form button.primary")  # nothing chosen: refused, said where
    assert "needs an answer" in page.inner_text("fieldset.has-error")
    page.locator(".scale-scale10 .scale-point", has_text="9").click()
    page.fill("textarea", "More joint marketing, please.")
    page.screenshot(path=str(SHOTS / "portal-form-1280.png"), full_page=True)
    page.click("form.survey-form button.primary")
    page.wait_for_selector("text=your answers to “Relationship” are in")
    assert page.locator("#done-surveys li").count() == 1
    response = SurveyResponse.objects.get()
    assert response.partner == world.acme and response.respondent == world.acme_user
    assert Answer.objects.get(response=response, question=surveys.recommend_q).value == 9
    assert SurveyRequest.objects.filter(answered_at__isnull=False).count() == 1
    page.screenshot(path=str(SHOTS / "portal-done-1280.png"), full_page=True)


def test_customer_answers_a_public_link_on_a_phone(
    world,
    surveys,
    browser_page,  # noqa: F811
    live_server,
):
    SHOTS.mkdir(exist_ok=True)
    _, token = survey_link_create(
        survey=surveys.customer, partner=world.acme, created_by=world.manager
    )
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/s/{token}/")
    assert "Acme Corp" in page.inner_text(".rating-whom")
    assert page.evaluate(NO_SIDEWAYS)
    page.locator(".scale-scale10 .scale-point", has_text="10").click()
    page.locator(".scale-scale5 .scale-point", has_text="4").click()
    page.click("label.option:has-text('Service')")
    page.screenshot(path=str(SHOTS / "public-390.png"), full_page=True)
    page.click("form.survey-form button.primary")
    page.wait_for_selector("text=Thank you! Your answers were recorded.")
    response = SurveyResponse.objects.get()
    assert (response.partner, response.channel) == (world.acme, "link")
    page.goto(f"{base}/s/{token}/")
    assert "already been used" in page.inner_text("main")
    page.goto(f"{base}/s/{token[:-2]}xx/")
    assert "This link is not valid" in page.inner_text("main")
