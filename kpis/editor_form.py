"""The model editor's form (templates/config/version.html): posted fields -> the plain data
`kpis.drafts.draft_write` takes, and its errors (by path: `lines[2].weight`) back onto the
form's fields (`lines-5-weight`), so the editor, the API and the configuration import share
one writer and one set of rules (STYLE.md 10).

Field names: `lines-<n>-{kpi,weight,floor,target,stretch,DELETE}`, `tiers-<n>-{name,min_score,
DELETE}`, `tiers-<n>-req-<m>-{kpi,min_kpi_score}`, and the version's settings by name. A row
left blank or ticked DELETE is not written."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from kpis.drafts import draft_write
from kpis.models import ScoringModelVersion

SETTINGS = (
    "missing_policy",
    "min_coverage",
    "amber_from",
    "demotion_grace",
    "tier_changes_need_approval",
    "note",
)
LINE_FIELDS = ("kpi", "weight", "floor", "target", "stretch")
TIER_FIELDS = ("name", "min_score")
REQ_FIELDS = ("kpi", "min_kpi_score")
EXTRA_LINES, EXTRA_TIERS, EXTRA_REQUIREMENTS = 2, 1, 1
GENERAL = "__all__"  # the form's errors that belong to no field
ROW = "row"  # a row's errors that belong to none of its fields

_LINE_KEY = re.compile(r"^lines-(\d+)-")
_TIER_KEY = re.compile(r"^tiers-(\d+)-(name|min_score)$")
_REQ_KEY = re.compile(r"^tiers-(\d+)-req-(\d+)-")


@dataclass
class Row:
    """One table row as the page shows it: its index in the field names, the raw values, the
    errors of each field (GENERAL for the row) and, for tiers, its requirement rows."""

    name: str  # the prefix of its fields: lines-3, tiers-1, tiers-1-req-0
    n: int
    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    requirements: list["Row"] = field(default_factory=list)
    percent: float | None = None

    @property
    def blank(self) -> bool:
        return not any(v.strip() for k, v in self.values.items() if k != "DELETE")


@dataclass
class EditorForm:
    settings: dict[str, Any]
    lines: list[Row]
    tiers: list[Row]
    errors: dict[str, list[str]] = field(default_factory=dict)  # by field name or section

    @property
    def weight_total(self) -> float:
        return sum(_weight(row) or 0.0 for row in self.lines if _written(row))


def form_from_version(version: ScoringModelVersion) -> EditorForm:
    """The form showing a version as it is stored (plus blank rows to add to a draft)."""
    lines = [
        Row(
            f"lines-{i}",
            i,
            {"kpi": line.kpi.code, **{f: _text(getattr(line, f)) for f in LINE_FIELDS[1:]}},
        )
        for i, line in enumerate(version.lines.select_related("kpi").order_by("-weight", "kpi"))
    ]
    tiers = []
    for i, tier in enumerate(version.tiers.prefetch_related("requirements__kpi")):
        requirements = [
            Row(
                f"tiers-{i}-req-{j}",
                j,
                {"kpi": r.kpi.code, "min_kpi_score": _text(r.min_kpi_score)},
            )
            for j, r in enumerate(tier.requirements.all())
        ]
        tiers.append(
            Row(
                f"tiers-{i}",
                i,
                {"name": tier.name, "min_score": _text(tier.min_score)},
                requirements=requirements,
            )
        )
    settings = {
        name: _text(value) if isinstance(value, float) else value
        for name, value in ((name, getattr(version, name)) for name in SETTINGS)
    }
    form = EditorForm(settings, lines, tiers)
    if version.status == "draft":
        _add_blank_rows(form)
    _percentages(form)
    return form


def form_from_post(post: Mapping[str, str]) -> EditorForm:
    lines = {int(m[1]) for k in post if (m := _LINE_KEY.match(k))}
    tiers = {int(m[1]) for k in post if (m := _TIER_KEY.match(k))}
    form = EditorForm(
        settings={name: post.get(name, "") for name in SETTINGS},
        lines=[
            Row(
                f"lines-{n}",
                n,
                {f: post.get(f"lines-{n}-{f}", "") for f in (*LINE_FIELDS, "DELETE")},
            )
            for n in sorted(lines)
        ],
        tiers=[],
    )
    form.settings["tier_changes_need_approval"] = bool(post.get("tier_changes_need_approval"))
    for n in sorted(tiers):
        reqs = {int(m[2]) for k in post if (m := _REQ_KEY.match(k)) and int(m[1]) == n}
        row = Row(
            f"tiers-{n}", n, {f: post.get(f"tiers-{n}-{f}", "") for f in (*TIER_FIELDS, "DELETE")}
        )
        row.requirements = [
            Row(
                f"tiers-{n}-req-{m}",
                m,
                {f: post.get(f"tiers-{n}-req-{m}-{f}", "") for f in (*REQ_FIELDS, "DELETE")},
            )
            for m in sorted(reqs)
        ]
        form.tiers.append(row)
    _percentages(form)
    return form


def form_apply(*, version: ScoringModelVersion, form: EditorForm, save: bool) -> bool:
    """Write the form to the draft through draft_write (all or nothing); with save=False only
    validate (written, then rolled back). Puts the errors on the form; True when none."""
    data, where = _data(form)
    with transaction.atomic():
        try:
            draft_write(version=version, data=data)
        except ValidationError as exc:
            _place_errors(form, exc.message_dict, where)
        if not save or form.errors:
            transaction.set_rollback(True)
    if form.errors:
        version.refresh_from_db()
    return not form.errors


def form_json(form: EditorForm) -> dict[str, Any]:
    """What the live validation returns: errors by field name, the weight total and each
    line's share of it."""
    return {
        "valid": not form.errors,
        "errors": form.errors,
        "total": form.weight_total,
        "percent": {row.name: row.percent for row in form.lines},
    }


# -- form -> data ---------------------------------------------------------------------------------


def _data(form: EditorForm) -> tuple[dict[str, Any], dict[str, Any]]:
    """The data for draft_write and where each of its items came from (paths -> rows)."""
    data: dict[str, Any] = {name: _value(form.settings[name]) for name in SETTINGS}
    data["note"] = form.settings["note"] or ""
    # as typed: an integer field would quietly truncate 1.5 (the field names "1.5" instead)
    data["demotion_grace"] = str(form.settings["demotion_grace"]).strip() or None
    data["tier_changes_need_approval"] = bool(form.settings["tier_changes_need_approval"])
    where: dict[str, Any] = {"lines": [], "tiers": [], "requirements": {}}
    data["lines"] = []
    for row in form.lines:
        if _written(row):
            data["lines"].append({f: _value(row.values[f]) for f in LINE_FIELDS})
            where["lines"].append(row)
    data["tiers"] = []
    for row in form.tiers:
        if not _written(row):
            continue
        requirements = [r for r in row.requirements if _written(r)]
        tier = {f: _value(row.values[f]) for f in TIER_FIELDS}
        tier["requirements"] = [{f: _value(r.values[f]) for f in REQ_FIELDS} for r in requirements]
        where["requirements"][len(data["tiers"])] = requirements
        data["tiers"].append(tier)
        where["tiers"].append(row)
    return data, where


def _written(row: Row) -> bool:
    return not row.blank and not row.values.get("DELETE")


def _value(raw: Any) -> Any:
    """A posted value as draft_write takes it: '' is missing (None), numbers are numbers and
    anything else stays text for the model's own field check to name."""
    if not isinstance(raw, str):
        return raw
    raw = raw.strip()
    if raw == "":
        return None
    try:
        return float(raw)
    except ValueError:
        return raw


def _weight(row: Row) -> float | None:
    value = _value(row.values.get("weight", ""))
    return value if isinstance(value, float) and value > 0 else None


def _percentages(form: EditorForm) -> None:
    total = form.weight_total
    for row in form.lines:
        weight = _weight(row)
        row.percent = 100 * weight / total if weight and total and _written(row) else None


def _text(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _add_blank_rows(form: EditorForm) -> None:
    start = len(form.lines)
    form.lines += [
        Row(f"lines-{n}", n, dict.fromkeys(LINE_FIELDS, ""))
        for n in range(start, start + EXTRA_LINES)
    ]
    start = len(form.tiers)
    form.tiers += [
        Row(f"tiers-{n}", n, dict.fromkeys(TIER_FIELDS, ""))
        for n in range(start, start + EXTRA_TIERS)
    ]
    for tier in form.tiers:
        first = len(tier.requirements)
        tier.requirements += [
            Row(f"{tier.name}-req-{m}", m, dict.fromkeys(REQ_FIELDS, ""))
            for m in range(first, first + EXTRA_REQUIREMENTS)
        ]


# -- errors (paths) -> form fields ----------------------------------------------------------------

_PATH = re.compile(r"^(lines|tiers)\[(\d+)\](?:\.requirements\[(\d+)\])?(?:\.(\w+))?$")
_IN_TEXT = re.compile(r"\b(lines|tiers)\[(\d+)\]")


def _place_errors(form: EditorForm, errors: dict[str, list[str]], where: dict[str, Any]) -> None:
    for path, messages in errors.items():
        messages = [_IN_TEXT.sub(lambda m: _row_words(m, where), text) for text in messages]
        row, name, key = _locate(path, where)
        if row is not None:
            row.errors.setdefault(name, []).extend(messages)
        form.errors.setdefault(key, []).extend(messages)


def _locate(path: str, where: dict[str, Any]) -> tuple[Row | None, str, str]:
    """The row, its field and the form's field name an error path points at."""
    match = _PATH.match(path)
    if match is None:  # a setting, a section ("tiers") or the version as a whole
        return None, GENERAL, path if path in (*SETTINGS, "lines", "tiers") else GENERAL
    section, i, j, name = match[1], int(match[2]), match[3], match[4] or ROW
    row = where[section][i]
    if j is None:
        return row, name, row.name if name == ROW else f"{row.name}-{name}"
    requirement = where["requirements"][i][int(j)]
    name = "kpi" if name in ("tier", ROW) else name  # "this tier cannot require ...": its KPI
    return requirement, name, f"{requirement.name}-{name}"


def _row_words(match: re.Match, where: dict[str, Any]) -> str:
    section, i = match[1], int(match[2])
    rows = where[section]
    n = rows[i].n + 1 if i < len(rows) else i + 1
    return f"{'line' if section == 'lines' else 'tier'} {n}"
