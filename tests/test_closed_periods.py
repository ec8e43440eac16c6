"""SCORING.md 7: a closed period's inputs are frozen on every write path (model validation as
the admin uses it, the admin's delete page and action, the API's single and bulk writes, the
file import and its command), with an error that names the period; and SCORING.md 1: an
override for a KPI outside the partner's model is refused on every path."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from assessments.services import period_close, period_reopen
from kpis.imports import ImportFailed, metric_values_import
from kpis.imports.jobs import import_job_run
from kpis.models import (
    KPI,
    ImportJob,
    MetricValue,
    Period,
    TargetOverride,
    period_open_check,
)

Q2_DAY, Q3_DAY = dt.date(2026, 5, 15), dt.date(2026, 8, 15)
FROZEN = (
    "falls in the closed period 2026-Q2: its inputs are frozen (reopen the period to change them)"
)
HEADER = "partner_code,kpi_code,observed_on,value\n"


@pytest.fixture
def closed_q2(world):
    """ACME has a value and an override in Q2, then Q2 is closed; Q3 stays open."""
    value = MetricValue.objects.create(
        partner=world.acme, kpi=world.revenue, observed_on=Q2_DAY, value=1000
    )
    override = TargetOverride.objects.create(
        partner=world.acme, kpi=world.nps, period=world.q2, floor=0, target=40
    )
    period_close(period=world.q2)
    world.q2.refresh_from_db()
    return value, override


@pytest.fixture
def admin_api(world):
    client = APIClient()
    client.force_authenticate(world.admin)
    return client


@pytest.fixture
def manager_api(world):
    client = APIClient()
    client.force_authenticate(world.manager)
    return client


# -- the one helper every input calls (metric values now; survey responses, assessments) ----


def test_the_helper_names_the_closed_period_by_day_and_by_period(world, closed_q2):
    with pytest.raises(ValidationError) as caught:
        period_open_check(day=Q2_DAY, what="a survey response dated 2026-05-15")
    assert caught.value.messages == [f"A survey response dated 2026-05-15 {FROZEN}."]
    assert caught.value.error_list[0].code == "period_closed"
    with pytest.raises(ValidationError, match="closed period 2026-Q2"):
        period_open_check(period=world.q2, what="an assessment")
    period_open_check(day=Q3_DAY, what="a survey response")  # open: no error
    period_open_check(period=world.q3, what="an assessment")


def test_a_closed_month_inside_an_open_quarter_is_frozen(world):
    month = Period.objects.create(
        code="2026-08",
        start=dt.date(2026, 8, 1),
        end=dt.date(2026, 8, 31),
        granularity="month",
        status="closed",
    )
    with pytest.raises(ValidationError, match="closed period 2026-08"):
        period_open_check(day=Q3_DAY, what="a metric value")
    period_open_check(day=dt.date(2026, 9, 1), what="a metric value")
    assert month.code == "2026-08"


# -- model validation (the admin's forms run it) ----------------------------------------------


def test_model_validation_refuses_creating_and_moving_values_of_a_closed_period(world, closed_q2):
    value, _ = closed_q2
    new = MetricValue(partner=world.globex, kpi=world.revenue, observed_on=Q2_DAY, value=5)
    with pytest.raises(ValidationError) as caught:
        new.full_clean()
    assert caught.value.message_dict["observed_on"] == [
        f"A metric value dated 2026-05-15 {FROZEN}."
    ]
    value.observed_on = Q3_DAY  # moving it out of the closed period changes it too
    with pytest.raises(ValidationError, match="dated 2026-05-15 falls in the closed period"):
        value.full_clean()
    with pytest.raises(ValidationError, match="2026-Q2"):
        MetricValue.objects.get(pk=value.pk).delete_check()


def test_model_validation_refuses_overrides_of_a_closed_period(world, closed_q2):
    _, override = closed_q2
    new = TargetOverride(partner=world.globex, kpi=world.nps, period=world.q2, floor=0, target=40)
    with pytest.raises(ValidationError) as caught:
        new.full_clean()
    assert caught.value.messages == [f"This target override {FROZEN}."]
    override.period = world.q3
    with pytest.raises(ValidationError, match="closed period 2026-Q2"):
        override.full_clean()


def test_reopening_lets_the_inputs_change_again(world, closed_q2):
    value, override = closed_q2
    period_reopen(period=world.q2)
    value.refresh_from_db()
    value.value = 2000
    value.full_clean()
    override.refresh_from_db()
    override.full_clean()


# -- the admin -------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


def test_admin_add_and_change_of_a_closed_periods_value_show_the_period(
    world, closed_q2, admin_client
):
    value, _ = closed_q2
    body = {
        "partner": world.globex.pk,
        "kpi": world.revenue.pk,
        "observed_on": "2026-05-20",
        "value": "5",
    }
    response = admin_client.post(reverse("admin:kpis_metricvalue_add"), body)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["observed_on"] == [
        f"A metric value dated 2026-05-20 {FROZEN}."
    ]
    assert not MetricValue.objects.filter(partner=world.globex).exists()
    body.update(partner=world.acme.pk, observed_on="2026-05-15", value="9")
    response = admin_client.post(reverse("admin:kpis_metricvalue_change", args=[value.pk]), body)
    assert "closed period 2026-Q2" in str(response.context["adminform"].form.errors)
    value.refresh_from_db()
    assert value.value == 1000


def test_admin_delete_page_and_action_refuse_a_closed_periods_rows(world, closed_q2, admin_client):
    value, override = closed_q2
    url = reverse("admin:kpis_metricvalue_delete", args=[value.pk])
    page = admin_client.get(url)
    assert "closed period 2026-Q2" in page.content.decode()
    admin_client.post(url, {"post": "yes"})
    assert MetricValue.objects.filter(pk=value.pk).exists()
    open_value = MetricValue.objects.create(
        partner=world.acme, kpi=world.revenue, observed_on=Q3_DAY, value=1
    )
    action = {
        "action": "delete_selected",
        "_selected_action": [value.pk, open_value.pk],
        "post": "yes",
    }
    response = admin_client.post(reverse("admin:kpis_metricvalue_changelist"), action)
    assert "closed period 2026-Q2" in response.content.decode()
    assert MetricValue.objects.filter(pk__in=[value.pk, open_value.pk]).count() == 2
    url = reverse("admin:kpis_targetoverride_delete", args=[override.pk])
    admin_client.post(url, {"post": "yes"})
    assert TargetOverride.objects.filter(pk=override.pk).exists()
    # an open period's value is deleted as before
    admin_client.post(
        reverse("admin:kpis_metricvalue_delete", args=[open_value.pk]), {"post": "yes"}
    )
    assert not MetricValue.objects.filter(pk=open_value.pk).exists()


def test_admin_refuses_an_override_outside_the_model_and_in_a_closed_period(
    world, closed_q2, admin_client
):
    outside = KPI.objects.create(code="training_hours", name="Training hours")
    body = {
        "partner": world.acme.pk,
        "kpi": outside.pk,
        "period": world.q3.pk,
        "floor": "0",
        "target": "10",
        "stretch": "",
        "reason": "",
    }
    response = admin_client.post(reverse("admin:kpis_targetoverride_add"), body)
    assert response.context["adminform"].form.errors["kpi"] == [
        "training_hours is not a KPI line of ACME's scoring model (reseller v1: "
        "late_deliveries, nps, revenue); an override applies only to a KPI the partner is "
        "scored on."
    ]
    body.update(kpi=world.revenue.pk, period=world.q2.pk, floor="0", target="100")
    response = admin_client.post(reverse("admin:kpis_targetoverride_add"), body)
    assert f"This target override {FROZEN}." in str(response.context["adminform"].form.errors)
    assert TargetOverride.objects.count() == 1


# -- the API ---------------------------------------------------------------------------------


def test_api_metric_value_writes_of_a_closed_period_are_400_naming_it(
    world, closed_q2, manager_api
):
    value, _ = closed_q2
    row = {"partner": "GLOBEX", "kpi": "revenue", "observed_on": "2026-05-20", "value": 3}
    created = manager_api.post("/api/v1/metric-values/", row, format="json")
    assert created.status_code == 400
    assert created.json() == {"observed_on": [f"date 2026-05-20 {FROZEN}"]}
    changed = manager_api.patch(f"/api/v1/metric-values/{value.pk}/", {"value": 9}, format="json")
    assert changed.status_code == 400
    assert changed.json() == {"observed_on": [f"date 2026-05-15 {FROZEN}"]}  # its stored date
    moved = manager_api.patch(
        f"/api/v1/metric-values/{value.pk}/", {"observed_on": "2026-08-01"}, format="json"
    )
    assert moved.status_code == 400 and "2026-Q2" in str(moved.json())
    deleted = manager_api.delete(f"/api/v1/metric-values/{value.pk}/")
    assert deleted.status_code == 400
    assert deleted.json() == {"non_field_errors": [f"A metric value dated 2026-05-15 {FROZEN}."]}
    value.refresh_from_db()
    assert value.value == 1000 and value.observed_on == Q2_DAY
    open_row = MetricValue.objects.create(
        partner=world.acme, kpi=world.revenue, observed_on=Q3_DAY, value=1
    )
    into_closed = manager_api.patch(
        f"/api/v1/metric-values/{open_row.pk}/", {"observed_on": "2026-05-01"}, format="json"
    )
    assert into_closed.status_code == 400 and "2026-Q2" in str(into_closed.json())
    assert manager_api.delete(f"/api/v1/metric-values/{open_row.pk}/").status_code == 204


def test_api_override_writes_of_a_closed_period_are_400_naming_it(world, closed_q2, admin_api):
    _, override = closed_q2
    row = {"partner": "GLOBEX", "kpi": "nps", "period": "2026-Q2", "floor": 0, "target": 40}
    created = admin_api.post("/api/v1/target-overrides/", row, format="json")
    assert created.status_code == 400
    assert created.json() == {"non_field_errors": [f"This target override {FROZEN}."]}
    moved = admin_api.patch(
        f"/api/v1/target-overrides/{override.pk}/", {"period": "2026-Q3"}, format="json"
    )
    assert moved.status_code == 400 and "2026-Q2" in str(moved.json())
    deleted = admin_api.delete(f"/api/v1/target-overrides/{override.pk}/")
    assert deleted.status_code == 400 and "2026-Q2" in str(deleted.json())
    override.refresh_from_db()
    assert override.period == world.q2


def test_api_refuses_an_override_for_a_kpi_outside_the_partners_model(world, admin_api):
    KPI.objects.create(code="training_hours", name="Training hours")
    row = {"partner": "ACME", "kpi": "training_hours", "period": "2026-Q3", "floor": 0, "target": 8}
    response = admin_api.post("/api/v1/target-overrides/", row, format="json")
    assert response.status_code == 400
    assert "training_hours is not a KPI line of ACME's scoring model" in response.json()["kpi"][0]
    assert not TargetOverride.objects.exists()
    row["kpi"] = "nps"
    assert admin_api.post("/api/v1/target-overrides/", row, format="json").status_code == 201


def test_bulk_api_lists_the_closed_periods_rows_and_writes_nothing(world, closed_q2, manager_api):
    rows = [
        {"partner": "ACME", "kpi": "revenue", "observed_on": "2026-08-01", "value": 1},
        {"partner": "ACME", "kpi": "revenue", "observed_on": "2026-05-15", "value": 2},
        {"partner": "GLOBEX", "kpi": "nps", "observed_on": "2026-06-30", "value": 3},
    ]
    for preview in ("false", "true"):
        response = manager_api.post(
            f"/api/v1/metric-values/bulk/?preview={preview}", rows, format="json"
        )
        assert response.status_code == 400
        assert response.json() == {
            "errors": [
                {"index": 1, "field": "observed_on", "message": f"date 2026-05-15 {FROZEN}"},
                {"index": 2, "field": "observed_on", "message": f"date 2026-06-30 {FROZEN}"},
            ],
            "error_count": 2,
        }
    assert MetricValue.objects.count() == 1  # the fixture's value, unchanged
    assert MetricValue.objects.get().value == 1000


# -- the file import ---------------------------------------------------------------------------


def test_import_reports_the_closed_periods_rows_and_writes_nothing(world, closed_q2):
    text = HEADER + "ACME,nps,2026-08-01,30\nACME,revenue,2026-05-15,99\nGLOBEX,nps,2026-04-01,7\n"
    for preview in (False, True):
        with pytest.raises(ImportFailed) as caught:
            metric_values_import(io.BytesIO(text.encode()), preview=preview)
        assert caught.value.errors == [
            f"line 3: date 2026-05-15 {FROZEN}",
            f"line 4: date 2026-04-01 {FROZEN}",
        ]
    assert MetricValue.objects.count() == 1 and MetricValue.objects.get().value == 1000
    period_reopen(period=world.q2)
    result = metric_values_import(io.BytesIO(text.encode()))
    assert (result.rows, result.written) == (3, 3)


def test_import_command_names_the_closed_period(world, closed_q2, tmp_path):
    path = tmp_path / "values.csv"
    path.write_text(HEADER + "GLOBEX,revenue,2026-06-01,5\n")
    with pytest.raises(CommandError, match="closed period 2026-Q2"):
        call_command("import_metrics", str(path))
    assert not MetricValue.objects.filter(partner=world.globex).exists()


def test_an_xlsx_upload_in_the_browser_reports_the_closed_periods_rows(
    world, closed_q2, client, django_capture_on_commit_callbacks
):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["partner_code", "kpi_code", "observed_on", "value"])
    sheet.append(["ACME", "revenue", "2026-07-31", 1200])
    sheet.append(["GLOBEX", "revenue", "2026-06-01", 5])
    buffer = io.BytesIO()
    book.save(buffer)
    client.force_login(world.manager)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(
            reverse("imports"),
            {"file": SimpleUploadedFile("v.xlsx", buffer.getvalue()), "kind": "metric_values"},
        )
    job = ImportJob.objects.get()
    import_job_run(job_id=job.pk, preview=True)
    job.refresh_from_db()
    assert job.status == "invalid"
    assert [e["message"] for e in job.errors] == [f"date 2026-06-01 {FROZEN}"]
    assert [e["line"] for e in job.errors] == [3]
    assert MetricValue.objects.count() == 1
