"""Export formats: CSV and .xlsx, both streamed, both safe to open in a spreadsheet.

A table to export is a header (column names) and an iterable of rows. Numbers a page rounds
arrive as `Rounded` (see `page_round`): CSV writes them as the page shows them, .xlsx as a
number with the page's number format. Every text cell is neutralised against formula
injection: a partner called `=cmd|' /C calc'!A0` opens in a spreadsheet as that text, never
as a formula (CSV: a leading `'`; .xlsx: an explicit string cell).
"""

import csv
import math
import re
import tempfile
from collections.abc import Iterable, Iterator
from decimal import ROUND_HALF_UP, Context, Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Rounded(Decimal):
    """A number rounded as a page shows it; `str()` gives the page's digits ("88.0")."""


def page_round(value: float | None, places: int) -> Rounded | None:
    """Round as the templates' `floatformat:<places>` does (Django quantizes the decimal
    representation half up, so 88.25 shows as 88.3 where Python's round() gives 88.2)."""
    if value is None:
        return None
    digits = Decimal(repr(float(value)))
    context = Context(prec=max(1, digits.adjusted() + places + 2))
    rounded = digits.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP, context)
    return Rounded(abs(rounded) if rounded == 0 else rounded)  # -0.04 shows as 0.0, not -0.0


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_filename(name: str) -> str:
    """A filename any browser and file system accepts (codes and period codes are slugs
    already; this guards the header against anything else)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "export"


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """Stream CSV lines (a 10,000-partner export never sits in memory as one string)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])


def _number_format(value: Rounded) -> str:
    places = -int(value.as_tuple().exponent)
    return "0" if places <= 0 else "0." + "0" * places


def _xlsx_row(sheet, row: Iterable) -> list:
    cells: list = []
    for value in row:
        if isinstance(value, Rounded):
            cell = WriteOnlyCell(sheet, value=float(value))
            cell.number_format = _number_format(value)
            cells.append(cell)
        elif isinstance(value, float) and math.isfinite(value):
            # every digit: openpyxl would write 16 significant digits, one short of a double
            cell = WriteOnlyCell(sheet, value=repr(value))
            cell.data_type = "n"
            cells.append(cell)
        elif isinstance(value, str):
            # an explicit string cell: openpyxl would store "=..." as a formula
            cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
            cell.data_type = "s"
            cells.append(cell)
        else:
            cells.append(value)
    return cells


def xlsx_file(header: list[str], rows: Iterable[Iterable], *, title: str):
    """The workbook in a temporary file, rewound, for a FileResponse to stream. Write-only
    mode: openpyxl spills rows to disk as they come, so memory stays bounded at any size."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    for index, name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, len(name) + 2)
    sheet.append(header)
    for row in rows:
        sheet.append(_xlsx_row(sheet, row))
    output = tempfile.TemporaryFile()  # noqa: SIM115 (the FileResponse closes it)
    workbook.save(output)
    output.seek(0)
    return output
