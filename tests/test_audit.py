"""The audit trail (django-simple-history): every kind of change is recorded with the right
user (admin page, API with a token, a service called outside any request), before and after;
the history page shows the diff to admins only."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from assessments.models import Scorecard
from assessments.services import period_close
from kpis.models import KPI, MetricValue, ModelLine, ScoringModelVersion, Tier, VersionStatus
from kpis.services import version_draft_create, version_publish
from partners.access import MANAGERS_GROUP
from partners.models import Partner, PortalUser
from partnerscore.audit import history_model_for


def latest(obj):
    return obj.history.order_by("-history_date", "-history_id").first()


def changes(record) -> dict:
    delta = record.diff_against(record.prev_record)
    return {c.field: (c.old, c.new) for c in delta.changes}


def history_url(obj) -> str:
    return reverse("history", args=[obj._meta.app_label, obj._meta.model_name, obj.pk])


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# -- who made the change -------------------------------------------------------------------------


def test_an_admin_page_save_records_the_admin_with_before_and_after(world):
    kpi = world.revenue
    response = signed_in(world.admin).post(
        reverse("admin:kpis_kpi_change", args=[kpi.pk]),
        {
            "code": "revenue",
            "name": "Revenue (net)",
            "category": "sales",
            "unit": "EUR",
            "direction": "higher",
            "source": "import",
            "aggregation": "sum",
            "formula": "",
            "description": "",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    record = latest(kpi)
    assert record.history_type == "~"
    assert record.history_user == world.admin
    assert changes(record) == {"name": ("Revenue", "Revenue (net)"), "unit": ("USD", "EUR")}


def test_an_api_write_with_a_token_records_the_tokens_user(world):
    token = Token.objects.create(user=world.admin)
    response = Client().patch(
        "/api/v1/kpis/nps/",
        {"name": "Net Promoter Score"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert response.status_code == 200, response.content
    record = latest(world.nps)
    assert record.history_user == world.admin  # DRF authenticated after the middleware ran
    assert changes(record) == {"name": ("NPS", "Net Promoter Score")}


def test_a_managers_api_write_of_an_override_records_the_manager(world):
    token = Token.objects.create(user=world.manager)
    response = Client().post(
        "/api/v1/target-overrides/",
        {
            "partner": "ACME",
            "kpi": "revenue",
            "period": "2026-Q3",
            "floor": 0,
            "target": 80000,
            "stretch": 120000,
            "reason": "new territory",
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert response.status_code == 201, response.content
    override = world.acme.target_overrides.get()
    record = latest(override)
    assert (record.history_type, record.history_user, record.target) == ("+", world.manager, 80000)


def test_a_service_call_outside_a_request_has_no_user_and_says_why(world):
    period_close(period=world.q2)
    record = latest(world.q2)
    assert record.history_user is None
    assert record.history_change_reason == "closed"
    assert changes(record)["status"] == ("open", "closed")


def test_a_draft_copies_its_lines_and_tiers_with_creation_records_and_publish_retires(world):
    draft = version_draft_create(model=world.version.model)
    lines = ModelLine.objects.filter(version=draft)
    assert lines.count() == 3
    history = history_model_for(ModelLine)
    assert history.objects.filter(version_id=draft.pk, history_type="+").count() == 3
    assert history_model_for(Tier).objects.filter(version_id=draft.pk).count() == 3
    version_publish(version=draft, user=world.admin)
    retired = latest(world.version)
    assert retired.status == VersionStatus.RETIRED
    assert retired.history_change_reason == f"retired by v{draft.number}"
    assert changes(retired) == {"status": ("active", "retired")}
    published = latest(ScoringModelVersion.objects.get(pk=draft.pk))
    assert changes(published)["status"] == ("draft", "active")


def test_group_membership_is_recorded_from_either_side(world):
    user = User.objects.create_user("newcomer")
    managers = Group.objects.get(name=MANAGERS_GROUP)
    managers.user_set.add(user)  # the reverse side, as the group admin and the demo do
    added = latest(user)
    assert [row.group for row in added.groups.all()] == [managers]
    user.groups.remove(managers)
    removed = latest(user)
    assert list(removed.groups.all()) == []
    assert removed.history_id != added.history_id
    managers.user_set.add(user)
    managers.user_set.clear()  # a clear names no user: each member gets a version
    assert list(latest(user).groups.all()) == []
    assert list(latest(world.manager).groups.all()) == []


def test_role_fields_and_portal_links_are_recorded_but_never_the_password(world):
    world.acme_user.is_staff = True
    world.acme_user.set_password("another-pass-456")
    world.acme_user.save()
    record = latest(world.acme_user)
    assert changes(record) == {"is_staff": (False, True)}
    assert not hasattr(record, "password") and not hasattr(record, "last_login")
    link = PortalUser.objects.get(user=world.acme_user)
    link.partner = world.globex
    link.save()
    assert changes(latest(link)) == {"partner": (world.acme.pk, world.globex.pk)}


def test_signing_in_stamps_last_login_but_adds_no_version(world):
    before = world.manager.history.count()
    response = Client().post(
        reverse("login"), {"username": "manager", "password": "manager-pass-123"}
    )
    assert response.status_code == 302
    world.manager.refresh_from_db()
    assert world.manager.last_login is not None
    assert world.manager.history.count() == before


def test_metric_values_and_scorecards_are_not_audited():
    assert history_model_for(MetricValue) is None
    assert history_model_for(Scorecard) is None
    assert history_model_for(Partner) is not None


# -- the history page ----------------------------------------------------------------------------


def test_the_history_page_shows_who_when_and_each_field_before_and_after(world):
    kpi = world.revenue
    client = signed_in(world.admin)
    kpi.name, kpi.direction = "Revenue (net)", "lower"
    kpi._history_user = world.manager  # as if the manager had saved it
    kpi.save()
    response = client.get(history_url(kpi))
    assert response.status_code == 200
    first = response.context["trail"].entries[0]
    assert (first.action, first.who) == ("changed", "manager")
    shown = {(c.label, c.before, c.after) for c in first.changes}
    assert shown == {
        ("Name", "Revenue", "Revenue (net)"),
        ("Direction", "Higher is better", "Lower is better"),  # choices by their label
    }
    created = response.context["trail"].entries[-1]
    assert created.action == "created"
    assert ("Code", "—", "revenue") in {(c.label, c.before, c.after) for c in created.changes}
    html = response.content.decode()
    assert "Revenue (net)" in html and "Lower is better" in html
    assert reverse("admin:kpis_kpi_change", args=[kpi.pk]) in html


def test_the_history_page_names_groups_and_related_objects(world):
    world.acme.manager = world.admin
    world.acme.save()
    entry = signed_in(world.admin).get(history_url(world.acme)).context["trail"].entries[0]
    assert [(c.label, c.before, c.after) for c in entry.changes] == [
        ("Manager", "manager", "admin")
    ]
    user = User.objects.create_user("newcomer")
    user.groups.add(Group.objects.get(name=MANAGERS_GROUP))
    entry = signed_in(world.admin).get(history_url(user)).context["trail"].entries[0]
    assert [(c.label, c.before, c.after) for c in entry.changes] == [
        ("Groups", "—", MANAGERS_GROUP)
    ]


def test_a_deleted_object_keeps_its_history(world):
    kpi = KPI.objects.create(code="temp", name="Temporary")
    url = history_url(kpi)
    kpi.delete()
    trail = signed_in(world.admin).get(url).context["trail"]
    assert [entry.action for entry in trail.entries] == ["deleted", "created"]


@pytest.mark.parametrize("persona", ["manager", "acme_user", "globex_user"])
def test_only_admins_see_the_history_page(world, persona):
    response = signed_in(getattr(world, persona)).get(history_url(world.revenue))
    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(world):
    response = Client().get(history_url(world.revenue))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(
    "path",
    [
        "/history/kpis/nosuchmodel/1/",
        "/history/kpis/metricvalue/1/",  # not audited
        "/history/assessments/scorecard/1/",
        "/history/kpis/kpi/999999/",  # no such object, never recorded
        "/history/kpis/kpi/not-a-number/",
    ],
)
def test_unknown_unaudited_or_unrecorded_objects_are_404(world, path):
    assert signed_in(world.admin).get(path).status_code == 404


def test_admin_change_pages_link_to_the_history(world):
    client = signed_in(world.admin)
    for obj, name in [(world.revenue, "kpis_kpi"), (world.acme, "partners_partner")]:
        html = client.get(reverse(f"admin:{name}_change", args=[obj.pk])).content.decode()
        assert f'href="{history_url(obj)}"' in html
    html = client.get(reverse("admin:auth_user_change", args=[world.manager.pk])).content
    assert f'href="{history_url(world.manager)}"'.encode() in html


def test_a_partner_import_records_new_and_changed_partners(world):
    from kpis.imports.partners import partners_upsert

    result = partners_upsert(
        [
            {
                "code": "ACME",
                "name": "Acme Corp",
                "partner_type": "reseller",
                "region": "emea",
                "manager": "admin",
            },
            {
                "code": "INITECH",
                "name": "Initech",
                "partner_type": "reseller",
                "region": "emea",
                "manager": "manager",
            },
            {
                "code": "GLOBEX",
                "name": "Globex",
                "partner_type": "reseller",
                "region": "emea",
                "manager": "manager",
            },
        ]
    )
    assert (result.new, result.replaced, result.unchanged) == (1, 1, 1)
    acme = latest(world.acme)
    assert acme.history_change_reason == "partner import"
    assert changes(acme) == {"manager": (world.manager.pk, world.admin.pk)}
    initech = latest(Partner.objects.get(code="INITECH"))
    assert (initech.history_type, initech.name) == ("+", "Initech")
    assert world.globex.history.count() == 1  # unchanged: no new version
