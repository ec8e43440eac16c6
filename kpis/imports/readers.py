"""Reading files into our rows, at the bottom of the import feature: CSV in bounded-memory
chunks with file line numbers, .xlsx converted to CSV, and import profiles that turn someone
else's export (a CRM report, a spreadsheet) into (partner_code, kpi_code, observed_on, value)."""

import csv
import io
import warnings
import zipfile

import numpy as np
import pandas as pd

from kpis.imports.results import COLUMNS, ImportFailed, RowError, short
from kpis.models import ImportProfile
from partners.models import Partner

CHUNK_ROWS = 200_000
CURRENCY = r"^[\s$€£¥]+|[\s$€£¥]+$"


def read_csv_chunks(
    stream, errors: list[RowError], *, required=COLUMNS, sep: str = ",", strip_spaces=True
):
    """Yield (chunk of text columns, file line numbers) from a CSV stream, in bounded memory.
    Structural problems (missing columns, wrong field counts, bad encoding) are appended to
    `errors`. Also used by import profiles (below)."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        yield from _parse(text, errors, required, sep, strip_spaces)
    except pd.errors.EmptyDataError:  # a header and nothing after it
        return
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


MAX_HEADER_CHARS = 100_000
MAX_COLUMNS = 500


def _header(text, errors: list[RowError], required, sep: str, strip_spaces: bool):
    """Read and check the header line ourselves (pandas would take a 30 MB line, 200,000
    columns or a duplicated name without a word): the column names, or None after an error."""
    line = text.readline(MAX_HEADER_CHARS + 1)
    if not line.strip():
        expected = ",".join(required)
        errors.append(RowError(1, "", f"the file is empty (expected a header: {expected})"))
        return None
    if len(line) > MAX_HEADER_CHARS and not line.endswith("\n"):
        errors.append(
            RowError(1, "", f"the header line is longer than {MAX_HEADER_CHARS:,} characters")
        )
        return None
    names = next(csv.reader([line], delimiter=sep, skipinitialspace=strip_spaces))
    if len(names) > MAX_COLUMNS:
        errors.append(
            RowError(1, "", f"the header has {len(names):,} columns (at most {MAX_COLUMNS})")
        )
        return None
    seen: set[str] = set()
    twice = [name for name in names if name in seen or seen.add(name)]
    if twice:
        listed = ", ".join(short(name) for name in dict.fromkeys(twice))
        errors.append(RowError(1, "", f"column {listed} appears more than once in the header"))
        return None
    missing = [c for c in required if c not in names]
    if missing:
        found = ", ".join(short(name, 40) for name in names[:10])
        found += f" and {len(names) - 10} more" if len(names) > 10 else ""
        listed = ", ".join(short(c) for c in missing)
        errors.append(RowError(1, "", f"missing column {listed} (found {found})"))
        return None
    return names


def _parse(text, errors: list[RowError], required, sep: str, strip_spaces: bool):
    names = _header(text, errors, required, sep, strip_spaces)
    if names is None:
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        reader = pd.read_csv(
            text,
            header=None,
            names=names,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            on_bad_lines="warn",
            chunksize=CHUNK_ROWS,
            sep=sep,
            skipinitialspace=strip_spaces,
        )
        next_line = 2
        for chunk in reader:
            skipped = _skipped_lines(caught, errors, offset=1)
            lines = _line_numbers(next_line, len(chunk), skipped)
            next_line = int(lines[-1]) + 1 if len(lines) else next_line
            yield chunk, lines
        _skipped_lines(caught, errors, offset=1)


def _skipped_lines(caught: list, errors: list[RowError], *, offset: int) -> list[int]:
    """Turn pandas' 'Skipping line N: expected 4 fields, saw 5' warnings into errors (N counts
    from where pandas started reading: `offset` lines into the file)."""
    numbers = []
    for warning in caught:
        for part in str(warning.message).strip().splitlines():
            if part.startswith("Skipping line"):
                number, _, what = part.removeprefix("Skipping line ").partition(":")
                numbers.append(int(number) + offset)
                errors.append(RowError(int(number) + offset, "", what.strip()))
    caught.clear()
    return numbers


def _line_numbers(start: int, count: int, skipped: list[int]) -> np.ndarray:
    candidates = np.arange(start, start + count + len(skipped))
    return np.setdiff1d(candidates, np.array(skipped, dtype=int), assume_unique=True)[:count]


XLSX_MAX_ROWS = 1_000_000
XLSX_MAX_UNCOMPRESSED = 500 * 2**20


def xlsx_to_csv(source, target, *, progress=None, max_rows: int = XLSX_MAX_ROWS) -> int:
    """Write the first sheet of an .xlsx workbook as UTF-8 CSV; returns the number of rows.
    Refuses (ImportFailed) a file that is not a workbook, one that unpacks to more than
    XLSX_MAX_UNCOMPRESSED bytes (a zip bomb) and a sheet of more than `max_rows` rows."""
    from openpyxl import load_workbook

    _check_workbook(source)
    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise _not_a_workbook(f"it could not be read ({type(exc).__name__})") from None
    try:
        return _write_sheet(workbook.worksheets[0], target, progress, max_rows)
    finally:
        workbook.close()


def _write_sheet(sheet, target, progress, max_rows: int) -> int:
    text = io.TextIOWrapper(target, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text)
    count = 0
    for row in sheet.iter_rows(values_only=True):
        count += 1
        if count > max_rows:
            raise ImportFailed(
                [RowError(None, "", f"the sheet has more than {max_rows:,} rows; save it as CSV")]
            )
        writer.writerow(["" if cell is None else _cell_text(cell) for cell in row])
        if progress and count % 50_000 == 0:
            progress(count)
    text.detach()
    return count


def _check_workbook(source) -> None:
    try:
        with zipfile.ZipFile(source) as archive:
            names = {info.filename: info.file_size for info in archive.infolist()}
    except (zipfile.BadZipFile, OSError):
        raise _not_a_workbook("it is not a zip archive") from None
    if "xl/workbook.xml" not in names:
        raise _not_a_workbook("the archive holds no workbook")
    if sum(names.values()) > XLSX_MAX_UNCOMPRESSED:
        size = XLSX_MAX_UNCOMPRESSED // 2**20
        raise ImportFailed([RowError(None, "", f"the workbook unpacks to more than {size} MB")])
    source.seek(0)


def _not_a_workbook(why: str) -> ImportFailed:
    return ImportFailed([RowError(None, "", f"the file is not an .xlsx workbook: {why}")])


def _cell_text(cell) -> str:
    if hasattr(cell, "date") and hasattr(cell, "isoformat"):  # datetime / date
        return cell.date().isoformat() if hasattr(cell, "hour") else cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def required_columns(profile: ImportProfile) -> list[str]:
    columns = [profile.partner_column, profile.date_column]
    if profile.kpi_columns:
        return columns + list(profile.kpi_columns)
    return columns + [profile.kpi_column, profile.value_column]


def profile_chunks(stream, profile: ImportProfile, errors: list[RowError]):
    """Yield (frame of our COLUMNS as text, source line numbers) chunk by chunk."""
    names = _partner_names() if profile.partner_match == "name" else None
    chunks = read_csv_chunks(
        stream,
        errors,
        required=required_columns(profile),
        sep=profile.delimiter,
        strip_spaces=False,
    )
    for chunk, lines in chunks:
        yield _canonical(chunk, lines, profile, names)


def _partner_names() -> dict[str, str]:
    return {
        name.strip().lower(): code for code, name in Partner.objects.values_list("code", "name")
    }


def _canonical(chunk: pd.DataFrame, lines: np.ndarray, profile: ImportProfile, names):
    partner = chunk[profile.partner_column].str.strip()
    if names is not None:
        partner = partner.str.lower().map(names).fillna(partner)
    day = chunk[profile.date_column].str.strip()
    if profile.date_format:
        parsed = pd.to_datetime(day, format=profile.date_format, errors="coerce")
        day = parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), day)
    if profile.kpi_columns:  # wide: one row per (source row, mapped column with a value)
        parts = []
        for column, code in profile.kpi_columns.items():
            cells = chunk[column].str.strip()
            keep = (cells != "").to_numpy()
            parts.append(
                (
                    pd.DataFrame(
                        {
                            "partner_code": partner[keep],
                            "kpi_code": code,
                            "observed_on": day[keep],
                            "value": cells[keep],
                        }
                    ),
                    lines[keep],
                )
            )
        frame = pd.concat([p for p, _ in parts], ignore_index=True)
        out_lines = np.concatenate([ln for _, ln in parts])
    else:
        frame = pd.DataFrame(
            {
                "partner_code": partner,
                "kpi_code": chunk[profile.kpi_column],
                "observed_on": day,
                "value": chunk[profile.value_column],
            }
        )
        frame, out_lines = frame.reset_index(drop=True), lines
    frame["value"] = _plain_number(frame["value"], profile.decimal)
    return frame[list(COLUMNS)], out_lines


def _plain_number(values: pd.Series, decimal: str) -> pd.Series:
    """'$12,500.00' -> '12500.00'; with decimal ',': '1.234,5' -> '1234.5'."""
    values = values.str.replace(CURRENCY, "", regex=True)
    if decimal == ",":
        return values.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    return values.str.replace(",", "", regex=False)
