"""Brute force, expiring tokens, production settings, security headers (issue: hardening)."""

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.helpers import ROOT

WRONG = "not-the-password"


def test_login_page_locks_out_after_repeated_wrong_passwords(world, client):
    for _ in range(5):
        client.post("/login/", {"username": "manager", "password": WRONG})
    response = client.post("/login/", {"username": "manager", "password": "manager-pass-123"})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_admin_login_locks_out_too(world, client):
    for _ in range(5):
        client.post("/admin/login/", {"username": "admin", "password": WRONG})
    response = client.post("/admin/login/", {"username": "admin", "password": "admin-pass-123"})
    assert response.status_code == 429


def test_token_endpoint_locks_out_and_a_success_before_the_limit_resets(world):
    api = APIClient()
    for _ in range(4):
        assert (
            api.post("/api/v1/auth/token/", {"username": "manager", "password": WRONG}).status_code
            == 400
        )
    ok = api.post("/api/v1/auth/token/", {"username": "manager", "password": "manager-pass-123"})
    assert ok.status_code == 200 and ok.json()["token"]
    for _ in range(5):
        api.post("/api/v1/auth/token/", {"username": "manager", "password": WRONG})
    locked = api.post(
        "/api/v1/auth/token/", {"username": "manager", "password": "manager-pass-123"}
    )
    assert locked.status_code == 429
    assert locked.json() == {"detail": "Too many failed sign-ins: locked out for a while."}


def test_an_expired_token_is_refused_and_a_new_one_is_issued(world, settings):
    settings.API_TOKEN_HOURS = 1
    api = APIClient()
    first = api.post("/api/v1/auth/token/", {"username": "manager", "password": "manager-pass-123"})
    key = first.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/partners/").status_code == 200
    Token.objects.filter(key=key).update(created=timezone.now() - dt.timedelta(hours=2))
    refused = api.get("/api/v1/partners/")
    assert refused.status_code == 401 and "expired" in refused.json()["detail"]
    api.credentials()
    again = api.post("/api/v1/auth/token/", {"username": "manager", "password": "manager-pass-123"})
    assert again.json()["token"] != key


def test_pages_carry_a_content_security_policy_without_inline_scripts(world, client):
    client.force_login(world.manager)
    response = client.get("/portfolio/")
    policy = response.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in policy
        and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )
    html = response.content.decode()
    assert "<script>" not in html and "Plotly.newPlot" not in html


@pytest.mark.slow
def test_check_deploy_is_clean_under_production_settings():
    env = {
        **os.environ,
        "PARTNERSCORE_PRODUCTION": "true",
        "SECRET_KEY": "x" * 60 + "-production-secret-for-the-check",
        "ALLOWED_HOSTS": "partners.example.com",
        "EMAIL_HOST": "smtp.example.com",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


@pytest.mark.parametrize("path", ["/api/v1/auth/token/", "/api/v1/metric-values/bulk/"])
def test_a_deeply_nested_json_body_is_a_clear_400(world, path):
    api = APIClient()
    api.force_authenticate(world.admin)
    body = "[" * 5000 + "]" * 5000
    response = api.post(path, body, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in str(response.json())


def test_exports_are_not_cached(world, client):
    client.force_login(world.manager)
    for path in ("/portfolio/export.csv", "/partners/ACME/export.csv"):
        response = client.get(path)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
