"""Partner import (code, name, type, region, manager): validated whole, upserted on code."""

import io

import pandas as pd
from django.contrib.auth import get_user_model
from django.db import transaction
from simple_history.utils import get_history_manager_for_model

from kpis.imports.results import ImportFailed, ImportResult, RowError, short
from kpis.recompute import request_recompute_of_open_periods
from partners.access import managers_only
from partners.models import Partner, PartnerType, Region

REQUIRED = ("code", "name", "type")
OPTIONAL = ("region", "manager")
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
CODE_MAX = Partner._meta.get_field("code").max_length
NAME_MAX = Partner._meta.get_field("name").max_length


def partners_import(stream, *, progress=None, preview: bool = False) -> ImportResult:
    try:
        frame = pd.read_csv(
            io.TextIOWrapper(stream, encoding="utf-8-sig", newline=""),
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
        )
    except pd.errors.EmptyDataError:
        raise ImportFailed([RowError(1, "", "the file is empty")]) from None
    except UnicodeDecodeError as exc:
        raise ImportFailed(
            [RowError(None, "", f"the file is not UTF-8 text ({exc.reason})")]
        ) from None
    except pd.errors.ParserError as exc:
        raise ImportFailed([RowError(None, "", f"the file is not valid CSV: {exc}")]) from None
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ImportFailed([RowError(1, "", f"missing column {', '.join(map(repr, missing))}")])
    for column in OPTIONAL:
        if column not in frame.columns:
            frame[column] = ""
    frame = frame.apply(lambda column: column.str.strip())
    frame["line"] = range(2, len(frame) + 2)
    frame = frame[(frame[list(REQUIRED + OPTIONAL)] != "").any(axis=1)]
    rows = _resolve(frame)
    if progress:
        progress(len(frame))
    return _write(rows, preview=preview)


API_FIELDS = ("code", "name", "partner_type", "region", "manager")
API_FIELD_OF = {"type": "partner_type"}  # file column -> the API's field (others: the same)


def partners_upsert(rows: list[dict], *, preview: bool = False) -> ImportResult:
    """The same import for rows from the API ({code, name, partner_type, region, manager}):
    the same rules and messages; RowError.line is the row's 0-based index and RowError.field
    the API's field name."""
    unknown = [
        RowError(i, str(key), f"unknown field {short(str(key))} (expected {', '.join(API_FIELDS)})")
        for i, row in enumerate(rows)
        for key in row
        if key not in API_FIELDS
    ]
    if unknown:
        raise ImportFailed(unknown)
    if not rows:
        raise ImportFailed([RowError(None, "", "no rows were sent")])
    frame = pd.DataFrame(
        {
            column: ["" if row.get(key) is None else str(row.get(key)).strip() for row in rows]
            for column, key in zip(REQUIRED + OPTIONAL, API_FIELDS, strict=True)
        }
    )
    frame["line"] = range(len(frame))
    try:
        resolved = _resolve(frame)
    except ImportFailed as exc:
        raise ImportFailed(
            [
                RowError(e.line, API_FIELD_OF.get(e.field, e.field), e.message)
                for e in exc.row_errors
            ]
        ) from None
    return _write(resolved, preview=preview)


def _resolve(frame: pd.DataFrame) -> pd.DataFrame:
    types = {
        **dict(PartnerType.objects.values_list("code", "id")),
        **{n.lower(): i for n, i in PartnerType.objects.values_list("name", "id")},
    }
    regions = {
        **dict(Region.objects.values_list("code", "id")),
        **{n.lower(): i for n, i in Region.objects.values_list("name", "id")},
    }
    users = dict(
        get_user_model().objects.filter(managers_only()).distinct().values_list("username", "id")
    )
    frame = frame.assign(
        partner_type_id=frame["type"].map(lambda v: types.get(v, types.get(v.lower()))),
        region_id=frame["region"].map(lambda v: regions.get(v, regions.get(v.lower()))),
        manager_id=frame["manager"].map(users),
    )
    checks = [
        (
            "code",
            ~frame["code"].str.match(CODE_PATTERN),
            lambda r: f"bad partner code {short(r.code)} (letters, digits, _ - .)",
        ),
        (
            "code",
            frame["code"].duplicated(keep="first"),
            lambda r: f"partner code {short(r.code)} appears twice in the file",
        ),
        (
            "code",
            frame["code"].str.len() > CODE_MAX,
            lambda r: f"partner code {short(r.code)} is longer than {CODE_MAX} characters",
        ),
        ("name", frame["name"] == "", lambda r: "the name is empty"),
        (
            "name",
            frame["name"].str.len() > NAME_MAX,
            lambda r: f"the name is longer than {NAME_MAX} characters ({len(r.name):,})",
        ),
        (
            "type",
            frame["partner_type_id"].isna(),
            lambda r: f"unknown partner type {short(r.type)}",
        ),
        (
            "region",
            (frame["region"] != "") & frame["region_id"].isna(),
            lambda r: f"unknown region {short(r.region)}",
        ),
        (
            "manager",
            (frame["manager"] != "") & frame["manager_id"].isna(),
            lambda r: f"{short(r.manager)} is not a channel manager's username",
        ),
    ]
    errors = [
        RowError(int(row.line), field, describe(row))
        for field, mask, describe in checks
        for row in frame[mask.to_numpy()].itertuples()
    ]
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: e.line))
    if frame.empty:
        raise ImportFailed([RowError(None, "", "the file has a header but no data rows")])
    return frame


FIELDS = ["name", "partner_type_id", "region_id", "manager_id"]


def _write(rows: pd.DataFrame, *, preview: bool) -> ImportResult:
    existing = {
        code: (name, type_id, region_id, manager_id)
        for code, name, type_id, region_id, manager_id in Partner.objects.filter(
            code__in=list(rows["code"])
        ).values_list("code", *FIELDS)
    }
    records = [
        (r.code, r.name, int(r.partner_type_id), _id(r.region_id), _id(r.manager_id))
        for r in rows.itertuples()
    ]
    new = sum(code not in existing for code, *_ in records)
    unchanged = sum(existing.get(code) == tuple(rest) for code, *rest in records)
    result = ImportResult(
        rows=len(records),
        new=new,
        replaced=len(records) - new - unchanged,
        unchanged=unchanged,
        written=len(records) - unchanged,
    )
    result.sample = [
        dict(zip(["code", "name", "type", "region", "manager"], values, strict=True))
        for values in rows[["code", "name", "type", "region", "manager"]]
        .head(20)
        .itertuples(index=False)
    ]
    if preview:
        return result
    with transaction.atomic():
        written = [
            Partner(code=code, name=name, partner_type_id=t, region_id=rg, manager_id=m)
            for code, name, t, rg, m in records
            if existing.get(code) != (name, t, rg, m)
        ]
        Partner.objects.bulk_create(
            written,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=FIELDS,
            batch_size=2000,
        )
        _record_history([p.code for p in written], existing)
        if result.written:  # a new type moves a partner to another peer group and model
            request_recompute_of_open_periods(reason="partner import")
    return result


def _record_history(codes: list[str], existing: dict) -> None:
    """The upsert bypasses save(): record each written partner's new version in the audit
    trail (who: the request's user, when there is one), as stored."""
    if not codes:
        return
    stored = list(Partner.objects.filter(code__in=codes))
    reason = "partner import"
    new = [p for p in stored if p.code not in existing]
    changed = [p for p in stored if p.code in existing]
    history = get_history_manager_for_model(Partner)
    history.bulk_history_create(new, default_change_reason=reason, batch_size=2000)
    history.bulk_history_create(changed, update=True, default_change_reason=reason, batch_size=2000)


def _id(value) -> int | None:
    return None if pd.isna(value) else int(value)
