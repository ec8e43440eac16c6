"""Create, read, update, delete through the API as an admin, and the 400/409 answers for bad
input (never a 500)."""

import pytest

from kpis.models import KPI, MetricValue, Period, TargetOverride
from partners.models import Partner, PartnerType, Region

pytestmark = pytest.mark.usefixtures("scored_module")  # one scored world for the module


@pytest.mark.parametrize("endpoint, model", [("partner-types", PartnerType), ("regions", Region)])
def test_admin_crud_of_types_and_regions(world, admin_api, endpoint, model):
    url = f"/api/v1/{endpoint}/"
    created = admin_api.post(url, {"code": "new", "name": "New"}, format="json")
    assert created.status_code == 201, created.content
    assert admin_api.get(f"{url}new/").json()["name"] == "New"
    changed = admin_api.patch(f"{url}new/", {"name": "Renamed"}, format="json")
    assert changed.json()["name"] == "Renamed"
    assert admin_api.delete(f"{url}new/").status_code == 204
    assert not model.objects.filter(code="new").exists()


def test_duplicate_code_is_a_400_on_the_code_field(world, admin_api):
    response = admin_api.post("/api/v1/regions/", {"code": "emea", "name": "x"}, format="json")
    assert response.status_code == 400
    assert "code" in response.json()


def test_deleting_a_type_in_use_is_a_409(world, admin_api):
    response = admin_api.delete("/api/v1/partner-types/reseller/")
    assert response.status_code == 409
    assert "partners" in response.json()["detail"]


def test_admin_crud_of_partners_by_code(world, admin_api):
    body = {
        "code": "INITECH",
        "name": "Initech",
        "partner_type": "reseller",
        "region": "emea",
        "manager": "manager",
        "joined_on": "2026-01-15",
    }
    created = admin_api.post("/api/v1/partners/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json() | {"id": None} == body | {"id": None, "is_active": True}
    response = admin_api.patch(
        "/api/v1/partners/INITECH/", {"region": None, "is_active": False}, format="json"
    )
    assert response.status_code == 200
    partner = Partner.objects.get(code="INITECH")
    assert partner.region is None and not partner.is_active
    assert admin_api.delete("/api/v1/partners/INITECH/").status_code == 204


@pytest.mark.parametrize(
    "change, field",
    [
        ({"partner_type": "nope"}, "partner_type"),
        ({"region": "nope"}, "region"),
        ({"manager": "acme"}, "manager"),  # a portal user is no channel manager
        ({"joined_on": "2026-02-30"}, "joined_on"),
        ({"code": "has space"}, "code"),
        ({"code": "GLOBEX"}, "code"),
    ],
)
def test_bad_partner_fields_are_400_naming_the_field(world, admin_api, change, field):
    body = {"code": "NEW", "name": "New", "partner_type": "reseller"} | change
    response = admin_api.post("/api/v1/partners/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_admin_crud_of_periods_and_close_reopen(
    world, admin_api, sent, django_capture_on_commit_callbacks
):
    body = {"code": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}
    created = admin_api.post("/api/v1/periods/", body, format="json")
    assert created.status_code == 201
    assert created.json()["status"] == "open"
    ignored = admin_api.patch("/api/v1/periods/2026-Q4/", {"status": "closed"}, format="json")
    assert ignored.json()["status"] == "open"  # read-only here: use close/reopen
    closed = admin_api.post("/api/v1/periods/2026-Q4/close/")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    with django_capture_on_commit_callbacks(execute=True):
        reopened = admin_api.post("/api/v1/periods/2026-Q4/reopen/")
    assert reopened.json()["status"] == "open"
    period = Period.objects.get(code="2026-Q4")
    assert sent == [("period", period.pk, "period reopened")]
    assert admin_api.delete("/api/v1/periods/2026-Q4/").status_code == 204


def test_period_errors(world, scored, admin_api):
    backwards = {"code": "X1", "start": "2026-12-31", "end": "2026-10-01"}
    assert "end" in admin_api.post("/api/v1/periods/", backwards, format="json").json()
    same_start = {"code": "X2", "start": "2026-07-01", "end": "2026-09-30"}
    response = admin_api.post("/api/v1/periods/", same_start, format="json")
    assert response.status_code == 400
    slash = {"code": "2026/Q4", "start": "2026-10-01", "end": "2026-12-31"}
    assert "code" in admin_api.post("/api/v1/periods/", slash, format="json").json()
    in_use = admin_api.delete("/api/v1/periods/2026-Q3/")
    assert in_use.status_code == 409 and "close it" in in_use.json()["detail"]


def test_admin_crud_of_kpis_with_formula_check(world, admin_api):
    growth = {
        "code": "growth",
        "name": "Growth",
        "source": "formula",
        "formula": "100 * (revenue / prev(revenue) - 1)",
        "unit": "%",
    }
    assert admin_api.post("/api/v1/kpis/", growth, format="json").status_code == 201
    assert KPI.objects.get(code="growth").formula == growth["formula"]
    bad = admin_api.patch("/api/v1/kpis/growth/", {"formula": "revenue +"}, format="json")
    assert bad.status_code == 400 and list(bad.json()) == ["formula"]
    unknown = admin_api.patch("/api/v1/kpis/growth/", {"formula": "bogus * 2"}, format="json")
    assert "bogus" in unknown.json()["formula"][0]
    cycle = admin_api.patch("/api/v1/kpis/growth/", {"formula": "growth + 1"}, format="json")
    assert cycle.status_code == 400 and "formula" in cycle.json()
    plain = admin_api.patch("/api/v1/kpis/nps/", {"formula": "revenue"}, format="json")
    assert plain.status_code == 400 and "formula" in plain.json()
    renamed = admin_api.patch("/api/v1/kpis/nps/", {"code": "nps2"}, format="json")
    assert renamed.status_code == 400 and "code" in renamed.json()
    assert admin_api.delete("/api/v1/kpis/growth/").status_code == 204
    assert admin_api.delete("/api/v1/kpis/revenue/").status_code == 409  # model lines use it


def test_scoring_models_come_with_versions_lines_and_tiers(world, admin_api):
    model = admin_api.get("/api/v1/scoring-models/reseller/").json()
    assert model["partner_type"] == "reseller"
    (version,) = model["versions"]
    assert (version["number"], version["status"]) == (1, "active")
    assert [line["kpi"] for line in version["lines"]] == ["revenue", "late_deliveries", "nps"]
    assert [tier["name"] for tier in version["tiers"]] == ["Gold", "Silver", "Member"]
    created = admin_api.post("/api/v1/scoring-models/", {}, format="json")  # writes: issue 10
    assert created.status_code == 400 and "code" in created.json()
    assert admin_api.delete("/api/v1/scoring-models/reseller/").status_code == 405


def test_target_override_crud_validates_thresholds_and_recomputes(
    world, admin_api, sent, django_capture_on_commit_callbacks
):
    body = {"partner": "ACME", "kpi": "late_deliveries", "period": "2026-Q3"}
    wrong_way = body | {"floor": 5, "target": 20}  # lower is better: the floor is above
    response = admin_api.post("/api/v1/target-overrides/", wrong_way, format="json")
    assert response.status_code == 400 and list(response.json()) == ["floor"]
    with django_capture_on_commit_callbacks(execute=True):
        created = admin_api.post(
            "/api/v1/target-overrides/", body | {"floor": 20, "target": 5}, format="json"
        )
    assert created.status_code == 201, created.content
    assert sent == [("partner", world.q3.pk, world.acme.pk, "target override")]
    url = f"/api/v1/target-overrides/{created.json()['id']}/"
    stretch = admin_api.patch(url, {"stretch": 10}, format="json")
    assert stretch.status_code == 400 and list(stretch.json()) == ["stretch"]
    again = admin_api.post(
        "/api/v1/target-overrides/", body | {"floor": 20, "target": 4}, format="json"
    )
    assert again.status_code == 400  # one override per partner, KPI and period
    assert admin_api.delete(url).status_code == 204
    assert not TargetOverride.objects.filter(pk=created.json()["id"]).exists()


def test_metric_value_crud_recomputes_the_partner(
    world, admin_api, sent, django_capture_on_commit_callbacks
):
    body = {"partner": "ACME", "kpi": "revenue", "observed_on": "2026-08-01", "value": 5}
    with django_capture_on_commit_callbacks(execute=True):
        created = admin_api.post("/api/v1/metric-values/", body, format="json")
    assert created.status_code == 201
    assert sent == [("partner", world.q3.pk, world.acme.pk, "api")]
    url = f"/api/v1/metric-values/{created.json()['id']}/"
    sent.reset()
    with django_capture_on_commit_callbacks(execute=True):
        moved = admin_api.patch(url, {"observed_on": "2026-05-01"}, format="json")
    assert moved.json()["observed_on"] == "2026-05-01"
    assert sorted(sent) == [
        ("partner", world.q2.pk, world.acme.pk, "api"),
        ("partner", world.q3.pk, world.acme.pk, "api"),
    ]
    assert admin_api.put(url, body | {"value": 7}, format="json").json()["value"] == 7
    sent.reset()
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_api.delete(url).status_code == 204
    assert sent == [("partner", world.q3.pk, world.acme.pk, "api")]
    assert not MetricValue.objects.filter(pk=created.json()["id"]).exists()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"observed_on": "2026-13-01"}, "observed_on"),
        ({"observed_on": "yesterday"}, "observed_on"),
        ({"value": "lots"}, "value"),
        ({"value": "NaN"}, "value"),
        ({"partner": "NOPE"}, "partner"),
        ({"kpi": "nope"}, "kpi"),
        ({"kpi": "nps", "value": 4.5}, "value"),
    ],
)
def test_bad_metric_values_are_400_naming_the_field(world, admin_api, change, field):
    world.nps.aggregation = "nps"
    world.nps.save()
    body = {"partner": "ACME", "kpi": "revenue", "observed_on": "2026-08-01", "value": 5}
    response = admin_api.post("/api/v1/metric-values/", body | change, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_duplicate_metric_value_and_formula_kpi_are_refused(world, admin_api):
    KPI.objects.create(code="growth", name="G", source="formula", formula="revenue * 2")
    body = {"partner": "ACME", "kpi": "revenue", "observed_on": "2026-08-01", "value": 5}
    assert admin_api.post("/api/v1/metric-values/", body, format="json").status_code == 201
    assert admin_api.post("/api/v1/metric-values/", body, format="json").status_code == 400
    formula = admin_api.post("/api/v1/metric-values/", body | {"kpi": "growth"}, format="json")
    assert formula.status_code == 400 and "formula KPI" in formula.json()["kpi"][0]


def test_read_only_lists_refuse_writes_and_odd_ids_are_404(world, scored, admin_api):
    assert admin_api.post("/api/v1/scorecards/", {}, format="json").status_code == 405
    assert admin_api.delete(f"/api/v1/tier-changes/{scored.acme_change.pk}/").status_code == 405
    run = admin_api.get(f"/api/v1/recompute-runs/{scored.run.pk}/").json()
    assert (run["period"], run["status"], run["scorecards"]) == ("2026-Q3", "succeeded", 2)
    assert admin_api.get("/api/v1/metric-values/99999999999999999999999/").status_code == 404
    assert admin_api.get("/api/v1/periods/2026-Q3%00/").status_code == 404
    assert admin_api.get("/api/v1/scorecards/abc/").status_code == 404
    assert admin_api.get(f"/api/v1/scorecards/{scored.acme_card.pk}/").status_code == 404


def test_non_json_bodies_are_refused(world, admin_api):
    response = admin_api.post(
        "/api/v1/regions/", "code=x&name=y", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    broken = admin_api.post("/api/v1/regions/", "{", content_type="application/json")
    assert broken.status_code == 400


def test_scorecards_come_with_their_lines(world, scored, admin_api):
    body = admin_api.get("/api/v1/scorecards/", {"period": "2026-Q3"}).json()
    assert body["count"] == 2
    acme = body["results"][0]
    assert (acme["partner"], acme["tier"], acme["status"]) == ("ACME", "Gold", "ok")
    assert (acme["model"], acme["model_version"], acme["region"]) == ("reseller", 1, "emea")
    lines = {line["kpi"]: line for line in acme["lines"]}
    assert list(lines) == ["revenue", "late_deliveries", "nps"]
    assert lines["revenue"]["value"] == 120000 and lines["nps"]["overridden"] is True
    assert acme["url"] == "http://testserver/api/v1/scorecards/ACME/2026-Q3/"
    detail = admin_api.get("/api/v1/scorecards/ACME/2026-Q3/").json()
    assert detail["lines"] == acme["lines"] and detail["score"] == acme["score"]


def test_a_scorecards_address_survives_a_full_recompute(world, scored, admin_api, api):
    from assessments.services import scorecards_recompute

    before = admin_api.get("/api/v1/scorecards/ACME/2026-Q3/").json()
    scorecards_recompute(period_id=world.q3.pk, trigger="again")
    after = admin_api.get("/api/v1/scorecards/ACME/2026-Q3/")
    assert after.status_code == 200
    assert after.json() == before | {"computed_at": after.json()["computed_at"]}
    assert after.json()["computed_at"] > before["computed_at"]  # a new row, the same address
    assert api(world.acme_user).get("/api/v1/scorecards/GLOBEX/2026-Q3/").status_code == 404
    assert admin_api.get("/api/v1/scorecards/ACME/1999-Q1/").status_code == 404


def test_a_constraint_the_serializer_missed_is_still_a_400(world, admin_api, monkeypatch):
    from assessments.api.serializers import PeriodSerializer

    monkeypatch.setattr(PeriodSerializer, "validate", lambda self, attrs: attrs)
    backwards = {"code": "X1", "start": "2026-12-31", "end": "2026-10-01"}
    response = admin_api.post("/api/v1/periods/", backwards, format="json")
    assert response.status_code == 400
    assert "period_start_before_end" in response.json()["non_field_errors"][0]
    assert not Period.objects.filter(code="X1").exists()
