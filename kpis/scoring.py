"""The scoring method of ../shared/SCORING.md, on pandas frames. PURE: no Django, no queries.

Frames in (one period; ids are plain integers):
  values     partner_id, kpi_id, observed_on (datetime64), value          metric values
  kpis       index kpi_id; code, direction, aggregation, source, formula
  members    partner_id, partner_type_id, version_id                      who is scored, how
  lines      version_id, kpi_id, weight, floor, target, stretch (NaN = no bonus)
  overrides  partner_id, kpi_id, floor, target, stretch
  versions   index version_id; missing_policy, min_coverage, amber_from, demotion_grace
             (demotion_grace optional: 0)
  tiers      version_id, name, min_score
  requirements  version_id, tier (name), kpi_id, min_kpi_score            section 14 (optional)
  previous   partner_id, score, tier, tier_min_score, grace_used          last period's scorecards
             (grace_used optional: 0)

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
    "earned_tier",
    "grace_used",
    "falls_to",
    "falls_in",
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
        # several observations on the latest day (survey responses): the largest is last,
        # whatever order they were read in
        rows = rows.sort_values(keys + ["observed_on", "value"], kind="stable")
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


# -- sections 5, 6 and 14: composite, tier, peers, trend ----------------------------------------


def score_cards(
    *,
    members: pd.DataFrame,
    scored_lines: pd.DataFrame,
    versions: pd.DataFrame,
    tiers: pd.DataFrame,
    previous: pd.DataFrame,
    requirements: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per member: composite score, coverage, status, tier (earned, then assigned with
    demotion grace), rank, percentile, trend."""
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
    earned = earned_tiers(cards, scored_lines, tiers, requirements)
    cards["earned_tier"] = earned["name"].to_numpy()
    cards = _assign_tiers(cards, earned, versions, tiers, previous)
    cards = _rank_peers(cards)
    cards = _trend(cards, previous)
    return cards[CARD_COLUMNS].reset_index(drop=True)


def earned_tiers(
    cards: pd.DataFrame,
    scored_lines: pd.DataFrame,
    tiers: pd.DataFrame,
    requirements: pd.DataFrame | None,
) -> pd.DataFrame:
    """Section 14: for each `ok` card (partner_id, version_id, score, status), the highest tier
    whose min_score <= score and whose requirements are all met (the line has a value and its
    KPI score >= min_kpi_score, at 9 decimals). Columns name ('' without) and min_score."""
    scores = cards["score"].where(cards["status"] == "ok")
    pairs = _eligible_pairs(scores, cards["version_id"], tiers)
    if requirements is not None and not requirements.empty and not pairs.empty:
        pairs = pairs.assign(partner_id=cards["partner_id"].to_numpy()[pairs["row"].to_numpy()])
        needs = pairs.merge(
            requirements.rename(columns={"tier": "name"}), on=["version_id", "name"]
        )
        line_scores = scored_lines[["partner_id", "kpi_id", "score"]].rename(
            columns={"score": "line_score"}
        )
        needs = needs.merge(line_scores, on=["partner_id", "kpi_id"], how="left")
        unmet = needs["line_score"].isna() | (
            comparable(needs["line_score"]) < comparable(needs["min_kpi_score"])
        )
        failed = needs.loc[unmet, ["row", "name"]].drop_duplicates().assign(failed=True)
        pairs = pairs.merge(failed, on=["row", "name"], how="left")
        pairs = pairs[pairs["failed"].isna()]
    return _highest(pairs, scores.index)


def _eligible_pairs(scores: pd.Series, version_ids: pd.Series, tiers: pd.DataFrame) -> pd.DataFrame:
    """(row, version_id, name, min_score) for every tier of the row's version whose min_score
    <= the row's score (rows are positions in `scores`; NaN scores have none)."""
    rows = pd.DataFrame(
        {
            "row": np.arange(len(scores)),
            "version_id": version_ids.to_numpy(),
            "score": scores.to_numpy(float),
        }
    ).dropna(subset=["score"])
    pairs = rows.merge(tiers[["version_id", "name", "min_score"]], on="version_id")
    return pairs[pairs["min_score"] <= comparable(pairs["score"])]


def _highest(pairs: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    best = pairs.sort_values("min_score").drop_duplicates("row", keep="last").set_index("row")
    best = best.reindex(np.arange(len(index)))
    return pd.DataFrame(
        {"name": best["name"].fillna("").to_numpy(), "min_score": best["min_score"].to_numpy()},
        index=index,
    )


def threshold_tiers(scores: pd.Series, version_ids: pd.Series, tiers: pd.DataFrame) -> pd.DataFrame:
    """For each score, its version's tier with the highest min_score <= score (thresholds
    only): columns name ('' where the score is NaN) and min_score, on the scores' index."""
    return _highest(_eligible_pairs(scores, version_ids, tiers), scores.index)


def _assign_tiers(
    cards: pd.DataFrame,
    earned: pd.DataFrame,
    versions: pd.DataFrame,
    tiers: pd.DataFrame,
    previous: pd.DataFrame,
) -> pd.DataFrame:
    """Section 14's demotion grace: an `ok` card whose earned tier is below the tier the
    previous `ok` card held (by the min_score it had there) keeps that tier while the grace
    lasts (grace_used < demotion_grace), and is at risk: it falls to `falls_to` in `falls_in`
    periods unless it earns the tier back. Otherwise the tier is the earned tier."""
    n = len(cards)
    held = _previous_tier_state(cards["partner_id"], previous)
    # the held tier's threshold in this card's version: a name the version lacks cannot be held
    held_min = (
        cards[["version_id"]]
        .assign(name=held["tier"].to_numpy())
        .merge(tiers[["version_id", "name", "min_score"]], on=["version_id", "name"], how="left")
    )["min_score"].to_numpy(float)
    if "demotion_grace" in versions.columns:
        grace = versions["demotion_grace"].reindex(cards["version_id"]).fillna(0).to_numpy(float)
    else:
        grace = np.zeros(n)
    earned_min = comparable(earned["min_score"]).to_numpy(float)
    with np.errstate(invalid="ignore"):
        hold = (
            (cards["status"] == "ok").to_numpy()
            & (held["tier"].to_numpy(dtype=object) != "")
            & ~np.isnan(held_min)
            & (earned_min < np.round(held["tier_min_score"].to_numpy(float), COMPARE_DECIMALS))
            # holding must keep a tier above the earned one in this version: never a demotion
            & (np.round(held_min, COMPARE_DECIMALS) > earned_min)
            & (held["grace_used"].to_numpy(float) < grace)
        )
    used = np.where(hold, held["grace_used"].to_numpy(float) + 1, 0).astype("int64")
    cards["tier"] = np.where(hold, held["tier"].to_numpy(dtype=object), earned["name"].to_numpy())
    cards["tier_min_score"] = np.where(hold, held_min, earned["min_score"].to_numpy(float))
    cards["grace_used"] = used
    cards["falls_to"] = np.where(hold, earned["name"].to_numpy(), "")
    cards["falls_in"] = pd.Series(np.where(hold, grace - used + 1, np.nan)).astype("Int64").array
    return cards


def _previous_tier_state(partner_ids: pd.Series, previous: pd.DataFrame) -> pd.DataFrame:
    """tier ('' without), tier_min_score and grace_used of each partner's previous card."""
    prev = previous.set_index("partner_id") if not previous.empty else None
    if prev is None:
        empty = np.full(len(partner_ids), np.nan)
        return pd.DataFrame(
            {"tier": "", "tier_min_score": empty, "grace_used": 0.0}, index=partner_ids.index
        )
    used = prev["grace_used"] if "grace_used" in prev.columns else pd.Series(0, index=prev.index)
    return pd.DataFrame(
        {
            "tier": partner_ids.map(prev["tier"]).fillna("").to_numpy(dtype=object),
            "tier_min_score": partner_ids.map(prev["tier_min_score"]).to_numpy(float),
            "grace_used": partner_ids.map(used).fillna(0).to_numpy(float),
        },
        index=partner_ids.index,
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
    previous_min = comparable(cards["partner_id"].map(prev["tier_min_score"]))
    current_min = comparable(cards["tier_min_score"].astype(float))
    cards["trend"] = cards["score"] - cards["previous_score"]
    # A change needs a tier on both sides; a new name at the same threshold is a renamed tier,
    # not a change (section 6); up/down compares the tiers' thresholds.
    changed = (
        (cards["tier"] != "")
        & (cards["previous_tier"] != "")
        & (cards["tier"] != cards["previous_tier"])
        & (current_min != previous_min)
    )
    direction = np.where(current_min > previous_min, "up", "down")
    cards["tier_change"] = np.where(changed, direction, "")
    return cards


def peer_ranks(cards: pd.DataFrame) -> pd.DataFrame:
    """Rank and percentile of an already-scored peer table (partner_id, partner_type_id, score,
    status); used when one partner is recomputed and its peers' positions shift."""
    return _rank_peers(cards.copy())[["partner_id", "rank", "peer_count", "percentile"]]
