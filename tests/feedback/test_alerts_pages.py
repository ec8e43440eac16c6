"""The alerts page, the header badge, the settings page and the API: each user sees and marks
only their own alerts (a manager and a partner user alike)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from feedback.models import Alert, AlertKind, NotificationSettings


def alert(user, n: int, kind=AlertKind.TIER_DROP, **fields) -> Alert:
    return Alert.objects.create(
        user=user,
        kind=kind,
        key=f"test:{n}",
        title=f"Alert number {n}",
        body=f"What happened to {n}.",
        url="/portfolio/",
        **fields,
    )


def badge(html: str) -> str | None:
    found = re.search(r'class="alerts-badge"[^>]*>([^<]+)<', html)
    return found.group(1) if found else None


@pytest.fixture
def mine(world):
    return [alert(world.manager, n) for n in range(3)]


@pytest.fixture
def theirs(world):
    return alert(world.globex_user, 99, kind=AlertKind.SURVEY_DUE)


def test_the_header_badge_counts_unread_alerts_in_one_query(world, client, mine, theirs):
    client.force_login(world.manager)
    with CaptureQueriesContext(connection) as ctx:
        html = client.get("/portfolio/").content.decode()
    assert badge(html) == "3"
    alerts = [q["sql"] for q in ctx.captured_queries if "feedback_alert" in q["sql"]]
    assert len(alerts) == 1 and "COUNT(" in alerts[0]
    Alert.objects.filter(pk=mine[0].pk).update(read_at="2026-09-01T00:00Z")
    assert badge(client.get("/alerts/").content.decode()) == "2"
    client.force_login(world.acme_user)
    assert badge(client.get("/portal/").content.decode()) is None  # none of ACME's


def test_the_list_shows_unread_first_and_only_ones_own(world, client, mine, theirs):
    Alert.objects.filter(pk=mine[2].pk).update(read_at="2026-09-01T00:00Z")
    client.force_login(world.manager)
    page = client.get("/alerts/").context["page"]
    assert [a.title for a in page] == ["Alert number 1", "Alert number 0", "Alert number 2"]
    assert list(client.get("/alerts/?kind=survey_due").context["page"]) == []
    client.force_login(world.globex_user)
    html = client.get("/alerts/").content.decode()
    assert "Alert number 99" in html and "Alert number 1" not in html


def test_opening_an_alert_marks_it_read_and_goes_where_it_points(world, client, mine):
    client.force_login(world.manager)
    response = client.get(f"/alerts/{mine[0].pk}/")
    assert response.status_code == 302 and response["Location"] == "/portfolio/"
    mine[0].refresh_from_db()
    assert mine[0].read_at is not None
    assert client.post(f"/alerts/{mine[1].pk}/").status_code == 302
    assert Alert.objects.filter(user=world.manager, read_at__isnull=True).count() == 1


def test_a_user_cannot_open_or_mark_another_users_alert(world, client, theirs):
    client.force_login(world.acme_user)
    assert client.get(f"/alerts/{theirs.pk}/").status_code == 404
    assert client.post(f"/alerts/{theirs.pk}/").status_code == 404
    client.post("/alerts/read-all/")
    theirs.refresh_from_db()
    assert theirs.read_at is None
    api = APIClient()
    api.force_authenticate(world.acme_user)
    assert api.post(f"/api/v1/alerts/{theirs.pk}/read/").status_code == 404
    assert api.get("/api/v1/alerts/").json()["results"] == []
    api.post("/api/v1/alerts/read-all/", {}, format="json")
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_of_one_kind(world, client, mine):
    due = alert(world.manager, 7, kind=AlertKind.ASSESSMENT_DUE)
    client.force_login(world.manager)
    client.post("/alerts/read-all/", {"kind": "assessment_due"})
    due.refresh_from_db()
    assert due.read_at is not None
    assert Alert.objects.filter(user=world.manager, read_at__isnull=True).count() == 3
    response = client.post("/alerts/read-all/", follow=True)
    assert "Marked 3 alerts read." in response.content.decode()
    assert badge(response.content.decode()) is None


def test_the_list_is_paginated(world, client):
    for n in range(30):
        alert(world.manager, n)
    client.force_login(world.manager)
    first = client.get("/alerts/").context["page"]
    assert len(first) == 25 and first.paginator.num_pages == 2
    assert len(client.get("/alerts/?page=2").context["page"]) == 5


def test_the_settings_page_turns_the_email_digest_off_and_on(world, client):
    client.force_login(world.acme_user)
    assert 'name="email_alerts" checked' in client.get("/alerts/settings/").content.decode()
    client.post("/alerts/settings/", {})
    assert NotificationSettings.objects.get(user=world.acme_user).email_alerts is False
    html = client.get("/alerts/settings/").content.decode()
    assert 'name="email_alerts" checked' not in html
    client.post("/alerts/settings/", {"email_alerts": "on"})
    assert NotificationSettings.objects.get(user=world.acme_user).email_alerts is True


def test_the_pages_need_a_sign_in(client):
    for url in ("/alerts/", "/alerts/settings/"):
        assert client.get(url)["Location"].startswith("/login/")


# -- API ------------------------------------------------------------------------------------------


@pytest.fixture
def api(world):
    client = APIClient()
    client.force_authenticate(world.manager)
    return client


def test_api_lists_ones_alerts_with_filters(world, api, mine, theirs):
    alert(world.manager, 5, kind=AlertKind.RED_KPI)
    Alert.objects.filter(pk=mine[0].pk).update(read_at="2026-09-01T00:00Z")
    body = api.get("/api/v1/alerts/").json()
    assert body["count"] == 4
    assert body["results"][-1]["title"] == "Alert number 0"  # read: last
    unread = api.get("/api/v1/alerts/?unread=true").json()["results"]
    assert {a["title"] for a in unread} == {"Alert number 1", "Alert number 2", "Alert number 5"}
    red = api.get("/api/v1/alerts/?kind=red_kpi").json()["results"]
    assert [a["kind"] for a in red] == ["red_kpi"]
    assert api.get("/api/v1/alerts/?kind=nonsense").status_code == 400


def test_api_marks_read_and_all_read(world, api, mine):
    done = api.post(f"/api/v1/alerts/{mine[0].pk}/read/")
    assert done.status_code == 200 and done.json()["read_at"] is not None
    assert api.post("/api/v1/alerts/read-all/", {}, format="json").json() == {"marked": 2}
    assert not Alert.objects.filter(read_at__isnull=True).exists()


def test_api_notification_settings(world, api):
    assert api.get("/api/v1/alerts/settings/").json() == {"email_alerts": True}
    saved = api.put("/api/v1/alerts/settings/", {"email_alerts": False}, format="json")
    assert saved.json() == {"email_alerts": False}
    assert NotificationSettings.objects.get(user=world.manager).email_alerts is False
    assert api.put("/api/v1/alerts/settings/", {}, format="json").status_code == 400
