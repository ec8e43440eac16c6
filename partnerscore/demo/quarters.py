"""The demo's calendar: quarters named YYYY-Qn, as arrays of days, and the one error the demo
raises for arguments it cannot use."""

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np

QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")


class DemoError(ValueError):
    """Bad arguments, or a database that already holds partners; the message says which."""


@dataclass(frozen=True)
class Calendar:
    codes: tuple[str, ...]
    starts: np.ndarray  # datetime64[D], one per quarter, oldest first
    ends: np.ndarray  # inclusive
    month_ends: np.ndarray  # (quarters, 3)


def parse_quarter(text: str) -> tuple[int, int]:
    match = QUARTER_RE.match(text.strip())
    if not match:
        raise DemoError(f"Bad quarter '{text}': use YYYY-Qn, e.g. 2026-Q3.")
    return int(match[1]), int(match[2])


def last_completed_quarter(today: dt.date) -> str:
    year, quarter = today.year, (today.month - 1) // 3  # the current quarter is 0-based here
    return f"{year - 1}-Q4" if quarter == 0 else f"{year}-Q{quarter}"


def quarter_calendar(last_quarter: str, count: int) -> Calendar:
    year, quarter = parse_quarter(last_quarter)
    index = np.arange(year * 4 + quarter - count, year * 4 + quarter)  # 0-based quarter numbers
    first_month = (index // 4 - 1970) * 12 + (index % 4) * 3  # months since 1970-01
    month_ends = (first_month[:, None] + np.arange(1, 4)).astype("datetime64[M]")
    month_ends = month_ends.astype("datetime64[D]") - np.timedelta64(1, "D")
    codes = tuple(f"{i // 4}-Q{i % 4 + 1}" for i in index)
    starts = first_month.astype("datetime64[M]").astype("datetime64[D]")
    return Calendar(codes, starts, month_ends[:, 2].copy(), month_ends)


def day_numbers(dates: np.ndarray) -> np.ndarray:
    """Day numbers since 1970-01-01: cheap to compare, broadcast and turn back into dates."""
    return np.asarray(dates).astype("datetime64[D]").astype(np.int64)
