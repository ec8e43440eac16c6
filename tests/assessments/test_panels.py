"""The scorecard's panel seam (assessments.panels): a function registered by an app to the
right is rendered on the scorecard page with the partner, the period and the user; one with
nothing to show adds nothing. The feedback app registers its plan panel in ready()."""

import pytest
from django.test import Client

from assessments import panels


@pytest.fixture
def registered():
    seen = []

    def panel(partner, period, user):
        seen.append((partner.code, period.code, user.username))
        return f'<section id="test-panel">{partner.code} {period.code}</section>'

    panels.panel_register(name="test-panel", render=panel)
    panels.panel_register(name="test-empty", render=lambda partner, period, user: None)
    yield seen
    panels.panel_unregister(name="test-panel")
    panels.panel_unregister(name="test-empty")


def test_registered_panels_are_rendered_on_the_scorecard(world, registered):
    client = Client()
    client.force_login(world.manager)
    body = client.get("/partners/ACME/?period=2026-Q3").content.decode()
    assert '<section id="test-panel">ACME 2026-Q3</section>' in body
    assert registered == [("ACME", "2026-Q3", "manager")]


def test_a_panel_is_not_asked_about_a_partner_the_user_may_not_see(world, registered):
    client = Client()
    client.force_login(world.acme_user)
    assert client.get("/partners/GLOBEX/?period=2026-Q3").status_code == 404
    assert registered == []


def test_feedback_registers_its_plan_panel():
    assert "feedback-plans" in panels._PANELS
