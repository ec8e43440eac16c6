"""Guidance and warnings of ../shared/SCORING.md sections 9 to 13. PURE: no Django, no queries.

Scalar functions explain one stored scorecard (what it takes, contributions, peer benchmark);
the frame functions at the end are what the recompute stores for every scorecard at once
(projection, data-quality flags, red key lines). Every comparison is made at
`scoring.COMPARE_DECIMALS` decimals, like the rest of the method.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from kpis.scoring import COMPARE_DECIMALS, comparable, threshold_tiers

# A red line whose weight is at least this share of the model's total weight is a red key KPI.
KEY_WEIGHT_SHARE = 0.2
BONUS_CAP, PLAIN_CAP = 120.0, 100.0
PROJECTION_SCORES = 4  # this period and up to 3 before it (section 10)
MIN_PROJECTION_SCORES = 3
OUTLIER_MADS = 5.0
MAD_SCALE = 1.4826
MIN_OUTLIER_PEERS = 10
MIN_BENCHMARK_PEERS = 5
FLAG_ORDER = ("gap", "stale", "outlier")

Floats = npt.NDArray[np.float64]


def _round(x: float) -> float:
    return round(x, COMPARE_DECIMALS)


@dataclass(frozen=True)
class LineFacts:
    """One line of a scorecard as stored (ScorecardLine + KPI). A line "has a value" when its
    score is not None (a period value always scores)."""

    kpi: str
    direction: str  # "higher" | "lower"
    weight: float
    floor: float
    target: float
    stretch: float | None  # None: no bonus (stretch = target)
    value: float | None
    score: float | None


@dataclass(frozen=True)
class Contribution:
    kpi: str
    points: float
    lost: float | None  # None: a missing line under renormalize (it lowers the coverage)


@dataclass(frozen=True)
class Need:
    kpi: str
    needed_score: float
    needed_value: float | None  # None when out of reach
    share: float | None  # of the line's headroom; None when out of reach
    out_of_reach: bool
    has_value: bool


@dataclass(frozen=True)
class Guidance:
    """What it takes to reach `next_tier` (or, with `keep`, to keep the tier held on grace)."""

    next_tier: str
    next_min_score: float
    gap: float
    needs: list[Need]
    unmet: list[tuple[str, float]]  # requirements of that tier not met (section 14)
    # At risk (section 14): this is what it takes to keep the held tier, and `then` is the
    # guidance to the tier above it (None when the held tier is the highest).
    keep: bool = False
    then: Guidance | None = None


@dataclass(frozen=True)
class Benchmark:
    n: int
    q1: float
    median: float
    q3: float
    kpi_percentile: float | None  # None without an own value


# -- sections 5 and 12: denominators and contributions ------------------------------------------


def denominators(lines: Sequence[LineFacts], policy: str) -> tuple[float, float, float]:
    """(D, N, W): the composite's denominator, sum(w * s) over lines with a value, total weight."""
    if policy not in ("renormalize", "zero"):
        raise ValueError(f"Unknown missing-data policy {policy!r}: use 'renormalize' or 'zero'.")
    scored = [line for line in lines if line.score is not None]
    total = float(sum(line.weight for line in lines))
    numerator = float(sum(line.weight * line.score for line in scored if line.score is not None))
    denominator = total if policy == "zero" else float(sum(line.weight for line in scored))
    return denominator, numerator, total


def contributions(lines: Sequence[LineFacts], policy: str) -> list[Contribution]:
    """Section 12, in the lines' order: points w * s / D (0 without a value), which add up to
    the score, and points lost to target."""
    denominator, _, total = denominators(lines, policy)
    out = []
    for line in lines:
        if line.score is None or denominator == 0:
            lost = line.weight * 100.0 / total if policy == "zero" and total else None
            out.append(Contribution(line.kpi, 0.0, lost))
        else:
            points = line.weight * line.score / denominator
            lost = line.weight * max(0.0, 100.0 - line.score) / denominator
            out.append(Contribution(line.kpi, points, lost))
    return out


# -- section 9: what it takes -------------------------------------------------------------------


def _cap(line: LineFacts) -> float:
    bonus = line.stretch is not None and _round(line.stretch) != _round(line.target)
    return BONUS_CAP if bonus else PLAIN_CAP


def value_for_score(line: LineFacts, score: float) -> float:
    """Section 4 solved for v: the period value that scores `score` (0 < score <= cap)."""
    sign = -1.0 if line.direction == "lower" else 1.0
    f, t = sign * line.floor, sign * line.target
    s = t if line.stretch is None else sign * line.stretch
    if _round(score) <= 100.0:
        v = f + score / 100.0 * (t - f)
    else:
        v = t + (score - 100.0) / 20.0 * (s - t)
    return sign * v


def _next_tier(tiers: Sequence[tuple[str, float]], tier: str) -> tuple[str, float] | None:
    current = [min_score for name, min_score in tiers if name == tier]
    if not current:
        raise ValueError(f"Tier {tier!r} is not one of the model's tiers {[n for n, _ in tiers]}.")
    above = [(m, n) for n, m in tiers if _round(m) > _round(current[0])]
    if not above:
        return None
    min_score, name = min(above)
    return name, min_score


def _unmet(
    lines: Sequence[LineFacts], required: Sequence[tuple[str, float]]
) -> list[tuple[str, float]]:
    scores = {line.kpi: line.score for line in lines}
    return [
        (kpi, minimum)
        for kpi, minimum in required
        if (score := scores.get(kpi)) is None or _round(score) < _round(minimum)
    ]


def what_it_takes(
    lines: Sequence[LineFacts],
    policy: str,
    tiers: Sequence[tuple[str, float]],
    tier: str | None,
    score: float | None,
    requirements: dict[str, list[tuple[str, float]]] | None = None,
    *,
    at_risk: bool = False,
) -> Guidance | None:
    """Section 9 for a scorecard with (assigned) tier `tier` (None or '' when it is not `ok`):
    the next tier, the gap, and per line the score and value that alone would close it, with
    the next tier's unmet requirements (section 14). None when the scorecard has no tier or
    holds the highest one and is not at risk. `lines` in the model's line order.

    `at_risk` (the tier is held on demotion grace, section 14): the same computation is made
    first against the held tier, as what it takes to keep it (`keep`), with the guidance to
    the next tier as its `then`."""
    if not tier or score is None:
        return None
    requirements = requirements or {}
    following = _next_tier(tiers, tier)
    upward = None
    if following is not None:
        name, target_score = following
        upward = _guidance(lines, policy, name, target_score, score, requirements.get(name, []))
    if not at_risk:
        return upward
    held_min = next(min_score for name, min_score in tiers if name == tier)
    keep = _guidance(lines, policy, tier, held_min, score, requirements.get(tier, []))
    return Guidance(
        keep.next_tier, keep.next_min_score, keep.gap, keep.needs, keep.unmet, True, upward
    )


def _guidance(
    lines: Sequence[LineFacts],
    policy: str,
    name: str,
    target_score: float,
    score: float,
    required: Sequence[tuple[str, float]],
) -> Guidance:
    unmet = _unmet(lines, required)
    gap = max(0.0, target_score - score)
    if _round(gap) <= 0:
        return Guidance(name, target_score, 0.0, [], unmet)
    denominator, numerator, total = denominators(lines, policy)
    reachable: list[tuple[float, Need]] = []
    beyond: list[Need] = []
    for line in lines:
        need = _need(line, policy, gap, target_score, denominator, numerator, total)
        if need.out_of_reach or need.share is None:
            beyond.append(need)
        else:
            reachable.append((_round(need.share), need))
    reachable.sort(key=lambda pair: pair[0])  # stable: ties keep the model's line order
    return Guidance(name, target_score, gap, [need for _, need in reachable] + beyond, unmet)


def _need(
    line: LineFacts,
    policy: str,
    gap: float,
    target_score: float,
    denominator: float,
    numerator: float,
    total: float,
) -> Need:
    cap, w = _cap(line), line.weight
    if line.score is not None:
        needed = line.score + gap * denominator / w
        headroom = cap - line.score
    elif policy == "zero":
        needed = (target_score * total - numerator) / w
        headroom = cap
    else:
        needed = (target_score * (denominator + w) - numerator) / w
        headroom = cap
    has_value = line.score is not None
    if _round(needed) > cap or _round(headroom) <= 0:
        return Need(line.kpi, needed, None, None, True, has_value)
    share = (needed - (line.score or 0.0)) / headroom
    return Need(line.kpi, needed, value_for_score(line, needed), share, False, has_value)


# -- section 10: projection ---------------------------------------------------------------------


def project_scores(history: Floats) -> Floats:
    """Section 10 for many scorecards at once. `history` has one row per scorecard and one
    column per period, oldest first, the last column this period; NaN where a score is not used
    (only a run of scores ending at the last column counts). Returns the projected score (NaN
    with fewer than 3 scores): the least-squares line evaluated one period after the last,
    clipped to [0, 120]."""
    history = np.asarray(history, dtype=np.float64)
    width = history.shape[1]
    used = ~np.isnan(history)
    # only the unbroken run that ends with this period's score
    run = np.flip(np.cumprod(np.flip(used, axis=1), axis=1), axis=1).astype(bool)
    n = run.sum(axis=1)
    x = np.broadcast_to(np.arange(width, dtype=np.float64), history.shape)
    y = np.where(run, history, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_mean = np.where(run, x, 0.0).sum(axis=1) / n
        y_mean = y.sum(axis=1) / n
        dx = np.where(run, x - x_mean[:, None], 0.0)
        slope = (dx * (y - y_mean[:, None])).sum(axis=1) / (dx * dx).sum(axis=1)
        projected = y_mean + slope * (width - x_mean)
    projected = np.clip(projected, 0.0, BONUS_CAP)
    return np.where(n >= MIN_PROJECTION_SCORES, projected, np.nan)


def projection(scores: Sequence[float]) -> float | None:
    """Section 10: the projected next score from scores oldest first (None with fewer than 3)."""
    if any(not math.isfinite(s) for s in scores):
        raise ValueError("Projection scores must be finite numbers.")
    if len(scores) < MIN_PROJECTION_SCORES:
        return None
    return float(project_scores(np.array([scores], dtype=np.float64))[0])


def tier_for(score: float, tiers: Sequence[tuple[str, float]]) -> str:
    """The tier with the highest min_score <= score (thresholds only, no requirements/grace)."""
    eligible = [(m, n) for n, m in tiers if _round(m) <= _round(score)]
    if not eligible:
        raise ValueError(f"No tier has a min_score at or below {score}: add one at 0.")
    return max(eligible)[1]


# -- sections 11 and 13: peers ------------------------------------------------------------------


def peer_stats(values: pd.Series, groups: pd.Series) -> pd.DataFrame:
    """Per group: n, median and scaled MAD of its values (NaN values ignored)."""
    frame = pd.DataFrame({"group": groups.to_numpy(), "value": values.to_numpy(dtype=float)})
    frame = frame.dropna(subset=["value"])
    grouped = frame.groupby("group")["value"]
    stats = pd.DataFrame({"n": grouped.size(), "median": grouped.median()})
    deviation = (frame["value"] - frame["group"].map(stats["median"])).abs()
    stats["scaled_mad"] = MAD_SCALE * deviation.groupby(frame["group"]).median()
    return stats


def outlier_mask(values: pd.Series, groups: pd.Series, stats: pd.DataFrame) -> pd.Series:
    """Section 11: a value more than 5 scaled MADs from its group's median, where the group has
    at least 10 values and a MAD above 0. `stats` from peer_stats (the reference group)."""
    at = stats.reindex(groups.to_numpy())
    usable = (at["n"].to_numpy() >= MIN_OUTLIER_PEERS) & (at["scaled_mad"].to_numpy() > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        distance = np.abs(values.to_numpy(dtype=float) - at["median"].to_numpy())
        mads = pd.Series(distance / at["scaled_mad"].to_numpy(), index=values.index)
    return (comparable(mads) > OUTLIER_MADS) & pd.Series(usable, index=values.index)


def outliers(values: pd.Series) -> pd.Series:
    """Section 11 for one peer group's values of one KPI: True where a value is an outlier."""
    groups = pd.Series(0, index=values.index)
    return outlier_mask(values, groups, peer_stats(values, groups))


def peer_benchmark(values: Sequence[float], own: float | None, direction: str) -> Benchmark | None:
    """Section 13: quartiles of the peer values (own included) and the partner's KPI percentile;
    None with fewer than 5 values."""
    data = np.sort(np.asarray(values, dtype=np.float64))
    if np.isnan(data).any():
        raise ValueError("Peer values must be numbers (leave missing values out).")
    n = len(data)
    if n < MIN_BENCHMARK_PEERS:
        return None
    q1, median, q3 = (float(q) for q in np.quantile(data, [0.25, 0.5, 0.75]))
    percentile = None
    if own is not None:
        peers, mine = np.round(data, COMPARE_DECIMALS), _round(own)
        worse = peers < mine if direction == "higher" else peers > mine
        percentile = 100.0 * float(worse.sum()) / (n - 1)
    return Benchmark(n, q1, median, q3, percentile)


def is_stale(last_observed_on: dt.date | None, stale_after_days: int, as_of: dt.date) -> bool:
    """Section 11 (for an open period and an imported KPI): the latest observation is more than
    `stale_after_days` before the as-of date, min(today, period end)."""
    return last_observed_on is not None and (as_of - last_observed_on).days > stale_after_days


# -- what the recompute stores (frames, all scorecards of a period at once) ---------------------


def line_flags(
    lines: pd.DataFrame,
    *,
    cards: pd.DataFrame,
    previous_values: pd.DataFrame,
    last_observed: pd.DataFrame,
    kpis: pd.DataFrame,
    stale_as_of: dt.date | None,
    peer_values: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """`lines` (partner_id, kpi_id, value, ...) with `last_observed_on` (lines with a value
    only) and `flags` ('gap,stale,outlier' in that order, '' for none), section 11.

    cards: partner_id, partner_type_id, status. previous_values: partner_id, kpi_id, value of
    the previous period (formula KPIs included). last_observed: partner_id, kpi_id,
    last_observed_on (datetime64). kpis: index kpi_id; source, stale_after_days. stale_as_of:
    min(today, period end), None for a closed period. peer_values: partner_type_id, kpi_id,
    value of peers' `ok` scorecards not among `cards` (a one-partner recompute)."""
    keys = ["partner_id", "kpi_id"]
    frame = lines.merge(last_observed[keys + ["last_observed_on"]], on=keys, how="left")
    has = frame["value"].notna().to_numpy()
    frame["last_observed_on"] = pd.to_datetime(frame["last_observed_on"]).where(has)
    before = previous_values.loc[previous_values["value"].notna(), keys].assign(had=True)
    had = frame[keys].merge(before, on=keys, how="left")["had"].notna().to_numpy()
    gap, stale = ~has & had, _stale(frame, kpis, stale_as_of) & has
    outlier = _outliers(frame, cards, peer_values) & has
    # one bit per flag, then the text of each of the 8 combinations (a lookup, not string ops)
    bits = gap.astype(np.int64) + 2 * stale.astype(np.int64) + 4 * outlier.astype(np.int64)
    texts = [
        ",".join(name for i, name in enumerate(FLAG_ORDER) if combination & (1 << i))
        for combination in range(2 ** len(FLAG_ORDER))
    ]
    frame["flags"] = np.array(texts, dtype=object)[bits]
    return frame


def _stale(frame: pd.DataFrame, kpis: pd.DataFrame, as_of: dt.date | None) -> npt.NDArray[np.bool_]:
    if as_of is None:
        return np.zeros(len(frame), dtype=bool)
    imported = frame["kpi_id"].map(kpis["source"] == "import").to_numpy(dtype=bool)
    age = (pd.Timestamp(as_of) - frame["last_observed_on"]).dt.days.to_numpy(dtype=float)
    limit = frame["kpi_id"].map(kpis["stale_after_days"]).to_numpy(dtype=float)
    stale: npt.NDArray[np.bool_] = imported & (age > limit)
    return stale


def _outliers(
    frame: pd.DataFrame, cards: pd.DataFrame, peer_values: pd.DataFrame | None
) -> npt.NDArray[np.bool_]:
    """Each line against its peer group's values of the KPI: the `ok` scorecards of its partner
    type (any scorecard's line is judged, the reference is the `ok` ones)."""
    by_partner = cards.set_index("partner_id")
    ok = frame["partner_id"].map(by_partner["status"] == "ok").to_numpy(dtype=bool)
    groups = _group_key(frame["partner_id"].map(by_partner["partner_type_id"]), frame["kpi_id"])
    ref_values, ref_groups = frame["value"].where(ok), groups
    if peer_values is not None and not peer_values.empty:
        peer_groups = _group_key(peer_values["partner_type_id"], peer_values["kpi_id"])
        ref_values = pd.concat([ref_values, peer_values["value"]], ignore_index=True)
        ref_groups = pd.concat([ref_groups, peer_groups], ignore_index=True)
    stats = peer_stats(ref_values, ref_groups)
    return outlier_mask(frame["value"], groups, stats).to_numpy(dtype=bool)


def _group_key(partner_type_ids: pd.Series, kpi_ids: pd.Series) -> pd.Series:
    """One integer per (partner type, KPI): ids are below 2**31."""
    return pd.Series(
        partner_type_ids.to_numpy(dtype="int64") * 2**32 + kpi_ids.to_numpy(dtype="int64")
    )


def card_warnings(
    cards: pd.DataFrame, lines: pd.DataFrame, history: pd.DataFrame, tiers: pd.DataFrame
) -> pd.DataFrame:
    """`cards` (partner_id, version_id, status, score, tier_min_score) with projected_score,
    projected_tier, projected_drop (section 10), red_key_lines and flagged_lines.

    history: partner_id, back (1 = the previous period, up to 3), score, status of earlier
    scorecards. tiers: version_id, name, min_score. lines: partner_id, weight, status, flags."""
    ok_score = cards["score"].where(cards["status"] == "ok")
    backs = list(range(PROJECTION_SCORES - 1, 0, -1))  # oldest first
    ok_history = history.loc[history["status"] == "ok"]
    earlier = (
        ok_history.pivot(index="partner_id", columns="back", values="score")
        if not ok_history.empty
        else pd.DataFrame(dtype="float64")
    ).reindex(index=cards["partner_id"], columns=backs)
    matrix = np.column_stack([earlier.to_numpy(dtype=float), ok_score.to_numpy(dtype=float)])
    cards = cards.copy()
    cards["projected_score"] = project_scores(matrix)
    projected = threshold_tiers(cards["projected_score"], cards["version_id"], tiers)
    cards["projected_tier"] = projected["name"].to_numpy()
    assigned = comparable(cards["tier_min_score"]).to_numpy()
    cards["projected_drop"] = comparable(projected["min_score"]).to_numpy() < assigned
    weight = lines["weight"].to_numpy(dtype=float)
    total = lines.groupby("partner_id")["weight"].transform("sum").to_numpy(dtype=float)
    key = np.round(weight, COMPARE_DECIMALS) >= np.round(KEY_WEIGHT_SHARE * total, COMPARE_DECIMALS)
    counts = (
        pd.DataFrame(
            {
                "partner_id": lines["partner_id"].to_numpy(),
                "red_key_lines": key & (lines["status"].to_numpy(dtype=object) == "red"),
                "flagged_lines": lines["flags"].to_numpy(dtype=object) != "",
            }
        )
        .groupby("partner_id")[["red_key_lines", "flagged_lines"]]
        .sum()
    )
    counts = counts.reindex(cards["partner_id"]).fillna(0).astype("int64")
    cards["red_key_lines"] = counts["red_key_lines"].to_numpy()
    cards["flagged_lines"] = counts["flagged_lines"].to_numpy()
    return cards
