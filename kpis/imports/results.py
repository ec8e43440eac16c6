"""What an import reports: errors by line and field, counts, a sample of rows."""

from dataclasses import dataclass, field

COLUMNS = ("partner_code", "kpi_code", "observed_on", "value")
API_FIELDS = ("partner", "kpi", "observed_on", "value")  # the same, as the API names them
API_FIELD_OF = dict(zip(COLUMNS, API_FIELDS, strict=True))  # column -> the API's field name
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
    """`row_errors` lists (up to MAX_ERRORS) problems; `total_errors` counts every problem and
    `bad_rows` the rows that have one (a row can have several)."""

    def __init__(
        self,
        row_errors: list[RowError],
        total_errors: int | None = None,
        *,
        bad_rows: int | None = None,
    ):
        self.row_errors = row_errors
        self.errors = _lines_text(row_errors)
        self.total_errors = max(total_errors or 0, len(row_errors))
        self.bad_rows = max(bad_rows or 0, len(self.errors))
        more = self.bad_rows - len(self.errors)
        super().__init__("\n".join(self.errors) + (f"\n... and {more} more row(s)" if more else ""))


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


def short(text: str, limit: int = 60) -> str:
    """A cell quoted for a message, cut short (a 'huge line' must not flood the report)."""
    return repr(text if len(text) <= limit else text[:limit] + "...")
