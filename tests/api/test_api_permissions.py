"""Who may do what through the API: admin, channel manager, partner user, anonymous, and a
login with no role. A partner user sees its own partner's data only; others' answer 404."""

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from partners.access import MANAGERS_GROUP

CATALOG_LISTS = ["partner-types", "regions", "periods", "kpis"]  # no partner's data in them
PARTNER_LISTS = ["partners", "target-overrides", "metric-values", "scorecards", "tier-changes"]
NOT_FOR_PARTNERS = ["scoring-models", "recompute-runs"]
READ_LISTS = CATALOG_LISTS + PARTNER_LISTS + NOT_FOR_PARTNERS

pytestmark = pytest.mark.usefixtures("scored_module")  # one scored world for the module


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def partner_codes(response) -> set[str]:
    """The partners a list's rows belong to."""
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    return {row["partner"] if "partner" in row else row["code"] for row in rows}


@pytest.mark.parametrize("endpoint", READ_LISTS)
def test_anonymous_gets_401_everywhere(world, api, endpoint):
    response = api().get(f"/api/v1/{endpoint}/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_anonymous_cannot_write_or_bulk(world, api):
    assert api().post("/api/v1/metric-values/bulk/", [], format="json").status_code == 401
    assert api().delete("/api/v1/partners/ACME/").status_code == 401


@pytest.mark.parametrize("endpoint", READ_LISTS)
def test_login_without_a_role_is_refused(world, api, endpoint):
    nobody = User.objects.create_user("nobody", password="x-pass-123")
    assert api(nobody).get(f"/api/v1/{endpoint}/").status_code == 403


@pytest.mark.parametrize("endpoint", READ_LISTS)
def test_manager_reads_every_list(world, scored, api, endpoint):
    response = api(world.manager).get(f"/api/v1/{endpoint}/")
    assert response.status_code == 200
    assert response.json()["count"] >= 1


@pytest.mark.parametrize("endpoint", PARTNER_LISTS)
def test_partner_user_lists_hold_only_its_own_partner(world, scored, api, endpoint):
    url = f"/api/v1/{endpoint}/"
    assert partner_codes(api(world.manager).get(url)) == {"ACME", "GLOBEX"}  # a leak would show
    response = token_client(world.acme_user).get(url)
    assert partner_codes(response) == {"ACME"}
    content = response.content.decode()
    assert "GLOBEX" not in content and "Globex" not in content


@pytest.mark.parametrize("endpoint", CATALOG_LISTS)
def test_partner_user_reads_the_catalog_which_names_no_partner(world, scored, endpoint):
    response = token_client(world.acme_user).get(f"/api/v1/{endpoint}/")
    assert response.status_code == 200 and response.json()["count"] >= 1
    content = response.content.decode()
    assert "ACME" not in content and "GLOBEX" not in content


@pytest.mark.parametrize("endpoint", NOT_FOR_PARTNERS)
def test_partner_user_is_refused_models_and_runs(world, scored, endpoint):
    assert token_client(world.acme_user).get(f"/api/v1/{endpoint}/").status_code == 403


def test_partner_user_reads_its_own_objects(world, scored):
    client = token_client(world.acme_user)
    for url in [
        "/api/v1/partners/ACME/",
        "/api/v1/scorecards/ACME/2026-Q3/",
        f"/api/v1/metric-values/{scored.acme_value.pk}/",
        f"/api/v1/tier-changes/{scored.acme_change.pk}/",
        f"/api/v1/target-overrides/{scored.acme_override.pk}/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "GLOBEX" not in response.content.decode()
    card = client.get("/api/v1/scorecards/ACME/2026-Q3/").json()
    assert card["partner"] == "ACME" and len(card["lines"]) == 3


def test_partner_user_gets_404_on_other_partners_objects(world, scored):
    client = token_client(world.acme_user)
    for url in [
        "/api/v1/partners/GLOBEX/",
        "/api/v1/scorecards/GLOBEX/2026-Q3/",
        f"/api/v1/metric-values/{scored.globex_value.pk}/",
        f"/api/v1/tier-changes/{scored.globex_change.pk}/",
        f"/api/v1/target-overrides/{scored.globex_override.pk}/",
    ]:
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize(
    "endpoint, params",
    [
        ("partners", {"code": "GLOBEX"}),
        ("partners", {"q": "globex"}),
        ("scorecards", {"partner": "GLOBEX"}),
        ("metric-values", {"partner": "GLOBEX"}),
        ("tier-changes", {"partner": "GLOBEX"}),
        ("target-overrides", {"partner": "GLOBEX"}),
    ],
)
def test_partner_user_cannot_filter_its_way_to_other_partners(world, scored, api, endpoint, params):
    url = f"/api/v1/{endpoint}/"
    assert partner_codes(api(world.manager).get(url, params)) == {"GLOBEX"}  # the filter works
    assert partner_codes(token_client(world.acme_user).get(url, params)) == set()


def test_partner_user_cannot_write_anything(world, scored, api):
    client = api(world.acme_user)
    value = {"partner": "ACME", "kpi": "revenue", "observed_on": "2026-08-01", "value": 1}
    refused = [
        client.post("/api/v1/metric-values/", value, format="json"),
        client.post("/api/v1/metric-values/bulk/", [value], format="json"),
        client.patch(f"/api/v1/metric-values/{scored.acme_value.pk}/", {"value": 2}),
        client.delete(f"/api/v1/metric-values/{scored.acme_value.pk}/"),
        client.patch("/api/v1/partners/ACME/", {"name": "Mine"}, format="json"),
        client.delete(f"/api/v1/target-overrides/{scored.acme_override.pk}/"),
        client.post("/api/v1/periods/2026-Q3/close/"),
        client.post("/api/v1/regions/", {"code": "x", "name": "X"}, format="json"),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)


def test_manager_writes_metric_values_and_overrides_but_not_configuration(world, api):
    client = api(world.manager)
    value = {"partner": "ACME", "kpi": "revenue", "observed_on": "2026-08-01", "value": 1}
    override = {"partner": "ACME", "kpi": "nps", "period": "2026-Q2", "floor": 0, "target": 40}
    assert client.post("/api/v1/metric-values/", value, format="json").status_code == 201
    value["value"] = 2
    assert client.post("/api/v1/metric-values/bulk/", [value], format="json").status_code == 200
    assert client.post("/api/v1/target-overrides/", override, format="json").status_code == 201
    refused = [
        client.post("/api/v1/partner-types/", {"code": "msp", "name": "MSP"}, format="json"),
        client.post("/api/v1/regions/", {"code": "apac", "name": "APAC"}, format="json"),
        client.patch("/api/v1/partners/ACME/", {"name": "Acme"}, format="json"),
        client.post(
            "/api/v1/periods/",
            {"code": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"},
            format="json",
        ),
        client.delete("/api/v1/kpis/nps/"),
        client.post("/api/v1/periods/2026-Q3/close/"),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)


def test_staff_channel_manager_is_an_admin_but_staff_alone_is_no_role(world, api):
    staff = User.objects.create_user("staff", password="staff-pass-123", is_staff=True)
    body = {"code": "apac", "name": "APAC"}
    assert api(staff).post("/api/v1/regions/", body, format="json").status_code == 403
    staff.groups.add(Group.objects.get(name=MANAGERS_GROUP))
    staff = User.objects.get(pk=staff.pk)  # is_manager() caches on the instance
    assert api(staff).post("/api/v1/regions/", body, format="json").status_code == 201


def test_token_endpoint_returns_a_working_token(world, api):
    response = api().post(
        "/api/v1/auth/token/", {"username": "acme", "password": "acme-pass-123"}, format="json"
    )
    assert response.status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    partners = client.get("/api/v1/partners/").json()["results"]
    assert [p["code"] for p in partners] == ["ACME"]
    bad = api().post("/api/v1/auth/token/", {"username": "acme", "password": "nope"})
    assert bad.status_code == 400
