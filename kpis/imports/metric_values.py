"""Metric-value ingestion: a CSV stream or API rows -> validated rows -> one upsert, or
nothing at all.

The file is read in chunks (bounded memory); every bad row is reported as `line N: problem`;
valid rows are staged with COPY into a temporary table and upserted in one statement, so a
file with one bad row writes nothing, and re-importing the same file changes nothing."""

import io
from collections.abc import Callable

import numpy as np
import pandas as pd
from django.db import ProgrammingError, connection, transaction
from psycopg2.errors import CardinalityViolation

from kpis.imports.readers import profile_chunks, read_csv_chunks
from kpis.imports.results import (
    COLUMNS,
    MAX_ERRORS,
    ImportFailed,
    ImportResult,
    RowError,
)
from kpis.imports.rules import Lookups, api_rows_frame, validate_rows
from kpis.models import MetricValue
from kpis.recompute import request_recompute_of_dates
from partnerscore.pgcopy import copy_in_binary


def metric_values_import(
    stream: io.BufferedIOBase | io.RawIOBase,
    *,
    progress: Callable[[int], None] | None = None,
    preview: bool = False,
    profile=None,
    user=None,
) -> ImportResult:
    """Validate and upsert a CSV of metric values. Raises ImportFailed listing every bad row.
    With preview=True nothing is written: the result has the counts and the first rows.
    A profile (kpis.models.ImportProfile) reads someone else's export (kpis/imports/readers.py).
    With a user, rows for partners the user may not see are refused (partners.access)."""
    errors: list[RowError] = []
    if profile is None:
        chunks = ((chunk[list(COLUMNS)], lines) for chunk, lines in read_csv_chunks(stream, errors))
        combine, date_hint = "error", "YYYY-MM-DD"
    else:
        chunks = profile_chunks(stream, profile, errors)
        combine, date_hint = profile.same_day_rows, profile.date_format or "YYYY-MM-DD"
    return _ingest(
        chunks,
        errors,
        progress=progress,
        preview=preview,
        combine=combine,
        date_hint=date_hint,
        empty_message="the file has a header but no data rows",
        user=user,
    )


def metric_values_upsert(rows: list[dict], *, preview: bool = False, user=None) -> ImportResult:
    """The same for rows from the API ({partner, kpi, observed_on, value}); RowError.line is
    the row's 0-based index."""
    frame = api_rows_frame(rows)
    errors: list[RowError] = []
    chunks = [(frame, np.arange(len(frame)))] if rows else []
    return _ingest(
        iter(chunks), errors, preview=preview, empty_message="no rows were sent", user=user
    )


def _ingest(
    chunks,
    errors: list[RowError],
    *,
    progress=None,
    preview: bool,
    empty_message: str,
    combine: str = "error",
    date_hint: str = "YYYY-MM-DD",
    user=None,
) -> ImportResult:
    lookups = Lookups.load() if user is None else Lookups.load(user=user)
    result = ImportResult()
    n_errors = n_bad_rows = 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS metric_import_stage")
            cursor.execute(
                "CREATE TEMP TABLE metric_import_stage (line integer, partner_id bigint, "
                "kpi_id bigint, observed_on date, value double precision) ON COMMIT DROP"
            )
        for chunk, lines in chunks:
            rows, chunk_errors = validate_rows(chunk, lines, lookups, date_hint)
            n_errors += len(chunk_errors)
            n_bad_rows += len({error.line for error in chunk_errors})
            errors.extend(chunk_errors[: max(0, MAX_ERRORS - len(errors))])
            if not errors:
                _stage(rows)
            result.rows += len(chunk)
            if progress:
                progress(result.rows)
        n_errors = max(n_errors, len(errors))
        if not n_errors and combine == "sum":
            _sum_same_day_rows()
        elif not n_errors and preview:  # an import finds duplicates in its upsert instead
            duplicates = _duplicates()
            errors.extend(duplicates[:MAX_ERRORS])
            n_errors = n_bad_rows = len(duplicates)
        if n_errors:
            raise ImportFailed(errors, n_errors, bad_rows=n_bad_rows)
        if result.rows == 0:
            raise ImportFailed([RowError(None, "", empty_message)], 1)
        result.first_day, result.last_day = _day_range()
        if preview:
            _preview(result)
            transaction.set_rollback(True)
            return result
        result.written = _upsert_or_report_duplicates()
        result.unchanged = result.rows - result.written
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE metric_import_stage")
        if result.written:
            request_recompute_of_dates(
                first_day=result.first_day, last_day=result.last_day, reason="import"
            )
    return result


def _preview(result: ImportResult) -> None:
    table = MetricValue._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE m.id IS NULL), "
            "count(*) FILTER (WHERE m.id IS NOT NULL AND m.value <> s.value) "
            f"FROM metric_import_stage s LEFT JOIN {table} m "
            "ON (m.partner_id, m.kpi_id, m.observed_on) = (s.partner_id, s.kpi_id, s.observed_on)"
        )
        result.new, result.replaced = cursor.fetchone()
        cursor.execute(
            "SELECT s.line, p.code, p.name, k.code, k.name, s.observed_on, s.value, m.value "
            "FROM metric_import_stage s JOIN partners_partner p ON p.id = s.partner_id "
            f"JOIN kpis_kpi k ON k.id = s.kpi_id LEFT JOIN {table} m "
            "ON (m.partner_id, m.kpi_id, m.observed_on) = (s.partner_id, s.kpi_id, s.observed_on) "
            "ORDER BY s.line LIMIT 20"
        )
        keys = [
            "line",
            "partner_code",
            "partner_name",
            "kpi_code",
            "kpi_name",
            "observed_on",
            "value",
            "current_value",
        ]
        result.sample = [dict(zip(keys, row, strict=True)) for row in cursor.fetchall()]
    result.written = result.new + result.replaced
    result.unchanged = result.rows - result.written


def _sum_same_day_rows() -> None:
    """Profiles may add up rows of one partner, KPI and day (e.g. several deals)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE metric_import_summed ON COMMIT DROP AS "
            "SELECT min(line) AS line, partner_id, kpi_id, observed_on, sum(value) AS value "
            "FROM metric_import_stage GROUP BY partner_id, kpi_id, observed_on"
        )
        cursor.execute("TRUNCATE metric_import_stage")
        cursor.execute("INSERT INTO metric_import_stage SELECT * FROM metric_import_summed")
        cursor.execute("DROP TABLE metric_import_summed")


STAGE_TYPES = {
    "line": "int4",
    "partner_id": "int8",
    "kpi_id": "int8",
    "observed_on": "date",
    "value": "float8",
}


def _stage(rows: pd.DataFrame) -> None:
    copy_in_binary("metric_import_stage", rows, STAGE_TYPES)


def _duplicates() -> list[RowError]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_agg(line ORDER BY line) FROM metric_import_stage "
            "GROUP BY partner_id, kpi_id, observed_on HAVING count(*) > 1 ORDER BY min(line)"
        )
        groups = [row[0] for row in cursor.fetchall()]
    return [
        RowError(later, "observed_on", f"same partner, KPI and date as line {group[0]}")
        for group in groups
        for later in group[1:]
    ]


def _upsert_or_report_duplicates() -> int:
    """The upsert refuses a file with the same (partner, KPI, date) twice; only then do we
    pay for finding which lines those are."""
    try:
        with transaction.atomic():
            return _upsert()
    except ProgrammingError as exc:
        if not isinstance(exc.__cause__, CardinalityViolation):
            raise
        duplicates = _duplicates()
        raise ImportFailed(
            duplicates[:MAX_ERRORS], len(duplicates), bad_rows=len(duplicates)
        ) from None


def _upsert() -> int:
    table = MetricValue._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (partner_id, kpi_id, observed_on, value, updated_at) "
            "SELECT partner_id, kpi_id, observed_on, value, now() FROM metric_import_stage "
            "ORDER BY partner_id, kpi_id, observed_on "  # index order: cache-friendly inserts
            "ON CONFLICT (partner_id, kpi_id, observed_on) DO UPDATE "
            "SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at "
            f"WHERE {table}.value IS DISTINCT FROM EXCLUDED.value"
        )
        return cursor.rowcount


def _day_range():
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(observed_on), max(observed_on) FROM metric_import_stage")
        return cursor.fetchone()
