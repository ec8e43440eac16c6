"""Imports through the browser's path: profiles, xlsx, the check/confirm job, partners."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kpis.imports import ImportFailed, metric_values_import, partners_import
from kpis.imports.jobs import import_job_run
from kpis.models import ImportJob, ImportProfile, MetricValue
from partners.models import Partner

HEADER = "partner_code,kpi_code,observed_on,value\n"


@pytest.fixture
def crm_profile(db):
    return ImportProfile.objects.create(
        name="CRM deals",
        partner_column="Account Name",
        partner_match="name",
        date_column="Close Date",
        date_format="%m/%d/%Y",
        kpi_column="",
        value_column="",
        kpi_columns={"Amount": "revenue"},
        same_day_rows="sum",
    )


def test_crm_export_with_profile_maps_columns_and_sums_same_day_deals(world, crm_profile):
    text = (
        "Opportunity,Account Name,Close Date,Amount,Stage\n"
        'Deal 1,Acme Corp,07/15/2026,"$12,500.00",Won\n'
        "Deal 2,acme corp,07/15/2026,500,Won\n"
        "Deal 3,Globex,08/01/2026,,Won\n"
        "Deal 4,Globex,08/02/2026,1000,Won\n"
    )
    result = metric_values_import(io.BytesIO(text.encode()), profile=crm_profile)
    assert result.rows == 3  # Deal 3 has no amount: an empty cell is no value, not an error
    acme = MetricValue.objects.get(partner=world.acme)
    assert (str(acme.observed_on), acme.value) == ("2026-07-15", 13000.0)
    assert MetricValue.objects.get(partner=world.globex).value == 1000.0


def test_profile_errors_name_the_source_line_and_format(world, crm_profile):
    text = (
        "Account Name,Close Date,Amount\n"
        "Acme Corp,15/07/2026,100\n"
        "Nobody Inc,07/16/2026,100\n"
        "Globex,07/17/2026,lots\n"
    )
    with pytest.raises(ImportFailed) as info:
        metric_values_import(io.BytesIO(text.encode()), profile=crm_profile)
    assert info.value.errors == [
        "line 2: bad date '15/07/2026' (use %m/%d/%Y)",
        "line 3: unknown partner code 'Nobody Inc'",
        "line 4: value 'lots' is not a number",
    ]
    assert MetricValue.objects.count() == 0


def test_profile_with_decimal_comma_and_semicolons(world):
    profile = ImportProfile.objects.create(name="EU", delimiter=";", decimal=",")
    text = "partner_code;kpi_code;observed_on;value\nACME;revenue;2026-07-01;1.234,5\n"
    metric_values_import(io.BytesIO(text.encode()), profile=profile)
    assert MetricValue.objects.get().value == 1234.5


def test_ten_bad_rows_out_of_ten_thousand_are_all_reported(world):
    rows = [
        f"ACME,revenue,{2000 + i // 336}-{1 + i // 28 % 12:02d}-{1 + i % 28:02d},{i}"
        for i in range(10_000)
    ]
    bad = [17, 250, 999, 1234, 4000, 5555, 7000, 8123, 9001, 9999]
    for i in bad:
        rows[i] = rows[i].rsplit(",", 1)[0] + ",n/a"
    with pytest.raises(ImportFailed) as info:
        metric_values_import(io.BytesIO((HEADER + "\n".join(rows) + "\n").encode()))
    assert info.value.errors == [f"line {i + 2}: value 'n/a' is not a number" for i in bad]
    assert MetricValue.objects.count() == 0


def test_huge_line_is_reported_short(world):
    huge = "x" * 2_000_000
    with pytest.raises(ImportFailed) as info:
        metric_values_import(io.BytesIO((HEADER + f"ACME,revenue,2026-07-01,{huge}\n").encode()))
    (message,) = info.value.errors
    assert message.startswith("line 2: value 'xxxx") and len(message) < 120


def test_xlsx_upload_is_read_like_csv(world, client, django_capture_on_commit_callbacks):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["partner_code", "kpi_code", "observed_on", "value"])
    sheet.append(["ACME", "revenue", "2026-07-31", 1200])
    buffer = io.BytesIO()
    book.save(buffer)
    client.force_login(world.manager)
    upload = SimpleUploadedFile("values.xlsx", buffer.getvalue())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("imports"), {"file": upload, "kind": "metric_values"})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and len(callbacks) == 1
    assert job.file.name.endswith(".xlsx")  # converted in the worker, not in the request
    import_job_run(job_id=job.pk, preview=True)
    job.refresh_from_db()
    assert (job.status, job.new, job.replaced, job.unchanged) == ("previewed", 1, 0, 0)
    assert job.rows_total == 1 and job.file.name.endswith(".csv")
    assert MetricValue.objects.count() == 0  # a check writes nothing


def test_job_check_confirm_import_and_history(world, client, django_capture_on_commit_callbacks):
    MetricValue.objects.create(
        partner=world.acme, kpi=world.revenue, observed_on="2026-07-01", value=5
    )
    text = (
        HEADER + "ACME,revenue,2026-07-01,5\nACME,revenue,2026-07-02,6\nGLOBEX,nps,2026-07-02,9\n"
    )
    client.force_login(world.manager)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(
            reverse("imports"),
            {"file": SimpleUploadedFile("v.csv", text.encode()), "kind": "metric_values"},
        )
    job = ImportJob.objects.get()
    import_job_run(job_id=job.pk, preview=True)
    page = client.get(reverse("import-detail", args=[job.pk])).content.decode()
    assert "Import 3 rows" in page and "First rows, as they will be stored" in page
    job.refresh_from_db()
    assert (job.new, job.replaced, job.unchanged) == (2, 0, 1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("import-confirm", args=[job.pk]))
        client.post(reverse("import-confirm", args=[job.pk]))  # a double click
    assert len(callbacks) == 1
    import_job_run(job_id=job.pk, preview=False)
    job.refresh_from_db()
    assert (job.status, job.written, job.unchanged) == ("succeeded", 2, 1)
    assert MetricValue.objects.count() == 3
    history = client.get(reverse("imports")).content.decode()
    assert "v.csv" in history and "manager" in history


def test_invalid_file_job_lists_errors(world, client, django_capture_on_commit_callbacks):
    client.force_login(world.manager)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(
            reverse("imports"),
            {
                "file": SimpleUploadedFile(
                    "bad.csv", (HEADER + "ACME,nope,2026-07-01,1\n").encode()
                ),
                "kind": "metric_values",
            },
        )
    job = import_job_run(job_id=ImportJob.objects.get().pk, preview=True)
    assert job.status == "invalid" and job.error_count == 1
    assert job.errors == [{"line": 2, "field": "kpi_code", "message": "unknown KPI code 'nope'"}]
    page = client.get(reverse("import-detail", args=[job.pk])).content.decode()
    assert "unknown KPI code &#x27;nope&#x27;" in page and "nothing was written" in page


def test_upload_form_refuses_empty_and_wrong_type(world, client):
    client.force_login(world.manager)
    response = client.post(
        reverse("imports"), {"file": SimpleUploadedFile("a.pdf", b"%PDF"), "kind": "metric_values"}
    )
    assert "Upload a .csv or .xlsx file." in response.content.decode()
    response = client.post(
        reverse("imports"), {"file": SimpleUploadedFile("a.csv", b""), "kind": "metric_values"}
    )
    assert "The submitted file is empty." in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_partner_users_cannot_reach_imports(world, client):
    client.force_login(world.acme_user)
    assert client.get(reverse("imports")).status_code == 404


def test_partner_import_upserts_and_stores_formula_like_text_as_text(world):
    text = (
        "code,name,type,region,manager\n"
        "NEW1,New One,reseller,emea,manager\n"
        "ACME,Acme Corporation,Reseller,,\n"
        "EVIL,=cmd|' /C calc'!A0,reseller,,\n"
    )
    preview = partners_import(io.BytesIO(text.encode()), preview=True)
    assert (preview.new, preview.replaced, preview.unchanged) == (2, 1, 0)
    assert not Partner.objects.filter(code="NEW1").exists()
    partners_import(io.BytesIO(text.encode()))
    assert Partner.objects.get(code="ACME").name == "Acme Corporation"
    assert Partner.objects.get(code="NEW1").manager == world.manager
    assert Partner.objects.get(code="EVIL").name == "=cmd|' /C calc'!A0"
    again = partners_import(io.BytesIO(text.encode()), preview=True)
    assert again.unchanged == 3


def test_partner_import_names_every_problem(world):
    text = (
        "code,name,type,region,manager\n"
        "bad code!,X,reseller,,\n"
        "OK1,,reseller,,\n"
        "OK2,Y,shop,mars,nobody\n"
        "OK3,Z,reseller,,\n"
        "OK3,Z2,reseller,,\n"
    )
    with pytest.raises(ImportFailed) as info:
        partners_import(io.BytesIO(text.encode()))
    assert info.value.errors == [
        "line 2: bad partner code 'bad code!' (letters, digits, _ - .)",
        "line 3: the name is empty",
        "line 4: unknown partner type 'shop'; unknown region 'mars'; "
        "'nobody' is not a channel manager's username",
        "line 6: partner code 'OK3' appears twice in the file",
    ]
    assert not Partner.objects.filter(code__startswith="OK").exists()
