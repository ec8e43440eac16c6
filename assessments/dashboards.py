"""The portfolio's period-wide figures: headline counts, tier counts, distribution, quadrant,
tier migration, breakdowns by region and manager, and the short lists (movers, at risk, no
data), for one period and one set of filters.

They change only when a recompute writes the period, so they are computed once (from one
frame of the filtered scorecards) and cached under a key that names the period's latest
recompute run: a new run makes a new key, and stale entries simply expire."""

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db.models import Avg, Max, QuerySet
from django.http import QueryDict

from assessments.filtersets import NO_TIER, ScorecardFilterSet
from assessments.models import RecomputeRun, RunStatus, Scorecard, ScorecardLine, ScorecardStatus
from assessments.selectors import (
    PeriodChoice,
    filter_choices,
    period_choice,
    portfolio_scorecards,
)
from kpis.models import Period
from partners.models import Partner

CACHE_SECONDS = 600  # a bound on staleness for what no recompute announces (a renamed region)
KEY_VERSION = 3
SCORE_BINS = 24  # 0-120 in steps of 5
TREND_EDGES = [-math.inf, -20, -10, -5, -2, 2, 5, 10, 20, math.inf]
QUADRANT_SCORE_EDGES = [0, 20, 40, 60, 80, 100, 120.000001]
LIST_LENGTH = 8
TOP_MANAGERS = 15

CARD_COLUMNS = {
    "partner_id": "partner_id",
    "code": "partner__code",
    "name": "partner__name",
    "type_code": "partner_type__code",
    "type_name": "partner_type__name",
    "region_code": "partner__region__code",
    "region_name": "partner__region__name",
    "manager": "partner__manager__username",
    "manager_first": "partner__manager__first_name",
    "manager_last": "partner__manager__last_name",
    "score": "score",
    "status": "status",
    "tier": "tier",
    "tier_min": "tier_min_score",
    "trend": "trend",
    "tier_change": "tier_change",
    "previous_tier": "previous_tier",
    "projected_tier": "projected_tier",
    "projected_drop": "projected_drop",
    "red_key_lines": "red_key_lines",
    "flagged_lines": "flagged_lines",
    "falls_to": "falls_to",
    "falls_in": "falls_in",
}


@dataclass
class Headline:
    total: int = 0
    scored: int = 0
    mean_score: float | None = None
    insufficient: int = 0
    no_data: int = 0
    ups: int = 0
    downs: int = 0
    at_risk: int = 0

    @property
    def insufficient_share(self) -> float | None:
        return 100 * self.insufficient / self.total if self.total else None


@dataclass
class Dashboard:
    headline: Headline
    tiers: list[dict]  # {tier, min_score, n, partner_type, type_name} (type '' when merged)
    tier_order: list[str]  # tier names, highest threshold first, then NO_TIER
    histogram: dict[str, list[int]]  # tier (or NO_TIER) -> counts per 5-point bin
    quadrant: list[list[int]]  # [score bin][trend bin] counts of ok cards with a trend
    migration: dict = field(default_factory=dict)  # from tier -> to tier -> count
    regions: list[dict] = field(default_factory=list)
    managers: list[dict] = field(default_factory=list)
    movers_up: list[dict] = field(default_factory=list)
    movers_down: list[dict] = field(default_factory=list)
    at_risk: list[dict] = field(default_factory=list)
    no_data: list[dict] = field(default_factory=list)


# what a filter set is not: the period, the ordering and the page
NOT_FILTERS = ("period", "ordering", "page")


def filters_in_use(params: QueryDict) -> dict[str, str]:
    """The filter parameters in use (not the period, ordering or page), in a stable order."""
    return {
        name: value
        for name in sorted(params)
        if name not in NOT_FILTERS and (value := params.get(name, "").strip())
    }


@dataclass
class PortfolioView:
    cards: ScorecardFilterSet  # the period's filtered scorecards, for the table
    filters: dict[str, str]
    dashboard: Dashboard
    before: Dashboard | None  # the same filters on the previous period
    region_kpis: list[dict]


def portfolio_view(*, choice: PeriodChoice, partners: QuerySet, params: QueryDict) -> PortfolioView:
    """What the portfolio page shows of a period, for the partners a user sees, filtered by
    `params` (the scorecards API's filterset: the same parameters)."""
    period, previous = choice.period, choice.previous
    assert period is not None
    cards = ScorecardFilterSet(
        params, queryset=portfolio_scorecards(period=period, partners=partners)
    )
    filters = filters_in_use(params)
    scope = (str(partners.query), sorted(filters.items()))
    generations = recompute_generations([period] + ([previous] if previous else []))
    generation = "-".join(generations.values())
    before = None
    if previous is not None:
        data = params.copy()
        data["period"] = previous.code
        for name in ("from_period", "from_tier", "moved"):  # relative to the shown period
            data.pop(name, None)
        before = period_dashboard(
            period=previous,
            cards=ScorecardFilterSet(
                data, queryset=portfolio_scorecards(period=previous, partners=partners)
            ).qs,
            previous=None,
            generation=generations[previous.pk],
            scope=scope,
        )
    return PortfolioView(
        cards=cards,
        filters=filters,
        dashboard=period_dashboard(
            period=period, cards=cards.qs, previous=previous, generation=generation, scope=scope
        ),
        before=before,
        region_kpis=region_kpi_means(
            period=period, cards=cards.qs, generation=generation, scope=scope
        ),
    )


def warm_portfolio(period_code: str) -> None:
    """After a recompute: compute the unfiltered portfolio of the period (and of the next
    one, whose headline compares with it) for the managers who see every partner, so the
    first visit after a recompute is as fast as the rest."""
    filter_choices()
    latest = period_choice(code=None).period  # the page a manager lands on
    codes = {period_code} | ({latest.code} if latest is not None else set())
    for code in sorted(codes):
        choice = period_choice(code=code)
        if choice.period is not None:
            portfolio_view(choice=choice, partners=Partner.objects.all(), params=QueryDict())


def recompute_generations(periods: list[Period]) -> dict[int, str]:
    """Names each period's scorecards' current state: its latest successful run, and its
    status (closing a period changes its flags without a run)."""
    runs = dict(
        RecomputeRun.objects.filter(
            period_id__in=[p.pk for p in periods], status=RunStatus.SUCCEEDED
        )
        .values_list("period_id")
        .annotate(last=Max("id"))
        .order_by()
    )
    return {p.pk: f"{p.pk}.{runs.get(p.pk, 0)}.{p.status}.{p.closed_at}" for p in periods}


def recompute_generation(periods: list[Period]) -> str:
    """The state of several periods' scorecards, as one string for a cache key."""
    return "-".join(recompute_generations(periods).values())


def cache_key(*parts: object) -> str:
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"dashboard:{KEY_VERSION}:{digest}"


def period_dashboard(
    *, period: Period, cards: QuerySet, previous: Period | None, generation: str, scope: object
) -> Dashboard:
    """The figures of `cards` (the filtered scorecards of `period`), cached per recompute.
    `scope` names the filters and the user's visible partners, so it is part of the key."""
    key = cache_key("period", period.pk, generation, scope)
    dashboard = cache.get(key)
    if dashboard is None:
        dashboard = build_dashboard(card_frame(cards), previous=previous)
        cache.set(key, dashboard, CACHE_SECONDS)
    return dashboard


def card_frame(cards: QuerySet) -> pd.DataFrame:
    rows = list(cards.order_by().values_list(*CARD_COLUMNS.values()))
    frame = pd.DataFrame.from_records(rows, columns=list(CARD_COLUMNS))
    names = (frame["manager_first"].fillna("") + " " + frame["manager_last"].fillna("")).str.strip()
    frame["manager_name"] = names.where(names != "", frame["manager"])
    return frame.astype({"score": "float64", "trend": "float64", "tier_min": "float64"})


def tier_order(frame: pd.DataFrame) -> list[str]:
    tiers = frame.loc[frame["tier"] != "", ["tier", "tier_min"]]
    ranked = tiers.groupby("tier")["tier_min"].max().sort_values(ascending=False)
    return [*ranked.index.tolist(), NO_TIER]


def build_dashboard(frame: pd.DataFrame, *, previous: Period | None) -> Dashboard:
    ok = frame[frame["status"] == ScorecardStatus.OK]
    order = tier_order(frame)
    tier_or_none = frame["tier"].where(frame["tier"] != "", NO_TIER)
    dashboard = Dashboard(
        headline=headline(frame),
        tiers=tier_counts(ok),
        tier_order=order,
        histogram=histogram(frame.assign(tier=tier_or_none), order),
        quadrant=quadrant(ok),
    )
    if previous is not None:
        dashboard.migration = migration(
            frame["previous_tier"].where(frame["previous_tier"] != "", NO_TIER), tier_or_none
        )
    dashboard.regions = breakdown(frame, "region_code", "region_name", order)
    dashboard.managers = breakdown(frame, "manager", "manager_name", order)[:TOP_MANAGERS]
    with_trend = ok.dropna(subset=["trend"])
    dashboard.movers_up = _records(
        with_trend[with_trend["trend"] > 0].nlargest(LIST_LENGTH, "trend")
    )
    dashboard.movers_down = _records(
        with_trend[with_trend["trend"] < 0].nsmallest(LIST_LENGTH, "trend")
    )
    risky = ok[at_risk_mask(ok)]
    risky = risky.assign(red_key=(risky["red_key_lines"] > 0) & (risky["tier_min"] > 0))
    risky = risky.assign(on_grace=risky["falls_to"] != "").sort_values(
        ["on_grace", "projected_drop", "red_key", "flagged_lines", "score"],
        ascending=[False, False, False, False, True],
    )
    dashboard.at_risk = _records(risky.head(LIST_LENGTH))
    dashboard.no_data = _records(
        frame[frame["status"] == ScorecardStatus.NO_DATA].sort_values("name").head(LIST_LENGTH)
    )
    return dashboard


def at_risk_mask(ok: pd.DataFrame) -> pd.Series:
    """assessments.filtersets.AT_RISK, on a frame of ok cards."""
    red_key = (ok["red_key_lines"] > 0) & (ok["tier_min"] > 0)
    on_grace = ok["falls_to"] != ""
    return on_grace | ok["projected_drop"] | red_key | (ok["flagged_lines"] > 0)


def headline(frame: pd.DataFrame) -> Headline:
    ok = frame[frame["status"] == ScorecardStatus.OK]
    statuses = frame["status"].value_counts()
    changes = frame["tier_change"].value_counts()
    return Headline(
        total=len(frame),
        scored=len(ok),
        mean_score=float(ok["score"].mean()) if len(ok) else None,
        insufficient=int(statuses.get(ScorecardStatus.INSUFFICIENT, 0)),
        no_data=int(statuses.get(ScorecardStatus.NO_DATA, 0)),
        ups=int(changes.get("up", 0)),
        downs=int(changes.get("down", 0)),
        at_risk=int(at_risk_mask(ok).sum()),
    )


def tier_counts(ok: pd.DataFrame) -> list[dict]:
    """Partners per tier; per partner type for a tier name whose threshold differs between
    types (two 'Silver' cards that mean different things are told apart)."""
    per_type = (
        ok.groupby(["tier", "tier_min", "type_code", "type_name"]).size().reset_index(name="n")
    )
    counts = []
    for tier, group in per_type.groupby("tier", sort=False):
        if group["tier_min"].nunique() == 1:
            counts.append(
                {
                    "tier": tier,
                    "min_score": float(group["tier_min"].iloc[0]),
                    "n": int(group["n"].sum()),
                    "partner_type": "",
                    "type_name": "",
                }
            )
        else:
            counts.extend(
                {
                    "tier": tier,
                    "min_score": float(row["tier_min"]),
                    "n": int(row["n"]),
                    "partner_type": row["type_code"],
                    "type_name": row["type_name"],
                }
                for row in group.to_dict("records")
            )
    return sorted(counts, key=lambda c: (-c["min_score"], c["tier"], c["type_name"]))


def histogram(frame: pd.DataFrame, order: list[str]) -> dict[str, list[int]]:
    scored = frame.dropna(subset=["score"])
    bins = np.clip((scored["score"].to_numpy() // 5).astype(int), 0, SCORE_BINS - 1)
    counts = {}
    for tier in order:
        mask = (scored["tier"] == tier).to_numpy()
        counts[tier] = np.bincount(bins[mask], minlength=SCORE_BINS).tolist()
    return counts


def quadrant(ok: pd.DataFrame) -> list[list[int]]:
    with_trend = ok.dropna(subset=["trend"])
    counts, _, _ = np.histogram2d(
        with_trend["score"].to_numpy(),
        with_trend["trend"].to_numpy(),
        bins=[QUADRANT_SCORE_EDGES, TREND_EDGES],
    )
    return counts.astype(int).tolist()


def migration(from_tiers: pd.Series, to_tiers: pd.Series) -> dict:
    table = pd.crosstab(from_tiers, to_tiers)
    return {str(a): {str(b): int(n) for b, n in row.items() if n} for a, row in table.iterrows()}


def breakdown(frame: pd.DataFrame, key: str, label: str, order: list[str]) -> list[dict]:
    """Per region (or manager): partners, mean score of the ok ones, partners per tier."""
    known = frame[frame[key].notna()]
    ok = known[known["status"] == ScorecardStatus.OK]
    tiers = pd.crosstab(known[key], known["tier"].where(known["tier"] != "", NO_TIER))
    means = ok.groupby(key)["score"].mean()
    labels = known.groupby(key)[label].first()
    rows = [
        {
            "key": str(value),
            "label": str(labels[value]),
            "n": int(tiers.loc[value].sum()),
            "mean_score": float(means[value]) if value in means.index else None,
            "tiers": {t: int(tiers.loc[value].get(t, 0)) for t in order},
        }
        for value in tiers.index
    ]
    return sorted(rows, key=lambda r: (-r["n"], r["label"]))


def _records(frame: pd.DataFrame) -> list[dict]:
    columns = [
        "code",
        "name",
        "type_name",
        "score",
        "tier",
        "previous_tier",
        "trend",
        "projected_tier",
        "projected_drop",
        "red_key_lines",
        "flagged_lines",
        "falls_to",
        "falls_in",
        "status",
    ]
    records = frame[columns].to_dict("records")
    for record in records:
        for name in ("score", "trend"):
            if record[name] is not None and math.isnan(record[name]):
                record[name] = None
        record["falls_in"] = None if pd.isna(record["falls_in"]) else int(record["falls_in"])
    return records


def region_kpi_means(
    *, period: Period, cards: QuerySet, generation: str, scope: object
) -> list[dict]:
    """Mean line score per (region, KPI) over the filtered scorecards: which KPIs drag a region
    down. One aggregate over the period's lines; cached like the dashboard."""
    key = cache_key("region-kpis", period.pk, generation, scope)
    rows = cache.get(key)
    if rows is None:
        rows = [
            {"region": name or "(no region)", "code": code or "", "kpi": kpi, "mean": mean}
            for code, name, kpi, mean in ScorecardLine.objects.filter(
                period_id=period.pk, partner_id__in=cards.order_by().values("partner_id")
            )
            .values_list("partner__region__code", "partner__region__name", "kpi__code")
            .annotate(mean=Avg("score"))
            .order_by()
            if mean is not None
        ]
        cache.set(key, rows, CACHE_SECONDS)
    return rows


def tier_migration(
    *, source: Period, target: Period, cards: QuerySet, generation: str, scope: object
) -> tuple[dict, list[str]]:
    """From tier (in `source`) x to tier (in `target`) -> partners, over the filtered `cards`
    of the target period; a partner without a scorecard or tier in either is NO_TIER."""
    key = cache_key("migration", source.pk, target.pk, generation, scope)
    cached = cache.get(key)
    if cached is None:
        target_frame = pd.DataFrame.from_records(
            list(cards.order_by().values_list("partner_id", "tier", "tier_min_score")),
            columns=["partner_id", "tier", "tier_min"],
        )
        source_frame = pd.DataFrame.from_records(
            list(
                Scorecard.objects.filter(
                    period=source, partner_id__in=cards.order_by().values("partner_id")
                ).values_list("partner_id", "tier", "tier_min_score")
            ),
            columns=["partner_id", "tier", "tier_min"],
        )
        joined = target_frame.merge(
            source_frame, on="partner_id", how="left", suffixes=("", "_from")
        )
        joined["tier_from"] = joined["tier_from"].fillna("")
        order = tier_order(
            pd.concat(
                [
                    joined[["tier", "tier_min"]],
                    joined[["tier_from", "tier_min_from"]].set_axis(["tier", "tier_min"], axis=1),
                ]
            )
        )
        cached = (
            migration(
                joined["tier_from"].where(joined["tier_from"] != "", NO_TIER),
                joined["tier"].where(joined["tier"] != "", NO_TIER),
            ),
            order,
        )
        cache.set(key, cached, CACHE_SECONDS)
    return cached
