"""An invitation in a real browser, on a phone's width: a partner admin invites a colleague,
who opens the e-mailed link, chooses a password and lands on the portal."""

import re
from pathlib import Path

from django.contrib.auth.models import User
from django.core import mail

from partners.models import PortalUser
from tests.browser.test_import_flow import browser_page, login, pytestmark  # noqa: F401

SHOTS = Path("/tmp/shots-roles")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_invite_and_accept_on_a_phone(world, browser_page, live_server):  # noqa: F811
    SHOTS.mkdir(exist_ok=True)
    PortalUser.objects.filter(user=world.acme_user).update(is_partner_admin=True)
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, base, "acme", "acme-pass-123")
    page.goto(f"{base}/partners/ACME/invite/")
    page.fill("input[name=email]", "jane@acme.example")
    page.click("form button.primary")
    page.wait_for_selector("text=Invitation sent to jane@acme.example.")
    assert "pending until" in page.inner_text("table")
    assert no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / "invite-390.png"), full_page=True)

    link = re.search(r"(/invitations/\S+/)", mail.outbox[0].body).group(1)
    page.click("button.link")  # log out
    page.goto(f"{base}{link}")
    assert "Join the Acme Corp partner portal" in page.inner_text("h1")
    page.fill("input[name=new_password1]", "password")
    page.fill("input[name=new_password2]", "password")
    page.click("form button.primary")
    assert "This password is too common" in page.inner_text("main")
    assert no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / "accept-error-390.png"), full_page=True)
    page.fill("input[name=new_password1]", "Correct-horse-42")
    page.fill("input[name=new_password2]", "Correct-horse-42")
    page.click("form button.primary")
    page.wait_for_selector("text=Welcome to the Acme Corp portal.")
    assert "jane@acme.example" in page.inner_text("header")
    assert User.objects.get(username="jane@acme.example").portal.partner == world.acme

    page.goto(f"{base}{link}")
    assert "already been used" in page.inner_text("main")
    page.screenshot(path=str(SHOTS / "used-390.png"), full_page=True)
