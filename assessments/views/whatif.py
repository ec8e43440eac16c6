"""The what-if preview (SCORING.md 16) for admins, viewable by channel managers: a draft
version (or the active version with one edited weight) on an open period, against the current
scorecards: summary counts, the old x new tier matrix whose cells list their partners, the
biggest winners and losers, and the partners who would fall to insufficient or no data."""

from dataclasses import dataclass

import pandas as pd
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse

from assessments import portfolio_charts
from assessments.filtersets import NO_TIER as NO_TIER_PARAM
from assessments.models import ScorecardStatus
from assessments.whatif import NO_TIER, Preview, whatif_preview_cached
from kpis.models import ModelLine, Period, PeriodStatus, ScoringModelVersion, VersionStatus
from partners.access import sees_all_partners

CELL_ROWS = 250  # partners listed for a matrix cell or the fallers; the API lists them all
MOVERS = 10


@dataclass
class WhatIfRequest:
    """The page's parameters, checked: what to preview, or the errors that name the problem."""

    versions: list[ScoringModelVersion]
    periods: list[Period]
    version: ScoringModelVersion | None
    period: Period | None
    kpi: str
    weight: str
    errors: list[str]

    @property
    def weight_changes(self) -> dict[str, str]:
        return {self.kpi: self.weight} if self.kpi and self.weight else {}


def whatif_choices() -> tuple[list[ScoringModelVersion], list[Period]]:
    """Versions one may preview (drafts first, then active ones; the default model, which
    scores only partner types without a model of their own, last) and open periods, latest
    first."""
    versions = list(
        ScoringModelVersion.objects.filter(status__in=[VersionStatus.DRAFT, VersionStatus.ACTIVE])
        .select_related("model")
        .order_by("status", "model__name", "-number")  # 'active' < 'draft': reversed below
    )
    versions.sort(
        key=lambda v: (v.status != VersionStatus.DRAFT, v.model.is_default, v.model.name, -v.number)
    )
    periods = list(Period.objects.filter(status=PeriodStatus.OPEN).order_by("-end", "code"))
    return versions, periods


def parse_request(params: QueryDict) -> WhatIfRequest:
    versions, periods = whatif_choices()
    errors = []
    version_id = params.get("version", "").strip()
    version = versions[0] if versions else None
    if version_id:
        version = next((v for v in versions if str(v.pk) == version_id), None)
        if version is None:
            errors.append(f"There is no draft or active version with id '{version_id}'.")
    code = params.get("period", "").strip()
    period = periods[0] if periods else None
    if code:
        period = next((p for p in periods if p.code == code), None)
        if period is None:
            closed = Period.objects.filter(code=code).exists()
            errors.append(
                f"Period {code} is closed: its scorecards are frozen. Pick an open period."
                if closed
                else f"There is no period '{code}'."
            )
    kpi, weight = params.get("kpi", "").strip(), params.get("weight", "").strip()
    if bool(kpi) != bool(weight):
        errors.append("A weight edit needs both a KPI and its new weight.")
    return WhatIfRequest(versions, periods, version, period, kpi, weight, errors)


@login_required
def whatif(request: HttpRequest) -> HttpResponse:
    if not sees_all_partners(request.user):  # it shows every partner's score
        raise Http404("The what-if preview is for admins and managers who see every partner.")
    asked = parse_request(request.GET)
    preview = None
    errors = list(asked.errors)
    if not errors and asked.version is not None and asked.period is not None:
        try:
            preview = whatif_preview_cached(
                version=asked.version,
                period=asked.period,
                weight_changes=asked.weight_changes,  # checked (numbers > 0) there
            )
        except ValidationError as exc:
            errors.extend(exc.messages)
    context = {
        "asked": asked,
        "errors": errors,
        "preview": preview,
        "lines": _lines(asked.version),
        "no_tier": NO_TIER_PARAM,
    }
    if preview is not None:
        context.update(_preview_context(preview, asked, request.GET))
    return render(request, "assessments/whatif.html", context, status=400 if errors else 200)


def _lines(version: ScoringModelVersion | None) -> list[tuple[str, str, float]]:
    """(kpi code, kpi name, weight) of the version's lines, for the weight edit."""
    if version is None:
        return []
    return list(
        ModelLine.objects.filter(version=version)
        .order_by("-weight", "kpi__code")
        .values_list("kpi__code", "kpi__name", "weight")
    )


def _preview_context(preview: Preview, asked: WhatIfRequest, params: QueryDict) -> dict:
    assert asked.version is not None and asked.period is not None
    base = QueryDict(mutable=True)
    base["version"] = str(asked.version.pk)
    base["period"] = asked.period.code
    for name, value in asked.weight_changes.items():
        base["kpi"], base["weight"] = name, value

    def cell_link(old: str, new: str) -> str:
        query = base.copy()
        query["from"], query["to"] = old, new
        return f"{reverse('whatif')}?{query.urlencode()}#cell"

    order = [_param(t) for t in preview.tier_order]
    counts = {
        _param(old): {_param(new): len(rows) for new, rows in row.items()}
        for old, row in preview.matrix().items()
    }
    rows = [
        {
            "tier": a,
            "cells": [(b, counts.get(a, {}).get(b, 0), cell_link(a, b)) for b in order],
            "total": sum(counts.get(a, {}).values()),
        }
        for a in order
        if a in counts
    ]
    context: dict = {
        "summary": preview.summary(),
        "order": order,
        "columns": [b for b in order if any(b in row for row in counts.values())],
        "rows": rows,
        "chart": portfolio_charts.migration_matrix(
            counts,
            order,
            cell_link,
            title=f"Tiers today (rows) → with {preview.version_label} (columns)",
        )
        if counts
        else "",
        "winners": _records(preview.winners(MOVERS)),
        "losers": _records(preview.losers(MOVERS)),
        "falling": _records(preview.falling().head(CELL_ROWS)),
        "falling_total": len(preview.falling()),
        "cell_rows": CELL_ROWS,
    }
    if "from" in params and "to" in params:
        old, new = params.get("from", ""), params.get("to", "")
        cell = preview.cell(_tier(old), _tier(new))
        context.update(
            cell_from=old, cell_to=new, cell=_records(cell.head(CELL_ROWS)), cell_total=len(cell)
        )
    return context


def _param(tier: str) -> str:
    """A tier as the page's links spell it (NO_TIER_PARAM for no tier)."""
    return NO_TIER_PARAM if tier == NO_TIER else tier


def _tier(param: str) -> str:
    return NO_TIER if param == NO_TIER_PARAM else param


STATUS_LABELS = dict(ScorecardStatus.choices)


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows for the template, NaN as None (the template's 'missing'), statuses in words."""
    records = []
    for row in frame.to_dict("records"):
        record = {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
        record["status_label"] = STATUS_LABELS.get(str(record["status"]), "")
        records.append(record)
    return records
