"""Metric-value ingestion: a CSV stream -> validated rows -> one upsert, or nothing at all.

The file is read in chunks (bounded memory); every bad row is reported as `line N: problem`;
valid rows are staged with COPY into a temporary table and upserted in one statement, so a
file with one bad row writes nothing, and re-importing the same file changes nothing."""

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db import ProgrammingError, connection, transaction
from psycopg2.errors import CardinalityViolation

from assessments.pg import copy_in_binary
from assessments.tasks import recompute_after_change
from kpis.models import KPI, Aggregation, MetricValue, Source
from partners.models import Partner

COLUMNS = ("partner_code", "kpi_code", "observed_on", "value")
API_FIELDS = ("partner", "kpi", "observed_on", "value")  # the same, as the API names them
CHUNK_ROWS = 200_000
MAX_ERRORS = 1_000  # past this, stop listing (the count is still exact)


@dataclass(frozen=True)
class RowError:
    """A problem with one row (line = file line, or the 0-based index of an API row) and,
    where it is about one cell, the field."""

    line: int | None
    field: str
    message: str


def _lines_text(errors: list[RowError]) -> list[str]:
    """'line N: a; b' per line, in order; file-level problems as they are."""
    by_line: dict[int | None, list[str]] = {}
    for error in errors:
        by_line.setdefault(error.line, []).append(error.message)
    return [
        "; ".join(messages) if line is None else f"line {line}: " + "; ".join(messages)
        for line, messages in by_line.items()
    ]


class ImportFailed(Exception):
    def __init__(self, row_errors: list[RowError], total_errors: int | None = None):
        self.row_errors = row_errors
        self.errors = _lines_text(row_errors)
        self.total_errors = max(total_errors or 0, len(self.errors))
        more = self.total_errors - len(self.errors)
        super().__init__("\n".join(self.errors) + (f"\n... and {more} more" if more else ""))


@dataclass
class ImportResult:
    rows: int = 0
    written: int = 0  # inserted or changed
    unchanged: int = 0
    first_day: object = None
    last_day: object = None
    new: int | None = None  # the split of `written`, counted in previews only
    replaced: int | None = None
    sample: list[dict] = field(default_factory=list)


@dataclass
class _Lookups:
    partners: dict[str, int]
    kpis: dict[str, int]
    formula_kpis: set[str]
    nps_kpis: set[str]

    @classmethod
    def load(cls) -> "_Lookups":
        kpis = list(KPI.objects.values_list("code", "id", "source", "aggregation"))
        return cls(
            partners=dict(Partner.objects.values_list("code", "id")),
            kpis={code: pk for code, pk, _, _ in kpis},
            formula_kpis={code for code, _, source, _ in kpis if source == Source.FORMULA},
            nps_kpis={code for code, _, _, agg in kpis if agg == Aggregation.NPS},
        )


def metric_values_import(
    stream: io.BufferedIOBase | io.RawIOBase,
    *,
    progress: Callable[[int], None] | None = None,
    preview: bool = False,
    profile=None,
) -> ImportResult:
    """Validate and upsert a CSV of metric values. Raises ImportFailed listing every bad row.
    With preview=True nothing is written: the result has the counts and the first rows.
    A profile (kpis.models.ImportProfile) reads someone else's export (kpis/import_sources)."""
    errors: list[RowError] = []
    if profile is None:
        chunks = ((chunk[list(COLUMNS)], lines) for chunk, lines in read_csv_chunks(stream, errors))
        combine, date_hint = "error", "YYYY-MM-DD"
    else:
        from kpis.import_sources import profile_chunks  # it builds on this module

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
    )


def metric_values_upsert(rows: list[dict], *, preview: bool = False) -> ImportResult:
    """The same for rows from the API ({partner, kpi, observed_on, value}); RowError.line is
    the row's 0-based index."""
    frame = pd.DataFrame(
        {
            column: ["" if row.get(key) is None else str(row.get(key)) for row in rows]
            for column, key in zip(COLUMNS, API_FIELDS, strict=True)
        }
    )
    errors: list[RowError] = []
    chunks = [(frame, np.arange(len(frame)))] if rows else []
    return _ingest(iter(chunks), errors, preview=preview, empty_message="no rows were sent")


def _ingest(
    chunks,
    errors: list[RowError],
    *,
    progress=None,
    preview: bool,
    empty_message: str,
    combine: str = "error",
    date_hint: str = "YYYY-MM-DD",
) -> ImportResult:
    lookups = _Lookups.load()
    result = ImportResult()
    n_errors = 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS metric_import_stage")
            cursor.execute(
                "CREATE TEMP TABLE metric_import_stage (line integer, partner_id bigint, "
                "kpi_id bigint, observed_on date, value double precision) ON COMMIT DROP"
            )
        for chunk, lines in chunks:
            rows, chunk_errors = _validate(chunk, lines, lookups, date_hint)
            n_errors += len(chunk_errors)
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
            n_errors = len(duplicates)
        if n_errors:
            raise ImportFailed(errors, n_errors)
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
            recompute_after_change(
                first_day=result.first_day, last_day=result.last_day, trigger="import"
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


def read_csv_chunks(
    stream, errors: list[RowError], *, required=COLUMNS, sep: str = ",", strip_spaces=True
):
    """Yield (chunk of text columns, file line numbers) from a CSV stream, in bounded memory.
    Structural problems (missing columns, wrong field counts, bad encoding) are appended to
    `errors`. Also used by import profiles (kpis/import_sources.py)."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        yield from _parse(text, errors, required, sep, strip_spaces)
    except pd.errors.EmptyDataError:
        errors.append(
            RowError(1, "", "the file is empty (expected a header: " + ",".join(required) + ")")
        )
    except UnicodeDecodeError as exc:
        errors.append(
            RowError(
                None,
                "",
                f"the file is not UTF-8 text ({exc.reason} at byte "
                f"{exc.start}); save it as CSV UTF-8",
            )
        )
    except pd.errors.ParserError as exc:
        errors.append(RowError(None, "", f"the file is not valid CSV: {exc}"))


def _parse(text, errors: list[RowError], required, sep: str, strip_spaces: bool):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        reader = pd.read_csv(
            text,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            on_bad_lines="warn",
            chunksize=CHUNK_ROWS,
            sep=sep,
            skipinitialspace=strip_spaces,
        )
        next_line = 2
        first = True
        for chunk in reader:
            if first:
                missing = [c for c in required if c not in chunk.columns]
                if missing:
                    names = ", ".join(repr(c) for c in missing)
                    found = ", ".join(map(repr, chunk.columns))
                    errors.append(RowError(1, "", f"missing column {names} (found {found})"))
                    return
                first = False
            skipped = _skipped_lines(caught, errors)
            lines = _line_numbers(next_line, len(chunk), skipped)
            next_line = int(lines[-1]) + 1 if len(lines) else next_line
            yield chunk, lines
        _skipped_lines(caught, errors)


def _skipped_lines(caught: list, errors: list[RowError]) -> list[int]:
    """Turn pandas' 'Skipping line N: expected 4 fields, saw 5' warnings into errors."""
    numbers = []
    for warning in caught:
        for part in str(warning.message).strip().splitlines():
            if part.startswith("Skipping line"):
                number, _, what = part.removeprefix("Skipping line ").partition(":")
                numbers.append(int(number))
                errors.append(RowError(int(number), "", what.strip()))
    caught.clear()
    return numbers


def _line_numbers(start: int, count: int, skipped: list[int]) -> np.ndarray:
    candidates = np.arange(start, start + count + len(skipped))
    return np.setdiff1d(candidates, np.array(skipped, dtype=int), assume_unique=True)[:count]


def _validate(chunk: pd.DataFrame, lines: np.ndarray, lookups: _Lookups, date_hint: str):
    blank = (chunk == "").all(axis=1)
    chunk, lines = chunk[~blank], lines[~blank.to_numpy()]
    partner_code, partner_id = _lookup(chunk["partner_code"], lookups.partners)
    kpi_code, kpi_id = _lookup(chunk["kpi_code"], lookups.kpis)
    day = _retry_stripped(
        chunk["observed_on"],
        lambda cells: pd.to_datetime(cells, format="%Y-%m-%d", errors="coerce"),
    )
    value = _retry_stripped(chunk["value"], lambda cells: pd.to_numeric(cells, errors="coerce"))
    finite = value.notna() & np.isfinite(value.fillna(0))
    is_nps = kpi_code.isin(lookups.nps_kpis)
    problems = [
        (
            "partner_code",
            partner_id.isna(),
            lambda i: f"unknown partner code {_short(partner_code.iat[i])}",
        ),
        ("kpi_code", kpi_id.isna(), lambda i: f"unknown KPI code {_short(kpi_code.iat[i])}"),
        (
            "kpi_code",
            kpi_code.isin(lookups.formula_kpis),
            lambda i: f"KPI {kpi_code.iat[i]!r} is a formula KPI; import its inputs instead",
        ),
        (
            "observed_on",
            day.isna(),
            lambda i: f"bad date {_short(chunk['observed_on'].iat[i])} (use {date_hint})",
        ),
        ("value", ~finite, lambda i: f"value {_short(chunk['value'].iat[i])} is not a number"),
        (
            "value",
            finite & is_nps & ~value.isin(list(range(11))),
            lambda i: f"an NPS answer is a whole number 0-10, got {chunk['value'].iat[i]}",
        ),
    ]
    bad = np.zeros(len(chunk), dtype=bool)
    found: list[tuple[int, int, RowError]] = []
    for order, (column, mask, describe) in enumerate(problems):
        for i in np.flatnonzero(mask.to_numpy()):
            found.append((i, order, RowError(int(lines[i]), column, describe(i))))
        bad |= mask.to_numpy()
    errors = [error for _, _, error in sorted(found, key=lambda item: item[:2])]
    good = ~bad
    rows = pd.DataFrame(
        {
            "line": lines[good],
            "partner_id": partner_id[good].astype("int64").to_numpy(),
            "kpi_id": kpi_id[good].astype("int64").to_numpy(),
            "observed_on": day[good].to_numpy(),
            "value": value[good].to_numpy(),
        }
    )
    return rows, errors


def _lookup(cells: pd.Series, table: dict[str, int]) -> tuple[pd.Series, pd.Series]:
    """Codes -> ids; cells with stray spaces are stripped (only those: stripping a million
    clean cells costs more than the lookup)."""
    ids = cells.map(table)
    missing = ids.isna()
    if missing.any():
        cells = cells.copy()
        cells[missing] = cells[missing].str.strip()
        ids[missing] = cells[missing].map(table)
    return cells, ids


def _retry_stripped(cells: pd.Series, parse):
    parsed = parse(cells)
    failed = parsed.isna() & (cells != "")
    if failed.any():
        parsed[failed] = parse(cells[failed].str.strip())
    return parsed


def _short(text: str, limit: int = 60) -> str:
    """A cell quoted for a message, cut short (a 'huge line' must not flood the report)."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


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
        raise ImportFailed(duplicates[:MAX_ERRORS], len(duplicates)) from None


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
