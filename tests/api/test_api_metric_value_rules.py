"""One home for what makes a metric value acceptable (kpis.imports.rules): a file import, a
bulk API call and a single API write refuse a bad value on the same field, in the same words."""

import io

import pytest

from kpis.imports import API_FIELD_OF, API_FIELDS, ImportFailed, metric_values_import
from kpis.models import KPI, MetricValue

GOOD = {"partner": "ACME", "kpi": "revenue", "observed_on": "2026-08-01", "value": "5"}


@pytest.fixture
def rules_world(world):
    world.nps.aggregation = "nps"
    world.nps.save()
    KPI.objects.create(code="growth", name="Growth", source="formula", formula="revenue * 2")


def file_errors(row: dict) -> set[tuple[str, str]]:
    csv = "partner_code,kpi_code,observed_on,value\n" + ",".join(row[f] for f in API_FIELDS)
    with pytest.raises(ImportFailed) as failed:
        metric_values_import(io.BytesIO(csv.encode() + b"\n"))
    return {(API_FIELD_OF[e.field], e.message) for e in failed.value.row_errors}


def bulk_errors(client, row: dict) -> set[tuple[str, str]]:
    response = client.post("/api/v1/metric-values/bulk/", [row], format="json")
    assert response.status_code == 400
    return {(e["field"], e["message"]) for e in response.json()["errors"]}


def single_errors(client, row: dict) -> set[tuple[str, str]]:
    response = client.post("/api/v1/metric-values/", row, format="json")
    assert response.status_code == 400
    return {(field, m) for field, messages in response.json().items() for m in messages}


@pytest.mark.parametrize(
    "change",
    [
        {"partner": "NOPE"},
        {"kpi": "bogus"},
        {"kpi": "growth"},  # a formula KPI: its inputs are imported, not its value
        {"observed_on": "2026-02-30"},
        {"observed_on": "yesterday"},
        {"value": "lots"},
        {"value": "NaN"},
        {"value": "inf"},
        {"kpi": "nps", "value": "4.5"},
        {"kpi": "nps", "value": "11"},
        {"partner": "NOPE", "value": "lots"},
    ],
)
def test_file_bulk_and_single_write_refuse_with_the_same_messages(rules_world, admin_api, change):
    row = GOOD | change
    expected = file_errors(row)
    assert expected
    assert bulk_errors(admin_api, row) == expected
    assert single_errors(admin_api, row) == expected


def test_json_numbers_read_as_the_file_reads_their_text(rules_world, admin_api):
    row = GOOD | {"kpi": "nps", "value": 4.5}
    expected = {("value", "an NPS answer is a whole number 0-10, got 4.5")}
    assert bulk_errors(admin_api, row) == single_errors(admin_api, row) == expected


def test_a_partial_update_is_checked_with_the_stored_fields(rules_world, admin_api):
    created = admin_api.post(
        "/api/v1/metric-values/", GOOD | {"kpi": "nps", "value": 7}, format="json"
    )
    url = f"/api/v1/metric-values/{created.json()['id']}/"
    response = admin_api.patch(url, {"value": 4.5}, format="json")
    assert response.status_code == 400
    assert response.json() == {"value": ["an NPS answer is a whole number 0-10, got 4.5"]}
    assert admin_api.patch(url, {"value": 9}, format="json").json()["value"] == 9


def test_stray_spaces_are_read_the_same_way(rules_world, admin_api):
    row = {"partner": " ACME ", "kpi": "revenue ", "observed_on": " 2026-08-01", "value": " 5 "}
    created = admin_api.post("/api/v1/metric-values/", row, format="json")
    assert created.status_code == 201, created.content
    assert (created.json()["partner"], created.json()["observed_on"]) == ("ACME", "2026-08-01")
    bulk = admin_api.post("/api/v1/metric-values/bulk/", [row | {"value": 6}], format="json")
    assert bulk.status_code == 200
    assert MetricValue.objects.get().value == 6
