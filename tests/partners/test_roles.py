"""Managers see the partners assigned to them, unless a profile or the "All partners" group
lets them see every partner; one rule (partners.access.visible_partners) for the pages,
exports, imports and the API. Sign-ins, exports and role changes are recorded."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from kpis.imports.jobs import import_job_run
from kpis.models import ImportJob, MetricValue
from partners.access import (
    ALL_PARTNERS_GROUP,
    MANAGERS_GROUP,
    can_invite,
    partner_for_user,
    visible_partners,
)
from partners.models import AccessEvent, ManagerProfile, Partner, PortalUser

NOT_YOURS = "partner INITECH is not one of your partners"


@pytest.fixture
def initech(world) -> Partner:
    """A partner of another manager."""
    other = User.objects.create_user("other-manager", password="other-pass-123")
    other.groups.add(Group.objects.get(name=MANAGERS_GROUP))
    return Partner.objects.create(
        code="INITECH", name="Initech", partner_type=world.reseller, manager=other
    )


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # access caches the role on the instance


def codes(partners) -> list[str]:
    return sorted(partners.values_list("code", flat=True))


def test_manager_sees_only_assigned_partners(world, initech):
    assert codes(visible_partners(world.manager)) == ["ACME", "GLOBEX"]
    assert codes(visible_partners(world.admin)) == ["ACME", "GLOBEX", "INITECH"]
    assert not can_invite(world.manager, initech)


def test_profile_or_group_lets_a_manager_see_all(world, initech):
    profile = ManagerProfile.objects.create(user=world.manager, sees_all_partners=True)
    assert codes(visible_partners(fresh(world.manager))) == ["ACME", "GLOBEX", "INITECH"]
    profile.sees_all_partners = False
    profile.save()
    assert codes(visible_partners(fresh(world.manager))) == ["ACME", "GLOBEX"]
    world.manager.groups.add(Group.objects.create(name=ALL_PARTNERS_GROUP))
    assert codes(visible_partners(fresh(world.manager))) == ["ACME", "GLOBEX", "INITECH"]


def test_the_all_partners_group_alone_gives_no_role(world, initech):
    outsider = User.objects.create_user("outsider", password="out-pass-123")
    outsider.groups.add(Group.objects.create(name=ALL_PARTNERS_GROUP))
    assert not visible_partners(outsider).exists()


def test_portfolio_cache_key_follows_the_scope(world, initech):
    """The portfolio cache is keyed by the partners queryset's SQL (assessments.dashboards):
    a restricted manager's differs from the one every all-seeing user shares."""
    everyone = str(Partner.objects.all().query)
    assert str(visible_partners(world.admin).query) == everyone
    restricted = str(visible_partners(world.manager).query)
    assert restricted != everyone and str(world.manager.pk) in restricted
    ManagerProfile.objects.create(user=world.manager, sees_all_partners=True)
    assert str(visible_partners(fresh(world.manager)).query) == everyone


def test_unassigned_partner_pages_and_exports_are_404(world, initech, client):
    client.force_login(world.manager)
    for name in ["scorecard", "scorecard-export", "scorecard-export-xlsx", "partner-invite"]:
        response = client.get(reverse(name, args=["INITECH"]))
        assert response.status_code == 404, name
        assert b"Initech" not in response.content
    assert client.get(reverse("scorecard-export", args=["ACME"])).status_code == 200
    compare = client.get(reverse("compare"), {"partners": ["ACME", "INITECH"]})
    assert b"Initech" not in compare.content


def test_unassigned_partner_is_hidden_from_the_api(world, initech):
    api = APIClient()
    api.force_authenticate(world.manager)
    listed = api.get("/api/v1/partners/").json()["results"]
    assert sorted(p["code"] for p in listed) == ["ACME", "GLOBEX"]
    assert api.get("/api/v1/partners/INITECH/").status_code in (403, 404)


def _job_errors(client, text: str, django_capture_on_commit_callbacks) -> list[dict]:
    upload = SimpleUploadedFile("values.csv", text.encode())
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("imports"), {"file": upload, "kind": "metric_values"})
    job = import_job_run(job_id=ImportJob.objects.get().pk, preview=True)
    assert job.status == "invalid"
    return job.errors


def test_imports_refuse_rows_for_partners_the_manager_does_not_see(
    world, initech, client, django_capture_on_commit_callbacks
):
    """The file import, the bulk API and the single API: one rule, one message."""
    client.force_login(world.manager)
    text = (
        "partner_code,kpi_code,observed_on,value\n"
        "ACME,revenue,2026-07-01,5\nINITECH,revenue,2026-07-01,5\n"
    )
    errors = _job_errors(client, text, django_capture_on_commit_callbacks)
    assert errors == [{"line": 3, "field": "partner_code", "message": NOT_YOURS}]

    api = APIClient()
    api.force_authenticate(world.manager)
    row = {"partner": "INITECH", "kpi": "revenue", "observed_on": "2026-07-01", "value": 5}
    bulk = api.post("/api/v1/metric-values/bulk/", [row], format="json")
    assert bulk.status_code == 400
    assert [e["message"] for e in bulk.json()["errors"]] == [NOT_YOURS]
    single = api.post("/api/v1/metric-values/", row, format="json")
    assert single.status_code == 400 and single.json()["partner"] == [NOT_YOURS]
    assert not MetricValue.objects.exists()

    api.force_authenticate(world.admin)  # an admin sees every partner
    assert api.post("/api/v1/metric-values/", row, format="json").status_code == 201


def test_unknown_partner_is_still_unknown_not_unassigned(world, initech):
    api = APIClient()
    api.force_authenticate(world.manager)
    row = {"partner": "NOPE", "kpi": "revenue", "observed_on": "2026-07-01", "value": 5}
    response = api.post("/api/v1/metric-values/bulk/", [row], format="json")
    assert [e["message"] for e in response.json()["errors"]] == ["unknown partner code 'NOPE'"]


def test_partner_admin_invites_only_for_its_own_partner(world):
    PortalUser.objects.filter(user=world.acme_user).update(is_partner_admin=True)
    acme_admin = fresh(world.acme_user)
    assert can_invite(acme_admin, world.acme)
    assert not can_invite(acme_admin, world.globex)
    assert not can_invite(world.globex_user, world.globex)  # not a partner admin
    assert can_invite(world.manager, world.globex)
    assert partner_for_user(acme_admin, "ACME") == world.acme


def test_sign_ins_and_failures_are_recorded(world, client):
    client.post(reverse("login"), {"username": "acme", "password": "wrong-password"})
    client.post(reverse("login"), {"username": "acme", "password": "acme-pass-123"})
    events = list(AccessEvent.objects.order_by("id").values_list("kind", "username", "user"))
    assert events == [
        ("sign_in_failed", "acme", None),
        ("sign_in", "acme", world.acme_user.pk),
    ]
    assert AccessEvent.objects.filter(ip_address="127.0.0.1").count() == 2


def test_exports_are_recorded(world, client):
    client.force_login(world.acme_user)
    AccessEvent.objects.all().delete()
    client.get(reverse("scorecard-export", args=["ACME"]), {"period": "2026-Q3"})
    event = AccessEvent.objects.get()
    assert (event.kind, event.user, event.what) == (
        "export",
        world.acme_user,
        "scorecard ACME 2026-Q3 csv",
    )


def test_role_changes_are_in_the_audit_trail(world):
    portal = PortalUser.objects.get(user=world.acme_user)
    portal.is_partner_admin = True
    portal.save()
    profile = ManagerProfile.objects.create(user=world.manager, sees_all_partners=True)
    world.manager.groups.add(Group.objects.create(name=ALL_PARTNERS_GROUP))
    assert [h.is_partner_admin for h in portal.history.order_by("history_id")] == [False, True]
    assert profile.history.get().sees_all_partners is True
    latest = world.manager.history.order_by("-history_id").first()
    assert {row.group.name for row in latest.groups.all()} == {MANAGERS_GROUP, ALL_PARTNERS_GROUP}


def test_admin_lists_access_events(world, client):
    client.post(reverse("login"), {"username": "nobody", "password": "x-wrong-123"})
    client.force_login(world.admin)
    page = client.get(reverse("admin:partners_accessevent_changelist"))
    assert page.status_code == 200
    assert b"nobody" in page.content and b"Sign-in failed" in page.content


def test_whatif_shows_every_partner_so_only_those_who_see_all_open_it(world, initech, client):
    client.force_login(world.manager)
    assert client.get(reverse("whatif")).status_code == 404
    assert reverse("whatif") not in client.get(reverse("portfolio")).content.decode()
    ManagerProfile.objects.create(user=world.manager, sees_all_partners=True)
    assert client.get(reverse("whatif")).status_code == 200
    assert reverse("whatif") in client.get(reverse("portfolio")).content.decode()


def test_restricted_manager_follows_only_own_imports_and_imports_no_partners(
    world, initech, client, django_capture_on_commit_callbacks
):
    other = User.objects.get(username="other-manager")
    theirs = ImportJob.objects.create(
        kind="metric_values", user=other, original_name="x.csv", status="invalid"
    )
    client.force_login(world.manager)
    for name in ["import-detail", "import-status"]:
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404, name
    assert b"x.csv" not in client.get(reverse("imports")).content
    upload = SimpleUploadedFile("partners.csv", b"code,name,type,region,manager\n")
    refused = client.post(reverse("imports"), {"file": upload, "kind": "partners"})
    assert b"Partner imports are for admins and managers who see every partner" in (refused.content)
    assert ImportJob.objects.count() == 1
    client.force_login(world.admin)
    assert client.get(reverse("import-detail", args=[theirs.pk])).status_code == 200


def test_scorecard_names_only_neighbours_the_manager_sees(world, initech, client):
    """Ranked just above ACME is INITECH (another manager's): not named, not in the link."""
    from assessments.services import scorecards_recompute

    for partner, revenue in [(world.acme, 100000), (initech, 110000), (world.globex, 50000)]:
        for kpi, value in [(world.revenue, revenue), (world.nps, 40), (world.late, 5)]:
            MetricValue.objects.create(
                partner=partner, kpi=kpi, observed_on="2026-08-01", value=value
            )
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    client.force_login(world.manager)
    page = client.get(reverse("scorecard", args=["ACME"]), {"period": "2026-Q3"})
    html = page.content.decode()
    assert "Initech" not in html and "INITECH" not in html
    assert "partners=ACME&amp;partners=GLOBEX&amp;" in html  # compare with the one below
    client.force_login(world.admin)
    html = client.get(reverse("scorecard", args=["ACME"]), {"period": "2026-Q3"}).content
    assert b"partners=ACME&amp;partners=INITECH&amp;partners=GLOBEX" in html
