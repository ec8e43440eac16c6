"""Bad files get a short, clear error and write nothing (issue: hardening)."""

import io
import os
import subprocess
import sys
import time
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from kpis.imports import ImportFailed, metric_values_import, partners_import, readers
from kpis.imports.jobs import import_job_run
from kpis.imports.readers import xlsx_to_csv
from kpis.models import ImportJob, MetricValue, RecomputeMark
from partners.models import Partner
from tests.helpers import ROOT, database_url


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def load(text: str):
    return metric_values_import(io.BytesIO(text.encode()))


def test_a_huge_one_line_file_is_refused_with_a_short_message(world):
    text = "partner_code,kpi_code," + "x" * 3_000_000
    with pytest.raises(ImportFailed) as info:
        load(text)
    assert info.value.errors == ["line 1: the header line is longer than 100,000 characters"]
    assert len(str(info.value)) < 200


def test_a_header_with_many_columns_is_refused_quickly(world):
    header = ",".join(f"c{i}" for i in range(12_000))  # 77 kB: under the length limit
    started = time.perf_counter()
    with pytest.raises(ImportFailed) as info:
        load(header + "\n")
    assert time.perf_counter() - started < 5
    assert info.value.errors == ["line 1: the header has 12,000 columns (at most 500)"]


def test_a_missing_column_message_quotes_only_the_first_columns(world):
    header = ",".join(f"{'y' * 100}{i}" for i in range(50))
    with pytest.raises(ImportFailed) as info:
        load(header + "\n")
    message = info.value.errors[0]
    assert message.startswith("line 1: missing column 'partner_code', 'kpi_code'")
    assert message.endswith("and 40 more)") and len(message) < 1000


def test_duplicate_headers_are_refused(world):
    text = (
        "partner_code,partner_code,kpi_code,observed_on,value\nACME,GLOBEX,revenue,2026-08-01,5\n"
    )
    with pytest.raises(ImportFailed) as info:
        load(text)
    assert info.value.errors == [
        "line 1: column 'partner_code' appears more than once in the header"
    ]
    assert not MetricValue.objects.exists()


def test_import_metrics_counts_bad_rows_not_problems(world, tmp_path):
    rows = ["partner_code,kpi_code,observed_on,value"]
    rows += [f"NOPE{i},bogus,2026-13-01,x" for i in range(30)]  # 4 problems per row
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(CommandError) as info:
        call_command("import_metrics", str(path))
    assert "30 bad row(s) (120 problems)" in str(info.value)


def test_partner_import_refuses_long_names_and_non_manager_managers(world):
    long_name = "N" * 300
    text = (
        "code,name,type,region,manager\n"
        f"NEW1,{long_name},reseller,,\n"
        "NEW2,Fine,reseller,,acme\n"  # a portal user, not a channel manager
        "NEW3,Fine,reseller,,manager\n"
    )
    with pytest.raises(ImportFailed) as info:
        partners_import(io.BytesIO(text.encode()))
    assert info.value.errors == [
        "line 2: the name is longer than 200 characters (300)",
        "line 3: 'acme' is not a channel manager's username",
    ]
    assert not Partner.objects.filter(code__startswith="NEW").exists()


def upload(client, name: str, content: bytes, capture):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    with capture(execute=False):
        response = client.post(
            reverse("imports"),
            {"file": SimpleUploadedFile(name, content), "kind": "metric_values"},
        )
    assert response.status_code == 302
    return ImportJob.objects.latest("pk")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"partner_code,kpi_code\nACME,revenue\n", "it is not a zip archive"),
        (zip_of({"hello.txt": b"hi"}), "the archive holds no workbook"),
    ],
    ids=["text-named-xlsx", "zip-without-workbook"],
)
def test_a_file_that_lies_about_being_xlsx_is_refused_and_not_kept(
    world, client, django_capture_on_commit_callbacks, content, message
):
    client.force_login(world.manager)
    job = upload(client, "x.xlsx", content, django_capture_on_commit_callbacks)
    stored = job.file.path
    job = import_job_run(job_id=job.pk, preview=True)
    assert job.status == ImportJob.Status.INVALID
    assert job.errors[0]["message"] == f"the file is not an .xlsx workbook: {message}"
    assert not os.path.exists(stored) and not job.file


def test_a_sheet_over_the_row_limit_is_refused(world):
    from openpyxl import Workbook

    book = Workbook()
    for i in range(12):
        book.active.append(["ACME", "revenue", "2026-08-01", i])
    source = io.BytesIO()
    book.save(source)
    source.seek(0)
    with pytest.raises(ImportFailed) as info:
        xlsx_to_csv(source, io.BytesIO(), max_rows=10)
    assert info.value.errors == ["the sheet has more than 10 rows; save it as CSV"]


def test_a_workbook_that_unpacks_too_big_is_refused(world, monkeypatch):
    monkeypatch.setattr(readers, "XLSX_MAX_UNCOMPRESSED", 1000)
    bomb = zip_of({"xl/workbook.xml": b"<x/>", "xl/worksheets/sheet1.xml": b" " * 5000})
    with pytest.raises(ImportFailed) as info:
        xlsx_to_csv(io.BytesIO(bomb), io.BytesIO())
    assert info.value.errors == ["the workbook unpacks to more than 0 MB"]


# Runs in a process whose broker is a port where nothing listens (Redis is down for it).
UPLOAD_WITH_REDIS_DOWN = """
import django, time
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.contrib.auth.models import User
client = Client()
client.force_login(User.objects.get(username="manager"))
started = time.monotonic()
response = client.post(
    "/imports/", {"file": SimpleUploadedFile("v.csv", b"a\\n"), "kind": "metric_values"}
)
print(response.status_code, round(time.monotonic() - started, 1))
started = time.monotonic()
response = client.post(
    "/api/v1/metric-values/",
    {"partner": "ACME", "kpi": "revenue", "observed_on": "2026-08-01", "value": 5},
    content_type="application/json",
)
print(response.status_code, round(time.monotonic() - started, 1))
"""


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_an_upload_while_redis_is_down_shows_a_failed_job_not_a_500(world, client):
    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": "redis://127.0.0.1:1/0"}
    done = subprocess.run(
        [sys.executable, "-c", UPLOAD_WITH_REDIS_DOWN],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    status, seconds, api_status, api_seconds = done.stdout.split()
    assert (status, api_status) == ("302", "201"), done.stderr[-2000:]
    assert float(seconds) < 10 and float(api_seconds) < 10  # fails fast, no long retries
    # the API write is committed and its recompute waits in PostgreSQL for the sweep
    assert MetricValue.objects.filter(partner=world.acme, value=5).exists()
    assert RecomputeMark.objects.filter(period=world.q3, partner=world.acme).exists()
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    client.force_login(world.manager)
    page = client.get(reverse("import-detail", args=[job.pk])).content.decode()
    assert "The task queue is unreachable" in page


def test_values_too_large_to_sum_and_absurd_dates_are_refused_everywhere(world):
    from rest_framework.test import APIClient

    text = (
        "partner_code,kpi_code,observed_on,value\n"
        "ACME,revenue,2026-08-01,1e308\n"
        "ACME,revenue,2300-01-01,5\n"
        "ACME,revenue,1899-12-31,5\n"
    )
    with pytest.raises(ImportFailed) as info:
        load(text)
    assert info.value.errors == [
        "line 2: value '1e308' is beyond +-1e+15",
        "line 3: date 2300-01-01 is outside the years 1900-2200",
        "line 4: date 1899-12-31 is outside the years 1900-2200",
    ]
    api = APIClient()
    api.force_authenticate(world.admin)
    row = {"partner": "ACME", "kpi": "revenue", "observed_on": "2026-08-02", "value": 1e308}
    rows = [row, row | {"observed_on": "2026-08-03"}]
    bulk = api.post("/api/v1/metric-values/bulk/", rows, format="json")
    assert bulk.status_code == 400
    assert bulk.json()["errors"][0]["message"] == "value '1e+308' is beyond +-1e+15"
    single = api.post("/api/v1/metric-values/", row | {"observed_on": "2300-01-01"}, format="json")
    assert single.status_code == 400
    assert "outside the years 1900-2200" in str(single.json())
    assert not MetricValue.objects.exists()


def test_a_formula_that_overflows_counts_as_missing_and_the_api_stays_json(world):
    from rest_framework.test import APIClient

    from assessments.services import scorecards_recompute
    from kpis.models import KPI, ModelLine

    cube = KPI.objects.create(
        code="huge", name="Huge", source="formula", formula=" * ".join(["revenue"] * 25)
    )
    ModelLine.objects.create(version=world.version, kpi=cube, weight=10, floor=0, target=1)
    MetricValue.objects.create(
        partner=world.acme, kpi=world.revenue, observed_on="2026-08-01", value=1e15
    )
    assert scorecards_recompute(period_id=world.q3.pk, trigger="t").status == "succeeded"
    api = APIClient()
    api.force_authenticate(world.acme_user)
    response = api.get("/api/v1/scorecards/", {"partner": "ACME", "period": "2026-Q3"})
    assert response.status_code == 200
    lines = {line["kpi"]: line for line in response.json()["results"][0]["lines"]}
    assert lines["huge"]["value"] is None and lines["huge"]["status"] == "grey"
