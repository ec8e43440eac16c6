"""The rules a metric value must meet, written once for the file import and the API:
known partner and KPI codes, not a formula KPI, an ISO date, not in a closed period, a finite
number, NPS answers 0-10."""

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kpis.imports.results import API_FIELDS, COLUMNS, RowError, short
from kpis.models import (
    FIRST_DAY,
    KPI,
    LAST_DAY,
    MAX_ABS_VALUE,
    Aggregation,
    Period,
    PeriodStatus,
    Source,
    closed_period_message,
)
from partners.access import visible_partners
from partners.models import Partner

_ANYONE = object()  # Lookups.load without a user: no restriction (the management command)


@dataclass
class Lookups:
    partners: dict[str, int]
    kpis: dict[str, int]
    formula_kpis: set[str]
    nps_kpis: set[str]
    closed_periods: list[tuple[pd.Timestamp, pd.Timestamp, str]]  # start, end, code
    # The partners (ids) the importing user may write values for; None: every partner (the
    # management command, which has no user).
    writable: set[int] | None = None

    @classmethod
    def load(
        cls,
        *,
        partner_codes: Collection[str] | None = None,
        kpi_codes: Collection[str] | None = None,
        user=_ANYONE,
    ) -> "Lookups":
        """Every partner and KPI, or only those with the codes given (one row's). With a user,
        the partners they may not see (partners.access.visible_partners) are refused."""
        partners, kpis = Partner.objects.all(), KPI.objects.all()
        if partner_codes is not None:
            partners = partners.filter(code__in=partner_codes)
        writable = None
        if user is not _ANYONE:
            writable = set(
                visible_partners(user)
                .filter(pk__in=partners.values("pk"))
                .values_list("pk", flat=True)
            )
        if kpi_codes is not None:
            kpis = kpis.filter(code__in=kpi_codes)
        kpis = list(kpis.values_list("code", "id", "source", "aggregation"))
        return cls(
            partners=dict(partners.values_list("code", "id")),
            kpis={code: pk for code, pk, _, _ in kpis},
            writable=writable,
            formula_kpis={code for code, _, source, _ in kpis if source == Source.FORMULA},
            nps_kpis={code for code, _, _, agg in kpis if agg == Aggregation.NPS},
            closed_periods=[
                (pd.Timestamp(start), pd.Timestamp(end), code)
                for start, end, code in Period.objects.filter(status=PeriodStatus.CLOSED)
                .order_by("end")
                .values_list("start", "end", "code")
            ],
        )


def validate_rows(chunk: pd.DataFrame, lines: np.ndarray, lookups: Lookups, date_hint: str):
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
    closed = _closed_period_index(day, lookups.closed_periods)
    closed_at = closed.to_numpy()
    is_nps = kpi_code.isin(lookups.nps_kpis)
    problems = [
        (
            "partner_code",
            partner_id.isna(),
            lambda i: f"unknown partner code {short(partner_code.iat[i])}",
        ),
        (
            "partner_code",
            _not_writable(partner_id, lookups.writable),
            lambda i: f"partner {partner_code.iat[i]} is not one of your partners",
        ),
        ("kpi_code", kpi_id.isna(), lambda i: f"unknown KPI code {short(kpi_code.iat[i])}"),
        (
            "kpi_code",
            kpi_code.isin(lookups.formula_kpis),
            lambda i: f"KPI {kpi_code.iat[i]!r} is a formula KPI; import its inputs instead",
        ),
        (
            "observed_on",
            day.isna(),
            lambda i: f"bad date {short(chunk['observed_on'].iat[i])} (use {date_hint})",
        ),
        (
            "observed_on",
            day.notna() & ~day.between(pd.Timestamp(FIRST_DAY), pd.Timestamp(LAST_DAY)),
            lambda i: (
                f"date {chunk['observed_on'].iat[i].strip()} is outside the years "
                f"{FIRST_DAY.year}-{LAST_DAY.year}"
            ),
        ),
        (
            "observed_on",
            closed >= 0,
            lambda i: closed_period_message(
                lookups.closed_periods[closed_at[i]][2], f"date {day.iat[i].date().isoformat()}"
            ),
        ),
        ("value", ~finite, lambda i: f"value {short(chunk['value'].iat[i])} is not a number"),
        (
            "value",
            finite & (value.abs() > MAX_ABS_VALUE),
            lambda i: f"value {short(chunk['value'].iat[i])} is beyond +-{MAX_ABS_VALUE:.0e}",
        ),
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


def _not_writable(partner_id: pd.Series, writable: set[int] | None) -> pd.Series:
    """Known partners the importing user may not see (partners.access.visible_partners)."""
    if writable is None:
        return pd.Series(False, index=partner_id.index)
    return partner_id.notna() & ~partner_id.isin(list(writable))


def _closed_period_index(
    day: pd.Series, closed_periods: list[tuple[pd.Timestamp, pd.Timestamp, str]]
) -> pd.Series:
    """For each date, the index in `closed_periods` of the closed period it falls in (-1 for
    none): SCORING.md 7, a closed period's inputs are frozen. One vector comparison each."""
    which = np.full(len(day), -1, dtype=np.int64)
    days = day.to_numpy(dtype="datetime64[ns]")
    for k, (start, end, _) in enumerate(closed_periods):
        inside = (which < 0) & (days >= start.to_datetime64()) & (days <= end.to_datetime64())
        which[inside] = k
    return pd.Series(which, index=day.index)


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


def api_rows_frame(rows: list[Mapping]) -> pd.DataFrame:
    """API rows ({partner, kpi, observed_on, value}, JSON values) as the cells of a file."""
    return pd.DataFrame(
        {
            column: ["" if row.get(key) is None else str(row.get(key)) for row in rows]
            for column, key in zip(COLUMNS, API_FIELDS, strict=True)
        }
    )


def api_row_errors(row: Mapping, *, user) -> list[RowError]:
    """One API row through validate_rows: the errors (and messages) a file or bulk row gets,
    for the API's single writes. Looks up only this row's codes."""
    frame = api_rows_frame([row])
    codes = {column: {frame.at[0, column], frame.at[0, column].strip()} for column in COLUMNS}
    lookups = Lookups.load(
        partner_codes=codes["partner_code"], kpi_codes=codes["kpi_code"], user=user
    )
    _, errors = validate_rows(frame, np.zeros(1, dtype="int64"), lookups, "YYYY-MM-DD")
    return errors
