"""Users change their own password and reset it by e-mail; resets are rate limited."""

import os
import re
import subprocess
import sys

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from partners.models import AccessEvent
from partners.views import password_reset_counters
from tests.helpers import ROOT

NEW = "Brand-new-pass-77"


@pytest.fixture(autouse=True)
def clear_reset_counts():
    keys = [
        key
        for email in ["acme@example.com", "globex@example.com", "nobody@example.com"]
        for key, _ in password_reset_counters(email=email, address="127.0.0.1")
    ]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)


def test_user_changes_own_password(world, client):
    client.force_login(world.acme_user)
    page = client.get(reverse("password_change"))
    assert page.status_code == 200 and b"Current password" in page.content
    wrong = client.post(
        reverse("password_change"),
        {"old_password": "nope", "new_password1": NEW, "new_password2": NEW},
    )
    assert b"incorrectly" in wrong.content
    response = client.post(
        reverse("password_change"),
        {"old_password": "acme-pass-123", "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    world.acme_user.refresh_from_db()
    assert world.acme_user.check_password(NEW)
    assert AccessEvent.objects.filter(kind="password_changed", user=world.acme_user).exists()


def test_password_change_needs_sign_in(client):
    assert client.get(reverse("password_change")).status_code == 302


def test_reset_by_email(world, client):
    world.acme_user.email = "acme@example.com"
    world.acme_user.save()
    response = client.post(reverse("password_reset"), {"email": "acme@example.com"})
    assert response.status_code == 302
    (message,) = mail.outbox
    link = re.search(r"http://testserver(/password/reset/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    assert b"Choose a new password" in form.content
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302
    world.acme_user.refresh_from_db()
    assert world.acme_user.check_password(NEW)
    used = client.get(link, follow=True)
    assert b"already been used or has expired" in used.content


def test_reset_for_unknown_address_sends_nothing_and_says_the_same(world, client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)
    assert b"If an account uses that address" in response.content
    assert not mail.outbox


@override_settings(PASSWORD_RESET_LIMIT_PER_HOUR=2)
def test_reset_requests_are_rate_limited_per_address(world, client):
    world.acme_user.email = "acme@example.com"
    world.acme_user.save()
    for _ in range(2):
        assert (
            client.post(reverse("password_reset"), {"email": "acme@example.com"}).status_code == 302
        )
    refused = client.post(reverse("password_reset"), {"email": "ACME@example.com"})
    assert refused.status_code == 429 and b"Too many reset requests" in refused.content
    assert len(mail.outbox) == 2
    other = client.post(reverse("password_reset"), {"email": "globex@example.com"})
    assert other.status_code == 302  # another address has its own count


def test_login_page_links_to_reset(client):
    assert reverse("password_reset").encode() in client.get(reverse("login")).content


def test_production_without_an_smtp_host_is_refused():
    env = {
        **os.environ,
        "PARTNERSCORE_PRODUCTION": "true",
        "SECRET_KEY": "x" * 60,
        "EMAIL_HOST": "",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "EMAIL_HOST must be set when PARTNERSCORE_PRODUCTION=true" in done.stderr
