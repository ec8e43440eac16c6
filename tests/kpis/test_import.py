import io

import pytest
from django.core.management import CommandError, call_command

from kpis.imports import ImportFailed, metric_values_import
from kpis.models import KPI, MetricValue

HEADER = "partner_code,kpi_code,observed_on,value\n"


def run(text: str | bytes):
    data = text.encode() if isinstance(text, str) else text
    return metric_values_import(io.BytesIO(data))


def errors_of(text: str | bytes) -> list[str]:
    with pytest.raises(ImportFailed) as info:
        run(text)
    return info.value.errors


def test_good_file_is_upserted(world):
    result = run(
        HEADER + "ACME,revenue,2026-07-31,1000\nACME,revenue,2026-08-31,2000.5\n"
        "GLOBEX,nps,2026-08-01,40\n"
    )
    assert (result.rows, result.written, result.unchanged) == (3, 3, 0)
    assert MetricValue.objects.get(partner=world.acme, observed_on="2026-08-31").value == 2000.5
    assert str(result.first_day) == "2026-07-31" and str(result.last_day) == "2026-08-31"


def test_reimport_changes_nothing_and_a_new_value_replaces(world):
    text = HEADER + "ACME,revenue,2026-07-31,1000\n"
    run(text)
    stamp = MetricValue.objects.get().updated_at
    again = run(text)
    assert (again.written, again.unchanged) == (0, 1)
    assert MetricValue.objects.get().updated_at == stamp
    run(HEADER + "ACME,revenue,2026-07-31,1500\n")
    assert MetricValue.objects.count() == 1
    assert MetricValue.objects.get().value == 1500


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("NOPE,revenue,2026-07-31,1", "line 3: unknown partner code 'NOPE'"),
        ("ACME,bogus,2026-07-31,1", "line 3: unknown KPI code 'bogus'"),
        ("ACME,revenue,31/07/2026,1", "line 3: bad date '31/07/2026' (use YYYY-MM-DD)"),
        ("ACME,revenue,2026-02-30,1", "line 3: bad date '2026-02-30' (use YYYY-MM-DD)"),
        ("ACME,revenue,2026-07-31,lots", "line 3: value 'lots' is not a number"),
        ("ACME,revenue,2026-07-31,inf", "line 3: value 'inf' is not a number"),
        ("ACME,revenue,2026-07-31", "line 3: value '' is not a number"),
        ("ACME,revenue,2026-07-31,1,extra", "line 3: expected 4 fields, saw 5"),
    ],
)
def test_each_bad_row_is_named_and_nothing_is_written(world, row, message):
    text = HEADER + "ACME,revenue,2026-07-30,5\n" + row + "\nGLOBEX,revenue,2026-07-31,7\n"
    assert errors_of(text) == [message]
    assert MetricValue.objects.count() == 0


def test_every_bad_row_is_reported(world):
    rows = [f"ACME,revenue,2026-07-{d:02d},{d}" for d in range(1, 29)]
    rows[3] = "ACME,revenue,2026-07-04,x"
    rows[10] = "ZZZ,revenue,2026-07-11,1"
    rows[20] = "ZZZ,bogus,someday,1"
    errors = errors_of(HEADER + "\n".join(rows) + "\n")
    assert errors == [
        "line 5: value 'x' is not a number",
        "line 12: unknown partner code 'ZZZ'",
        "line 22: unknown partner code 'ZZZ'; unknown KPI code 'bogus'; bad date 'someday' "
        "(use YYYY-MM-DD)",
    ]
    assert MetricValue.objects.count() == 0


def test_missing_column_empty_file_and_no_rows(world):
    assert errors_of("partner_code,kpi_code,value\nACME,revenue,1\n") == [
        "line 1: missing column 'observed_on' (found 'partner_code', 'kpi_code', 'value')"
    ]
    assert errors_of("") == [
        "line 1: the file is empty (expected a header: partner_code,kpi_code,observed_on,value)"
    ]
    assert errors_of(HEADER) == ["the file has a header but no data rows"]


def test_duplicate_rows_in_one_file_are_refused(world):
    errors = errors_of(HEADER + "ACME,revenue,2026-07-31,1\nACME,revenue,2026-07-31,2\n")
    assert errors == ["line 3: same partner, KPI and date as line 2"]


def test_wrong_encoding_is_refused(world):
    errors = errors_of((HEADER + "ACME,revenue,2026-07-31,1\n").encode("utf-16"))
    assert len(errors) == 1 and "not UTF-8" in errors[0]


def test_formula_kpi_and_nps_range(world):
    KPI.objects.create(
        code="growth",
        name="Growth",
        source="formula",
        formula="100 * (revenue / prev(revenue) - 1)",
    )
    world.nps.aggregation = "nps"
    world.nps.save()
    errors = errors_of(HEADER + "ACME,growth,2026-07-31,5\nACME,nps,2026-07-31,11\n")
    assert errors == [
        "line 2: KPI 'growth' is a formula KPI; import its inputs instead",
        "line 3: an NPS answer is a whole number 0-10, got 11",
    ]


def test_blank_lines_and_bom_are_tolerated(world):
    result = run("\ufeff" + HEADER + "ACME,revenue,2026-07-31,1\n\nACME,nps,2026-07-31,3\n")
    assert result.written == 2


def test_command_reports_errors_and_success(world, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "ACME,revenue,2026-07-31,1\nNOPE,revenue,2026-07-31,1\n")
    with pytest.raises(CommandError, match="(?s)1 bad row.*line 3: unknown partner code 'NOPE'"):
        call_command("import_metrics", str(bad))
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "ACME,revenue,2026-07-31,1\n")
    call_command("import_metrics", str(good))
    assert "1 rows, 1 new or changed" in capsys.readouterr().out
    assert MetricValue.objects.count() == 1
