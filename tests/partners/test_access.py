"""Roles are decided in partners.access alone, the same for the pages, the import pages, the
API and the navigation. A staff user with no other role sees no business data."""

import pathlib
import re

import pytest
from django.contrib.auth.models import AnonymousUser, Group, User
from django.urls import reverse
from rest_framework.test import APIClient

from partners.access import MANAGERS_GROUP, Role, can_import, role, visible_partners

ROOT = pathlib.Path(__file__).resolve().parents[2]
READS_ROLE_FLAGS = re.compile(r"\.is_staff\b|groups__name")


@pytest.fixture
def staff(world) -> User:
    """Staff (may open the Django admin) but neither superuser, manager nor portal user."""
    return User.objects.create_user("staff", password="staff-pass-123", is_staff=True)


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # role() caches on the instance


def test_roles_of_the_personas(world, staff):
    staff_manager = User.objects.create_user("boss", password="x-pass-123", is_staff=True)
    staff_manager.groups.add(Group.objects.get(name=MANAGERS_GROUP))
    inactive = User.objects.create_user("gone", password="x-pass-123", is_active=False)
    inactive.groups.add(Group.objects.get(name=MANAGERS_GROUP))
    assert role(world.admin) == Role.ADMIN
    assert role(fresh(staff_manager)) == Role.ADMIN
    assert role(world.manager) == Role.MANAGER
    assert role(world.acme_user) == Role.PARTNER
    assert role(staff) is None
    assert role(fresh(inactive)) is None
    assert role(AnonymousUser()) is None


def test_only_managers_and_admins_import(world, staff):
    assert can_import(world.admin) and can_import(world.manager)
    assert not can_import(world.acme_user)
    assert not can_import(staff)
    assert not can_import(AnonymousUser())


def test_staff_alone_sees_no_business_data(world, staff, client):
    assert not visible_partners(staff).exists()
    client.force_login(staff)
    assert client.get(reverse("home")).status_code == 403
    for url in [
        reverse("portfolio"),
        reverse("portfolio-export"),
        reverse("scorecard", args=["ACME"]),
        reverse("imports"),
    ]:
        assert client.get(url).status_code == 404, url
    api = APIClient()
    api.force_authenticate(staff)
    assert api.get("/api/v1/partners/").status_code == 403
    value = {"partner": "ACME", "kpi": "revenue", "observed_on": "2026-08-01", "value": 1}
    assert api.post("/api/v1/metric-values/", value, format="json").status_code == 403


def test_navigation_offers_what_access_allows(world, staff, client):
    client.force_login(staff)
    nav = client.get(reverse("home")).content.decode()
    assert reverse("imports") not in nav and reverse("portfolio") not in nav
    assert reverse("admin:index") in nav  # the Django admin: Django's own permissions
    client.force_login(world.manager)
    nav = client.get(reverse("imports")).content.decode()
    assert reverse("imports") in nav and reverse("portfolio") in nav


def test_no_module_outside_access_reads_is_staff_or_the_managers_group():
    """One home for the rule: the code asks partners.access, never the user's flags."""
    offenders = [
        str(path.relative_to(ROOT))
        for app in ("partners", "kpis", "assessments", "feedback", "partnerscore")
        for path in (ROOT / app).rglob("*.py")
        if path.name != "access.py" and "migrations" not in path.parts
        if READS_ROLE_FLAGS.search(path.read_text())
    ]
    assert offenders == []


def test_a_staff_portal_user_cannot_see_or_make_imports(world, client):
    """Found by the attacker's walk: the staff flag used to open the import pages."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kpis.models import ImportJob, MetricValue

    world.acme_user.is_staff = True
    world.acme_user.save()
    job = ImportJob.objects.create(user=world.manager, original_name="globex.csv")
    client.force_login(world.acme_user)
    assert client.get("/imports/").status_code == 404
    assert client.get(f"/imports/{job.pk}/").status_code == 404
    assert client.get(f"/imports/{job.pk}/status/").status_code == 404
    text = b"partner_code,kpi_code,observed_on,value\nGLOBEX,revenue,2026-08-01,1\n"
    upload = SimpleUploadedFile("x.csv", text)
    assert client.post("/imports/", {"file": upload, "kind": "metric_values"}).status_code == 404
    assert client.post(f"/imports/{job.pk}/confirm/").status_code == 404
    assert ImportJob.objects.count() == 1 and not MetricValue.objects.exists()
