"""Other people's files: an import profile turns a CRM export or spreadsheet into our rows
(partner_code, kpi_code, observed_on, value) keeping the source's line numbers; .xlsx files
are converted to CSV first."""

import csv
import io

import numpy as np
import pandas as pd

from kpis.imports import COLUMNS, RowError, read_csv_chunks
from kpis.models import ImportProfile
from partners.models import Partner

CURRENCY = r"^[\s$€£¥]+|[\s$€£¥]+$"


def xlsx_to_csv(source, target) -> int:
    """Write the first sheet of an .xlsx workbook as UTF-8 CSV; returns the number of rows."""
    from openpyxl import load_workbook

    workbook = load_workbook(source, read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    text = io.TextIOWrapper(target, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text)
    count = 0
    for row in sheet.iter_rows(values_only=True):
        writer.writerow(["" if cell is None else _cell_text(cell) for cell in row])
        count += 1
    text.detach()
    workbook.close()
    return count


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
