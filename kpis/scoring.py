"""The scoring method of ../shared/SCORING.md, on pandas frames. PURE: no Django, no queries.

Frames in (one period; ids are plain integers):
  values     partner_id, kpi_id, observed_on (datetime64), value          metric values
  kpis       index kpi_id; code, direction, aggregation, source, formula
  members    partner_id, partner_type_id, version_id                      who is scored, how
  lines      version_id, kpi_id, weight, floor, target, stretch (NaN = no bonus)
  overrides  partner_id, kpi_id, floor, target, stretch
  versions   index version_id; missing_policy, min_coverage, amber_from
  tiers      version_id, name, min_score
  previous   partner_id, score, tier, tier_min_score                      last period's scorecards

Frames out: `score_lines` -> one row per (partner, model line); `score_cards` -> one row per
partner. Scores are unrounded floats; missing is NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpis import formula as formula_lang

# Scores are stored unrounded, but compared (status, coverage, tier, rank, ties) at 9 decimals:
# two partners whose scores are mathematically equal must not be told apart by float rounding
# (e.g. (w1 * 100 + w2 * 100) / (w1 + w2) can come out as 99.99999999999999). The one home of
# that rule: pandas comparisons go through `comparable`, SQL ones scale by 10 ** COMPARE_DECIMALS
# and round (both round half to even, so they order and tie alike).
COMPARE_DECIMALS = 9


def comparable(x: pd.Series) -> pd.Series:
    """``x`` as the contract compares it: rounded to COMPARE_DECIMALS decimals."""
    return x.round(COMPARE_DECIMALS)


AGGREGATIONS = ("sum", "mean", "last", "min", "max", "count", "nps")
LINE_COLUMNS = [
    "partner_id",
    "kpi_id",
    "weight",
    "floor",
    "target",
    "stretch",
    "value",
    "n_values",
    "score",
    "status",
    "overridden",
]
CARD_COLUMNS = [
    "partner_id",
    "partner_type_id",
    "version_id",
    "score",
    "coverage",
    "status",
    "tier",
    "tier_min_score",
    "rank",
    "peer_count",
    "percentile",
    "previous_score",
    "trend",
    "previous_tier",
    "tier_change",
]


# -- section 2: period values -------------------------------------------------------------------


def period_values(values: pd.DataFrame, kpis: pd.DataFrame) -> pd.DataFrame:
    """Aggregate metric values into one period value per (partner, kpi), by each KPI's
    aggregation. Returns partner_id, kpi_id, value, n_values (rows that made the value)."""
    if values.empty:
        return pd.DataFrame(
            {
                "partner_id": pd.Series(dtype="int64"),
                "kpi_id": pd.Series(dtype="int64"),
                "value": pd.Series(dtype="float64"),
                "n_values": pd.Series(dtype="int64"),
            }
        )
    aggregation = values["kpi_id"].map(kpis["aggregation"])
    parts = [
        _aggregate(values[aggregation == name], name)
        for name in AGGREGATIONS
        if (aggregation == name).any()
    ]
    return pd.concat(parts, ignore_index=True)


def _aggregate(rows: pd.DataFrame, how: str) -> pd.DataFrame:
    keys = ["partner_id", "kpi_id"]
    if how == "last":
        rows = rows.sort_values(keys + ["observed_on"], kind="stable")
    grouped = rows.groupby(keys, sort=False)["value"]
    if how == "nps":
        # From counts, not shares: 100 * (3 - 2) / 5 is exactly 20, 100 * (0.6 - 0.4) is not.
        answers = rows.assign(
            net=(rows["value"] >= 9).astype(int) - (rows["value"] <= 6).astype(int)
        ).groupby(keys, sort=False)["net"]
        value = 100.0 * answers.sum() / answers.size()
    elif how == "count":
        value = grouped.size().astype(float)
    else:
        value = grouped.agg(how)
    out = value.rename("value").reset_index()
    out["n_values"] = grouped.size().to_numpy()
    return out


# -- section 3: formula KPIs --------------------------------------------------------------------


def add_formula_values(
    current: pd.DataFrame, previous: pd.DataFrame, kpis: pd.DataFrame, partner_ids: pd.Index
) -> pd.DataFrame:
    """Append formula KPIs' period values to `current` (long frame from `period_values`).

    `previous` is the previous period's long frame (formulas evaluated on it too, so prev() of a
    formula KPI works; a prev() nested inside that reaches two periods back and is missing)."""
    formulas = kpis.loc[kpis["source"] == "formula"]
    if formulas.empty:
        return current
    texts = dict(zip(formulas["code"], formulas["formula"], strict=True))
    order = formula_lang.evaluation_order(texts)
    parsed = {code: formula_lang.parse(texts[code]) for code in order}
    codes = kpis["code"]
    cur_wide = _wide(current, codes, partner_ids)
    prev_wide = _wide(previous, codes, partner_ids)
    n_wide = _wide(current, codes, partner_ids, column="n_values").fillna(0)
    empty = pd.DataFrame(index=partner_ids)
    for code in order:  # dependencies first, so formulas may use formulas
        prev_wide[code] = formula_lang.evaluate(parsed[code], current=prev_wide, previous=empty)
    for code in order:
        cur_wide[code] = formula_lang.evaluate(parsed[code], current=cur_wide, previous=prev_wide)
        refs = [ref for ref in parsed[code].refs if ref in n_wide.columns]
        n_wide[code] = n_wide[refs].sum(axis=1) if refs else 0
    code_to_id = pd.Series(codes.index, index=codes.to_numpy())
    result = pd.DataFrame(
        {"value": cur_wide[order].stack(), "n_values": n_wide[order].stack()}
    ).dropna(subset=["value"])
    result.index = result.index.set_names(["partner_id", "code"])
    result = result.reset_index()
    result["kpi_id"] = result["code"].map(code_to_id).astype("int64")
    result["n_values"] = result["n_values"].astype("int64")
    columns = ["partner_id", "kpi_id", "value", "n_values"]
    return pd.concat([current, result[columns]], ignore_index=True)


def _wide(
    long: pd.DataFrame, codes: pd.Series, partner_ids: pd.Index, column: str = "value"
) -> pd.DataFrame:
    if long.empty:
        return pd.DataFrame(index=partner_ids, dtype="float64")
    wide = long.pivot(index="partner_id", columns="kpi_id", values=column)
    wide.columns = codes.reindex(wide.columns).to_numpy()
    return wide.reindex(partner_ids).astype("float64")


# -- section 4: KPI score -----------------------------------------------------------------------


def kpi_score(
    value: np.ndarray,
    floor: np.ndarray,
    target: np.ndarray,
    stretch: np.ndarray,
    lower_is_better: np.ndarray,
) -> np.ndarray:
    """0..120 for each value; NaN where the value is missing. Stretch NaN means stretch = target."""
    sign = np.where(lower_is_better, -1.0, 1.0)
    v, f, t = sign * value, sign * floor, sign * target
    s = np.where(np.isnan(stretch), t, sign * stretch)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        partial = 100.0 * (v - f) / (t - f)
        bonus = 100.0 + 20.0 * np.minimum(1.0, (v - t) / (s - t))
    score = np.where(v <= f, 0.0, np.where(v < t, partial, np.where(s > t, bonus, 100.0)))
    return np.where(np.isnan(value), np.nan, score)


def line_status(score: pd.Series, amber_from: pd.Series) -> pd.Series:
    score = comparable(score)
    status = np.select(
        [score.isna(), score >= 100.0, score >= amber_from], ["grey", "green", "amber"], "red"
    )
    return pd.Series(status, index=score.index)


def score_lines(
    *,
    members: pd.DataFrame,
    lines: pd.DataFrame,
    overrides: pd.DataFrame,
    period_vals: pd.DataFrame,
    kpis: pd.DataFrame,
    versions: pd.DataFrame,
) -> pd.DataFrame:
    """One row per (partner, line of its model version), with the thresholds used."""
    frame = members[["partner_id", "version_id"]].merge(lines, on="version_id", how="inner")
    if not overrides.empty:
        frame = frame.merge(
            overrides.rename(
                columns={"floor": "o_floor", "target": "o_target", "stretch": "o_stretch"}
            ),
            on=["partner_id", "kpi_id"],
            how="left",
        )
        overridden = frame["o_target"].notna()
        for col in ("floor", "target", "stretch"):
            frame[col] = frame[col].where(~overridden, frame[f"o_{col}"])
        frame["overridden"] = overridden
    else:
        frame["overridden"] = False
    frame = frame.merge(period_vals, on=["partner_id", "kpi_id"], how="left")
    frame["n_values"] = frame["n_values"].fillna(0).astype("int64")
    lower = (frame["kpi_id"].map(kpis["direction"]) == "lower").to_numpy()
    frame["score"] = kpi_score(
        frame["value"].to_numpy(float),
        frame["floor"].to_numpy(float),
        frame["target"].to_numpy(float),
        frame["stretch"].to_numpy(float),
        lower,
    )
    frame["status"] = line_status(frame["score"], frame["version_id"].map(versions["amber_from"]))
    return frame[LINE_COLUMNS + ["version_id"]]


# -- sections 5 and 6: composite, tier, peers, trend --------------------------------------------


def score_cards(
    *,
    members: pd.DataFrame,
    scored_lines: pd.DataFrame,
    versions: pd.DataFrame,
    tiers: pd.DataFrame,
    previous: pd.DataFrame,
) -> pd.DataFrame:
    """One row per member: composite score, coverage, status, tier, rank, percentile, trend."""
    lines = scored_lines.assign(
        has=scored_lines["score"].notna(),
        w_has=scored_lines["weight"].where(scored_lines["score"].notna(), 0.0),
        ws=(scored_lines["weight"] * scored_lines["score"]).fillna(0.0),
    )
    sums = lines.groupby("partner_id").agg(
        w_all=("weight", "sum"), w_has=("w_has", "sum"), ws=("ws", "sum"), n_has=("has", "sum")
    )
    cards = members[["partner_id", "partner_type_id", "version_id"]].merge(
        sums, left_on="partner_id", right_index=True, how="left"
    )
    version = versions.reindex(cards["version_id"])
    zero = (version["missing_policy"] == "zero").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        denominator = np.where(zero, cards["w_all"], cards["w_has"])
        cards["score"] = np.where(cards["n_has"] > 0, cards["ws"] / denominator, np.nan)
        cards["coverage"] = (cards["w_has"] / cards["w_all"]).fillna(0.0)
    cards["status"] = np.select(
        [
            cards["score"].isna(),
            comparable(cards["coverage"]) < version["min_coverage"].to_numpy(),
        ],
        ["no_data", "insufficient_data"],
        "ok",
    )
    cards = _assign_tiers(cards, tiers)
    cards = _rank_peers(cards)
    cards = _trend(cards, previous)
    return cards[CARD_COLUMNS].reset_index(drop=True)


def _assign_tiers(cards: pd.DataFrame, tiers: pd.DataFrame) -> pd.DataFrame:
    """The tier with the highest min_score <= score, for `ok` scorecards only."""
    ok = cards["status"] == "ok"
    best = threshold_tiers(cards["score"].where(ok), cards["version_id"], tiers)
    cards["tier"] = best["name"].to_numpy()
    cards["tier_min_score"] = best["min_score"].to_numpy()
    return cards


def threshold_tiers(scores: pd.Series, version_ids: pd.Series, tiers: pd.DataFrame) -> pd.DataFrame:
    """For each score, its version's tier with the highest min_score <= score (thresholds
    only): columns name ('' where the score is NaN) and min_score, on the scores' index."""
    rows = pd.DataFrame(
        {
            "row": np.arange(len(scores)),
            "version_id": version_ids.to_numpy(),
            "score": scores.to_numpy(float),
        }
    ).dropna(subset=["score"])
    pairs = rows.merge(tiers[["version_id", "name", "min_score"]], on="version_id")
    pairs = pairs[pairs["min_score"] <= comparable(pairs["score"])]
    best = pairs.sort_values("min_score").drop_duplicates("row", keep="last").set_index("row")
    best = best.reindex(np.arange(len(scores)))
    return pd.DataFrame(
        {"name": best["name"].fillna("").to_numpy(), "min_score": best["min_score"].to_numpy()},
        index=scores.index,
    )


def _rank_peers(cards: pd.DataFrame) -> pd.DataFrame:
    """Peers: `ok` scorecards of the same partner type. Ties share the best rank."""
    ok = cards["status"] == "ok"
    peers = (
        cards.loc[ok]
        .assign(compared=comparable(cards.loc[ok, "score"]))
        .groupby("partner_type_id")["compared"]
    )
    n = peers.transform("size")
    lower = peers.rank(method="min", ascending=True) - 1
    cards["rank"] = peers.rank(method="min", ascending=False)
    cards["peer_count"] = n
    cards["percentile"] = (100.0 * lower / (n - 1).clip(lower=1)).where(n > 1, 100.0)
    cards.loc[~ok, ["rank", "peer_count", "percentile"]] = np.nan
    return cards


def _trend(cards: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    prev = previous.set_index("partner_id") if not previous.empty else None
    if prev is None:
        cards["previous_score"] = np.nan
        cards["previous_tier"] = ""
        cards["trend"] = np.nan
        cards["tier_change"] = ""
        return cards
    cards["previous_score"] = cards["partner_id"].map(prev["score"])
    cards["previous_tier"] = cards["partner_id"].map(prev["tier"]).fillna("")
    previous_min = cards["partner_id"].map(prev["tier_min_score"])
    cards["trend"] = cards["score"] - cards["previous_score"]
    # A change needs a tier on both sides; up/down compares the tiers' thresholds.
    changed = (
        (cards["tier"] != "")
        & (cards["previous_tier"] != "")
        & (cards["tier"] != cards["previous_tier"])
    )
    direction = np.where(cards["tier_min_score"] > previous_min, "up", "down")
    cards["tier_change"] = np.where(changed, direction, "")
    return cards


def peer_ranks(cards: pd.DataFrame) -> pd.DataFrame:
    """Rank and percentile of an already-scored peer table (partner_id, partner_type_id, score,
    status); used when one partner is recomputed and its peers' positions shift."""
    return _rank_peers(cards.copy())[["partner_id", "rank", "peer_count", "percentile"]]
