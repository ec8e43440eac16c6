"""Bad files get a short, clear error and write nothing (issue: hardening)."""

import io
import time

import pytest
from django.core.management import CommandError, call_command

from kpis.imports import ImportFailed, metric_values_import, partners_import
from kpis.models import MetricValue
from partners.models import Partner


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
    text = "partner_code,partner_code,kpi_code,observed_on,value\nACME,GLOBEX,revenue,2026-08-01,5\n"
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
