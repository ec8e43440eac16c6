"""POST /api/v1/metric-values/bulk/: all rows or none, every bad row named, idempotent."""

import datetime as dt

from kpis.models import MetricValue

URL = "/api/v1/metric-values/bulk/"


def rows(n: int = 3) -> list[dict]:
    return [
        {"partner": "ACME", "kpi": "revenue", "observed_on": f"2026-07-{d:02d}", "value": d * 10}
        for d in range(1, n + 1)
    ]


def test_good_rows_are_written_and_a_second_call_writes_nothing(
    world, admin_api, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = admin_api.post(URL, rows(), format="json")
    assert first.status_code == 200
    assert first.json() == {"rows": 3, "written": 3, "unchanged": 0, "preview": False}
    assert sent == [("period", world.q3.pk, "import")]
    again = admin_api.post(URL, rows(), format="json")
    assert again.json() == {"rows": 3, "written": 0, "unchanged": 3, "preview": False}
    assert MetricValue.objects.count() == 3


def test_a_changed_value_replaces_the_stored_one(world, admin_api):
    admin_api.post(URL, rows(), format="json")
    changed = rows()
    changed[1]["value"] = 999
    assert admin_api.post(URL, changed, format="json").json()["written"] == 1
    assert MetricValue.objects.get(observed_on="2026-07-02").value == 999


def test_preview_counts_new_and_replaced_and_writes_nothing(world, admin_api):
    admin_api.post(URL, rows(2), format="json")
    changed = rows(3)
    changed[0]["value"] = 1
    response = admin_api.post(f"{URL}?preview=true", changed, format="json")
    assert response.json() == {
        "rows": 3,
        "written": 2,
        "unchanged": 1,
        "preview": True,
        "new": 1,
        "replaced": 1,
    }
    assert MetricValue.objects.count() == 2
    assert MetricValue.objects.get(observed_on="2026-07-01").value == 10


def test_bad_rows_are_listed_with_index_and_field_and_nothing_is_written(world, admin_api):
    bad = rows(5)
    bad[1]["partner"] = "NOPE"
    bad[2]["observed_on"] = "2026-02-30"
    bad[3]["value"] = "lots"
    bad[4]["kpi"] = "bogus"
    response = admin_api.post(URL, bad, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {"index": 1, "field": "partner", "message": "unknown partner code 'NOPE'"},
            {
                "index": 2,
                "field": "observed_on",
                "message": "bad date '2026-02-30' (use YYYY-MM-DD)",
            },
            {"index": 3, "field": "value", "message": "value 'lots' is not a number"},
            {"index": 4, "field": "kpi", "message": "unknown KPI code 'bogus'"},
        ],
        "error_count": 4,
    }
    assert not MetricValue.objects.exists()


def test_duplicate_rows_in_one_request_are_refused(world, admin_api):
    response = admin_api.post(URL, rows(2) + rows(1), format="json")
    assert response.json()["errors"] == [
        {"index": 2, "field": "observed_on", "message": "same partner, KPI and date as line 0"}
    ]


def test_more_than_10000_rows_are_refused(world, admin_api):
    too_many = rows(1) * 10_001
    response = admin_api.post(URL, too_many, format="json")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["index"] is None and "At most 10000 rows" in error["message"]
    assert not MetricValue.objects.exists()


def test_exactly_10000_rows_are_accepted(world, admin_api):
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(1667)]
    many = [
        {"partner": partner, "kpi": kpi, "observed_on": day.isoformat(), "value": i}
        for i, day in enumerate(days)
        for partner in ("ACME", "GLOBEX")
        for kpi in ("revenue", "nps", "late_deliveries")
    ][:10_000]
    response = admin_api.post(URL, many, format="json")
    assert response.json() == {"rows": 10_000, "written": 10_000, "unchanged": 0, "preview": False}


def test_not_a_list_or_not_objects_or_empty(world, admin_api):
    not_a_list = admin_api.post(URL, {"partner": "ACME"}, format="json")
    assert not_a_list.status_code == 400
    assert "JSON list" in not_a_list.json()["errors"][0]["message"]
    scalars = admin_api.post(URL, [rows(1)[0], 5], format="json")
    assert scalars.json()["errors"] == [
        {"index": 1, "field": "", "message": "A row is a JSON object."}
    ]
    empty = admin_api.post(URL, [], format="json")
    assert empty.json()["errors"] == [{"index": None, "field": "", "message": "no rows were sent"}]
    bad_flag = admin_api.post(f"{URL}?preview=maybe", rows(1), format="json")
    assert bad_flag.status_code == 400 and bad_flag.json()["errors"][0]["field"] == "preview"


def test_a_body_that_is_not_json_gets_the_same_error_shape(world, admin_api):
    response = admin_api.post(URL, "\x00", content_type="application/json")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["index"] is None and "JSON parse error" in error["message"]
