"""Reads for the explain page: how one KPI line of a scorecard came about, from the input
metric values through the period value (SCORING.md 2-3) and the KPI score (4) to the points it
contributes (12). The figures are the stored ones; the period value is also recomputed from
today's inputs with the method itself (kpis.scoring), so a change since the last recompute
shows. A constant number of queries: every row is loaded at once and paged in Python."""

import math
from dataclasses import dataclass, field

import pandas as pd
from django.db.models import OuterRef, Subquery

from assessments.models import Scorecard, ScorecardLine
from assessments.partner_selectors import line_facts, partner_lines, period_pick, periods_load
from assessments.selectors import metric_values_frame
from kpis import formula as formula_lang
from kpis import guidance, scoring
from kpis.models import KPI, Aggregation, Direction, ModelLine, Period, TargetOverride

PAGE_SIZE = 50


@dataclass
class ValueRow:
    kpi: KPI
    observed_on: object
    value: float


@dataclass
class FormulaInput:
    kpi: KPI
    previous: bool  # prev(code): the previous period's value
    value: float | None


@dataclass
class Explain:
    period: Period
    periods: list[Period]
    kpi: KPI
    card: Scorecard | None
    line: ScorecardLine | None
    history: list[tuple[Period, ScorecardLine]]  # oldest first
    rows: list[ValueRow] = field(default_factory=list)  # this page, newest first
    total: int = 0
    page: int = 1
    pages: int = 1
    aggregation: str = ""  # how the period value came out of the rows
    recomputed: float | None = None  # the period value from today's inputs
    score_steps: list[str] = field(default_factory=list)
    contribution: list[str] = field(default_factory=list)
    override: dict | None = None
    formula_inputs: list[FormulaInput] = field(default_factory=list)
    previous_period: Period | None = None

    @property
    def inputs_changed(self) -> bool:
        stored = self.line.value if self.line else None
        if stored is None or self.recomputed is None:
            return (stored is None) != (self.recomputed is None)
        return round(stored, 9) != round(self.recomputed, 9)


def fmt(x: float | None) -> str:
    if x is None:
        return "missing"
    text = f"{x:,.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _sub(x: float) -> str:
    """A number after a minus sign: negative ones in parentheses, '8 − (-20)'."""
    return f"({fmt(x)})" if x < 0 else fmt(x)


def kpi_explain(*, partner, kpi_code: str, period_code: str | None, page: int) -> Explain | None:
    """None when the period or the KPI is unknown, or the KPI was never on this partner's
    scorecard (nothing to explain)."""
    periods = periods_load()
    kpis = {kpi.code: kpi for kpi in KPI.objects.all()}
    kpi = kpis.get(kpi_code)
    if kpi is None:
        return None
    # all the partner's lines (a few hundred): this KPI's history and the chosen period's
    # lines, whose weights make the denominator
    lines = partner_lines(partner_id=partner.pk, period_ids=[p.pk for p in periods.newest_first])
    history_lines = {line.period_id: line for line in lines if line.kpi_id == kpi.pk}
    period = period_pick(periods, period_code, set(history_lines))
    if period is None or not history_lines:
        return None
    by_id = {p.pk: p for p in periods.newest_first}
    card = (
        Scorecard.objects.filter(partner=partner, period=period)
        .select_related("model_version__model")
        .first()
    )
    explain = Explain(
        period=period,
        periods=[p for p in periods.newest_first if p.pk in history_lines],
        kpi=kpi,
        card=card,
        line=history_lines.get(period.pk),
        history=sorted(
            ((by_id[pid], line) for pid, line in history_lines.items()),
            key=lambda pl: pl[0].start,
        ),
        previous_period=periods.previous(period),
    )
    _inputs(explain, partner, kpis, page)
    if explain.line is not None and card is not None:
        current = [line for line in lines if line.period_id == period.pk]
        explain.score_steps = score_steps(explain.line)
        explain.contribution = contribution_steps(
            explain.line, current, card.model_version.missing_policy
        )
        if explain.line.overridden:
            explain.override = _override(partner, kpi, period, card.model_version_id)
    return explain


# -- input rows and the period value ------------------------------------------------------------


def _source_kpis(kpi: KPI, kpis: dict[str, KPI]) -> tuple[list[KPI], bool]:
    """The KPIs whose metric values make this KPI's period value (a formula's inputs,
    transitively), and whether any prev() needs the previous period."""
    if kpi.source != "formula":
        return [kpi], False
    needed, todo, uses_prev = {kpi.code}, [kpi.code], False
    while todo:
        code = todo.pop()
        other = kpis.get(code)
        if other is None or not other.formula:
            continue
        parsed = formula_lang.parse(other.formula)
        uses_prev = uses_prev or bool(parsed.prev_refs)
        for ref in parsed.refs | parsed.prev_refs:
            if ref not in needed:
                needed.add(ref)
                todo.append(ref)
    return [kpis[c] for c in sorted(needed) if c in kpis], uses_prev


def _inputs(explain: Explain, partner, kpis: dict[str, KPI], page: int) -> None:
    period, kpi = explain.period, explain.kpi
    sources, uses_prev = _source_kpis(kpi, kpis)
    previous = explain.previous_period if uses_prev else None
    windows = [period] + ([previous] if previous else [])
    values = pd.concat(
        [
            metric_values_frame(
                start=p.start,
                end=p.end,
                granularity=p.granularity,
                partner_ids=[partner.pk],
                kpi_ids=[k.pk for k in sources],
            )
            for p in windows
        ],
        ignore_index=True,
    )
    values["observed_on"] = pd.to_datetime(values["observed_on"]).dt.date
    values["partner_id"] = partner.pk
    in_period = values[
        (values["observed_on"] >= period.start) & (values["observed_on"] <= period.end)
    ]
    rows = in_period.sort_values(["observed_on", "kpi_id"], ascending=[False, True])
    by_pk = {k.pk: k for k in sources}
    explain.total = len(rows)
    explain.pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
    explain.page = min(max(1, page), explain.pages)
    start_at = (explain.page - 1) * PAGE_SIZE
    explain.rows = [
        ValueRow(by_pk[k], d, v)
        for k, d, v in rows[["kpi_id", "observed_on", "value"]]
        .iloc[start_at : start_at + PAGE_SIZE]
        .itertuples(index=False)
    ]
    frame = pd.DataFrame.from_records(
        [(k.pk, k.code, k.direction, k.aggregation, k.source, k.formula) for k in sources],
        columns=["kpi_id", "code", "direction", "aggregation", "source", "formula"],
    ).set_index("kpi_id")
    current_values = _period_values(in_period, frame)
    if kpi.source == "formula":
        prev_rows = (
            values[
                (values["observed_on"] >= previous.start) & (values["observed_on"] <= previous.end)
            ]
            if previous
            else values.iloc[0:0]
        )
        prev_values = _period_values(prev_rows, frame)
        everything = scoring.add_formula_values(
            current_values, prev_values, frame, pd.Index([partner.pk], name="partner_id")
        )
        prev_all = scoring.add_formula_values(
            prev_values, prev_values.iloc[0:0], frame, pd.Index([partner.pk], name="partner_id")
        )
        explain.formula_inputs = _formula_inputs(kpi, kpis, everything, prev_all)
        current_values = everything
    found = current_values.loc[current_values["kpi_id"] == kpi.pk, "value"]
    explain.recomputed = float(found.iloc[0]) if len(found) else None
    explain.aggregation = aggregation_text(kpi, in_period, explain.recomputed)


def _period_values(rows: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    if rows.empty:
        return scoring.period_values(rows, frame)
    rows = rows.assign(observed_on=pd.to_datetime(rows["observed_on"]))
    return scoring.period_values(rows[["partner_id", "kpi_id", "observed_on", "value"]], frame)


def _formula_inputs(
    kpi: KPI, kpis: dict[str, KPI], current: pd.DataFrame, previous: pd.DataFrame
) -> list[FormulaInput]:
    parsed = formula_lang.parse(kpi.formula)
    by_kpi = dict(zip(current["kpi_id"], current["value"], strict=True))
    by_kpi_prev = dict(zip(previous["kpi_id"], previous["value"], strict=True))
    out = [FormulaInput(kpis[c], False, by_kpi.get(kpis[c].pk)) for c in sorted(parsed.refs)]
    out += [
        FormulaInput(kpis[c], True, by_kpi_prev.get(kpis[c].pk)) for c in sorted(parsed.prev_refs)
    ]
    return out


def aggregation_text(kpi: KPI, rows: pd.DataFrame, value: float | None) -> str:
    """How the period value comes out of this period's rows (SCORING.md 2)."""
    if kpi.source == "formula":
        return f"formula {kpi.formula} = {fmt(value)}"
    n = len(rows)
    if n == 0:
        return "no metric value in the period: the period value is missing (not zero)"
    how = kpi.aggregation
    if how == Aggregation.SUM:
        return f"sum of {n} value{'s' * (n != 1)} = {fmt(value)}"
    if how == Aggregation.MEAN:
        return f"mean of {n} values: {fmt(float(rows['value'].sum()))} / {n} = {fmt(value)}"
    if how == Aggregation.LAST:
        latest = rows["observed_on"].max()
        return f"the latest value, observed on {latest:%Y-%m-%d} = {fmt(value)}"
    if how in (Aggregation.MIN, Aggregation.MAX):
        word = "smallest" if how == Aggregation.MIN else "largest"
        return f"{word} of {n} values = {fmt(value)}"
    if how == Aggregation.COUNT:
        return f"number of values = {n}"
    promoters = int((rows["value"] >= 9).sum())
    detractors = int((rows["value"] <= 6).sum())
    return (
        f"NPS of {n} answers: {promoters} promoters (9-10), {detractors} detractors (0-6): "
        f"100 × ({promoters} − {detractors}) / {n} = {fmt(value)}"
    )


# -- the score and the contribution -------------------------------------------------------------


def score_steps(line: ScorecardLine) -> list[str]:
    """Section 4 with the line's own floor, target and stretch, as lines of arithmetic."""
    v, f, t = line.value, line.floor, line.target
    s = line.stretch
    steps = [
        f"floor {fmt(f)}, target {fmt(t)}, "
        + (f"stretch {fmt(s)}" if s is not None else "no stretch (no bonus above the target)")
    ]
    if v is None:
        return steps + ["no period value: no score (the line is grey)"]
    if line.kpi.direction == Direction.LOWER:
        v, f, t = -v, -f, -t
        s = -s if s is not None else None
        steps.append(
            f"lower is better, so negate: value {fmt(v)}, floor {fmt(f)}, target {fmt(t)}"
            + (f", stretch {fmt(s)}" if s is not None else "")
        )
    s = t if s is None else s
    r = 9
    if round(v, r) <= round(f, r):
        steps.append(f"{fmt(v)} ≤ floor {fmt(f)} → score 0")
    elif round(v, r) < round(t, r):
        steps.append(
            f"between floor and target: 100 × ({fmt(v)} − {_sub(f)}) / ({fmt(t)} − {_sub(f)}) "
            f"= 100 × {fmt(v - f)} / {fmt(t - f)} = {line.score:.1f}"
        )
    elif round(s, r) <= round(t, r):
        steps.append(f"{fmt(v)} ≥ target {fmt(t)} and no bonus range → score 100")
    else:
        steps.append(
            f"at or above the target: 100 + 20 × min(1, ({fmt(v)} − {_sub(t)}) / "
            f"({fmt(s)} − {_sub(t)})) = 100 + 20 × {fmt(min(1.0, (v - t) / (s - t)))} "
            f"= {line.score:.1f}"
        )
    return steps


def contribution_steps(line: ScorecardLine, lines: list[ScorecardLine], policy: str) -> list[str]:
    """Section 12: w × s / D points, and the points lost to target."""
    facts = [line_facts(x) for x in lines]
    d, _, w_all = guidance.denominators(facts, policy)
    part = guidance.contributions(facts, policy)[[x.kpi_id for x in lines].index(line.kpi_id)]
    d_text = (
        f"D = the weight of the KPIs with a value = {fmt(d)}"
        if policy == "renormalize"
        else f"D = the total weight = {fmt(w_all)} (missing KPIs count as 0)"
    )
    w = fmt(line.weight)
    if line.score is None:
        lost = (
            f"points lost to target: {w} × 100 / {fmt(w_all)} = {part.lost:.1f}"
            if part.lost is not None
            else "points lost to target: none counted (a missing KPI lowers the coverage instead)"
        )
        return [d_text, "no value: contributes 0 points", lost]
    return [
        d_text,
        f"contribution: w × s / D = {w} × {line.score:.1f} / {fmt(d)} = {part.points:.1f} points",
        f"points lost to target: {w} × max(0, 100 − {line.score:.1f}) / {fmt(d)} = {part.lost:.1f}",
    ]


def _override(partner, kpi: KPI, period: Period, version_id: int) -> dict | None:
    model_line = ModelLine.objects.filter(version_id=version_id, kpi_id=OuterRef("kpi_id"))
    row = (
        TargetOverride.objects.filter(partner=partner, kpi=kpi, period=period)
        .annotate(
            model_floor=Subquery(model_line.values("floor")[:1]),
            model_target=Subquery(model_line.values("target")[:1]),
            model_stretch=Subquery(model_line.values("stretch")[:1]),
        )
        .values(
            "floor", "target", "stretch", "reason", "model_floor", "model_target", "model_stretch"
        )
        .first()
    )
    return dict(row) if row else None
