"""SCORING.md sections 9 to 13 (worked examples 6 to 11 and edge cases), against the pure
module kpis.guidance (no database)."""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from kpis import guidance
from kpis.guidance import LineFacts

TIERS = [("Platinum", 95.0), ("Gold", 80.0), ("Silver", 60.0), ("Member", 0.0)]


def model_lines(revenue=None, nps=None, late=None) -> list[LineFacts]:
    """The model of section 8 with the line scores of section 4 (values given, scores known)."""
    scores = {
        "revenue": {120000: 108.0, 50000: 50.0}.get(revenue),
        "nps": {35: 70.0, 60: 100.0}.get(nps),
        "late": {8: 80.0, 25: 0.0}.get(late),
    }
    return [
        LineFacts("revenue", "higher", 40, 0, 100000, 150000, revenue, scores["revenue"]),
        LineFacts("nps", "higher", 30, 0, 50, 50, nps, scores["nps"]),
        LineFacts("late_deliveries", "lower", 30, 20, 5, 0, late, scores["late"]),
    ]


EXAMPLE_1 = model_lines(revenue=120000, nps=35, late=8)
EXAMPLE_2 = model_lines(revenue=50000, late=25)


def needs_by_kpi(result: guidance.Guidance) -> dict[str, guidance.Need]:
    return {need.kpi: need for need in result.needs}


# -- section 9 ------------------------------------------------------------------------------


def test_worked_example_6_what_it_takes_from_gold_to_platinum():
    result = guidance.what_it_takes(EXAMPLE_1, "renormalize", TIERS, "Gold", 88.2)
    assert result is not None
    assert (result.next_tier, result.next_min_score) == ("Platinum", 95.0)
    assert result.gap == pytest.approx(6.8)
    assert guidance.denominators(EXAMPLE_1, "renormalize")[0] == 100
    assert [n.kpi for n in result.needs] == ["late_deliveries", "nps", "revenue"]
    late, nps, revenue = result.needs
    assert late.needed_score == pytest.approx(102.667, abs=5e-4)
    assert late.share == pytest.approx(0.567, abs=5e-4)
    assert late.needed_value == pytest.approx(4.333, abs=5e-4)  # at most 4.333 late deliveries
    assert nps.needed_score == pytest.approx(92.667, abs=5e-4)
    assert nps.share == pytest.approx(0.756, abs=5e-4)
    assert nps.needed_value == pytest.approx(46.333, abs=5e-4)
    assert revenue.needed_score == pytest.approx(125)
    assert revenue.out_of_reach and revenue.needed_value is None and revenue.share is None
    assert not late.out_of_reach and not nps.out_of_reach
    assert result.unmet == []


def test_worked_example_7_what_it_takes_from_member_to_silver():
    result = guidance.what_it_takes(EXAMPLE_2, "renormalize", TIERS, "Member", 2000 / 70)
    assert result is not None
    assert result.next_tier == "Silver"
    assert result.gap == pytest.approx(31.4286, abs=5e-5)
    assert guidance.denominators(EXAMPLE_2, "renormalize")[:2] == (70, 2000)
    assert [n.kpi for n in result.needs] == ["late_deliveries", "revenue", "nps"]
    late, revenue, nps = result.needs
    assert late.needed_score == pytest.approx(73.333, abs=5e-4)
    assert late.share == pytest.approx(0.611, abs=5e-4)
    assert late.needed_value == pytest.approx(9)
    assert revenue.needed_score == pytest.approx(105)
    assert revenue.share == pytest.approx(0.786, abs=5e-4)
    assert revenue.needed_value == pytest.approx(112500)
    assert nps.needed_score == pytest.approx((60 * 100 - 2000) / 30)
    assert nps.out_of_reach and not nps.has_value and nps.needed_value is None
    assert late.has_value and revenue.has_value


def test_zero_policy_line_without_value_uses_total_weight():
    # example 4: score 20 under zero; Silver (60) needs nps at (60 * 100 - 2000) / 30 = 133.3
    result = guidance.what_it_takes(EXAMPLE_2, "zero", TIERS, "Member", 20.0)
    assert result is not None and result.gap == pytest.approx(40)
    needs = needs_by_kpi(result)
    assert guidance.denominators(EXAMPLE_2, "zero") == (100, 2000, 100)
    assert needs["revenue"].needed_score == pytest.approx(50 + 40 * 100 / 40)  # 150 > 120
    assert needs["revenue"].out_of_reach
    assert needs["late_deliveries"].needed_score == pytest.approx(40 * 100 / 30)
    assert needs["nps"].needed_score == pytest.approx((60 * 100 - 2000) / 30)
    # 150, 133.3 and 133.3: no single line gets there; out of reach in the model's line order
    assert [(n.kpi, n.out_of_reach) for n in result.needs] == [
        ("revenue", True),
        ("nps", True),
        ("late_deliveries", True),
    ]


def test_line_without_value_is_reachable_under_both_policies():
    lines = [
        LineFacts("a", "higher", 50, 0, 100, None, 80, 80.0),
        LineFacts("b", "higher", 50, 0, 100, None, None, None),
    ]
    tiers = [("Top", 85.0), ("Base", 0.0)]
    renorm = guidance.what_it_takes(lines, "renormalize", tiers, "Base", 80.0)
    assert renorm is not None
    b = needs_by_kpi(renorm)["b"]
    # (M * (D + w) - N) / w = (85 * 100 - 4000) / 50 = 90, share 90 / 100
    assert b.needed_score == pytest.approx(90) and b.share == pytest.approx(0.9)
    assert b.needed_value == pytest.approx(90) and not b.has_value
    zero = guidance.what_it_takes(lines, "zero", tiers, "Base", 40.0)
    assert zero is not None
    b = needs_by_kpi(zero)["b"]
    assert b.needed_score == pytest.approx((85 * 100 - 4000) / 50)  # (M * W - N) / w
    assert needs_by_kpi(zero)["a"].out_of_reach  # 80 + 45 * 100 / 50 = 170 > 100


def test_lower_kpi_with_stretch_below_target_solves_in_negated_form():
    # lower: floor 10, target 4, stretch 2 (a bonus range): 6 -> 100 * 4/6 = 66.67
    late = LineFacts("late", "lower", 100, 10, 4, 2, 6, 100 * 4 / 6)
    result = guidance.what_it_takes(
        [late], "renormalize", [("Top", 110.0), ("Base", 0.0)], "Base", late.score
    )
    assert result is not None
    need = result.needs[0]
    assert need.needed_score == pytest.approx(110)
    assert need.needed_value == pytest.approx(3)  # 4 - 10/20 * 2: half the bonus range
    assert need.share == pytest.approx((110 - late.score) / (120 - late.score))
    plain = LineFacts("late", "lower", 100, 10, 4, 4, 6, 100 * 4 / 6)  # stretch == target
    no_bonus = guidance.what_it_takes(
        [plain], "renormalize", [("Top", 110.0), ("Base", 0.0)], "Base", plain.score
    )
    assert no_bonus is not None and no_bonus.needs[0].out_of_reach  # cap 100


def test_needed_value_below_target_for_a_lower_kpi():
    line = LineFacts("late", "lower", 100, 20, 5, 0, 25, 0.0)
    assert guidance.value_for_score(line, 80) == pytest.approx(8)
    assert guidance.value_for_score(line, 100) == pytest.approx(5)
    assert guidance.value_for_score(line, 120) == pytest.approx(0)


def test_equal_shares_keep_the_model_line_order():
    lines = [
        LineFacts("b", "higher", 50, 0, 100, None, 50, 50.0),
        LineFacts("a", "higher", 50, 0, 100, None, 50, 50.0),
    ]
    result = guidance.what_it_takes(
        lines, "renormalize", [("Top", 60.0), ("Base", 0.0)], "Base", 50.0
    )
    assert result is not None
    assert [n.kpi for n in result.needs] == ["b", "a"]
    assert result.needs[0].share == result.needs[1].share == pytest.approx(0.4)


def test_out_of_reach_lines_come_last_in_line_order():
    lines = [
        LineFacts("x", "higher", 10, 0, 100, None, 100, 100.0),
        LineFacts("y", "higher", 10, 0, 100, None, 100, 100.0),
        LineFacts("z", "higher", 80, 0, 100, None, 50, 50.0),
    ]
    result = guidance.what_it_takes(
        lines, "renormalize", [("Top", 70.0), ("Base", 0.0)], "Base", 60.0
    )
    assert result is not None
    assert [(n.kpi, n.out_of_reach) for n in result.needs] == [
        ("z", False),
        ("x", True),
        ("y", True),
    ]
    assert result.needs[0].needed_score == pytest.approx(62.5)


def test_no_guidance_at_the_top_tier_or_without_a_tier():
    assert guidance.what_it_takes(EXAMPLE_1, "renormalize", TIERS, "Platinum", 97.0) is None
    assert guidance.what_it_takes(EXAMPLE_1, "renormalize", TIERS, "", 100.0) is None
    assert guidance.what_it_takes(EXAMPLE_1, "renormalize", TIERS, None, None) is None


def test_unknown_tier_is_named():
    with pytest.raises(ValueError, match="'Bronze' is not one of the model's tiers"):
        guidance.what_it_takes(EXAMPLE_1, "renormalize", TIERS, "Bronze", 50.0)


def test_unknown_policy_is_named():
    with pytest.raises(ValueError, match="Unknown missing-data policy 'drop'"):
        guidance.denominators(EXAMPLE_1, "drop")


def test_gap_zero_lists_only_unmet_requirements():
    # 99.99999999999999 counts as the Platinum threshold 100 at 9 decimals: gap 0
    tiers = [("Platinum", 100.0), ("Gold", 80.0), ("Member", 0.0)]
    requirements = {"Platinum": [("nps", 80.0), ("revenue", 100.0)]}
    result = guidance.what_it_takes(
        EXAMPLE_1, "renormalize", tiers, "Gold", 99.99999999999999, requirements
    )
    assert result is not None
    assert result.gap == 0 and result.needs == []
    assert result.unmet == [("nps", 80.0)]  # revenue 108 meets its 100


def test_requirement_on_a_missing_line_is_unmet():
    result = guidance.what_it_takes(
        EXAMPLE_2, "renormalize", TIERS, "Member", 2000 / 70, {"Silver": [("nps", 10.0)]}
    )
    assert result is not None and result.unmet == [("nps", 10.0)]
    assert len(result.needs) == 3


# -- section 12 -----------------------------------------------------------------------------


def test_worked_example_10_contributions_add_up_to_the_score():
    parts = guidance.contributions(EXAMPLE_1, "renormalize")
    assert [p.kpi for p in parts] == ["revenue", "nps", "late_deliveries"]
    assert [p.points for p in parts] == pytest.approx([43.2, 21.0, 24.0])
    assert sum(p.points for p in parts) == pytest.approx(88.2)
    assert [p.lost for p in parts] == pytest.approx([0.0, 9.0, 6.0])


def test_points_lost_by_a_missing_line_depend_on_the_policy():
    renorm = {p.kpi: p for p in guidance.contributions(EXAMPLE_2, "renormalize")}
    assert renorm["nps"].points == 0 and renorm["nps"].lost is None
    assert renorm["revenue"].points == pytest.approx(40 * 50 / 70)
    assert renorm["late_deliveries"].lost == pytest.approx(30 * 100 / 70)
    zero = {p.kpi: p for p in guidance.contributions(EXAMPLE_2, "zero")}
    assert zero["nps"].points == 0 and zero["nps"].lost == pytest.approx(30.0)
    assert sum(p.points for p in zero.values()) == pytest.approx(20.0)


def test_contributions_without_any_value():
    parts = guidance.contributions(model_lines(), "renormalize")
    assert [(p.points, p.lost) for p in parts] == [(0.0, None)] * 3


# -- section 10 -----------------------------------------------------------------------------


def test_worked_example_8_projected_drop_gold_to_silver():
    projected = guidance.projection([90, 86, 82])
    assert projected == pytest.approx(78)
    tiers = TIERS[1:]  # Gold 80, Silver 60, Member 0
    assert guidance.tier_for(82, tiers) == "Gold"
    assert guidance.tier_for(projected, tiers) == "Silver"


def test_worked_example_8_rising_scores_no_drop():
    projected = guidance.projection([70, 80, 78, 90])
    assert projected == pytest.approx(94.0)
    assert guidance.tier_for(projected, TIERS[1:]) == "Gold"


def test_projection_needs_three_scores():
    assert guidance.projection([90, 80]) is None
    assert guidance.projection([]) is None


def test_projection_is_clipped_to_0_and_120():
    assert guidance.projection([100, 110, 120]) == 120
    assert guidance.projection([20, 10, 0]) == 0


def test_projection_refuses_missing_scores():
    with pytest.raises(ValueError, match="finite"):
        guidance.projection([90, math.nan, 80])


def test_projection_uses_only_the_unbroken_run_ending_now():
    history = np.array(
        [
            [90, 86, 82, np.nan],  # no score this period: no projection
            [np.nan, 90, 86, 82],  # three scores: 78
            [70, np.nan, 86, 82],  # broken after the oldest: two scores only
            [70, 80, 78, 90],
        ]
    )
    projected = guidance.project_scores(history)
    assert np.isnan(projected[0]) and np.isnan(projected[2])
    assert projected[1] == pytest.approx(78) and projected[3] == pytest.approx(94)


def test_tier_for_compares_at_nine_decimals():
    assert guidance.tier_for(79.9999999999, TIERS) == "Gold"
    assert guidance.tier_for(79.99999, TIERS) == "Silver"
    with pytest.raises(ValueError, match="add one at 0"):
        guidance.tier_for(-1, [("Gold", 80.0)])


# -- section 11 -----------------------------------------------------------------------------


def test_worked_example_9_outlier_by_scaled_mad():
    values = pd.Series([10, 11, 12, 12, 13, 13, 14, 15, 16, 100], dtype=float)
    stats = guidance.peer_stats(values, pd.Series(0, index=values.index))
    assert stats.loc[0, "median"] == 13
    assert stats.loc[0, "scaled_mad"] == pytest.approx(2.2239)
    assert abs(100 - 13) / stats.loc[0, "scaled_mad"] == pytest.approx(39.1, abs=0.05)
    assert abs(16 - 13) / stats.loc[0, "scaled_mad"] == pytest.approx(1.35, abs=0.005)
    flags = guidance.outliers(values)
    assert flags.tolist() == [False] * 9 + [True]


def test_no_outliers_with_fewer_than_10_values():
    values = pd.Series([10, 11, 12, 12, 13, 13, 14, 15, 100], dtype=float)
    assert not guidance.outliers(values).any()


def test_no_outliers_when_the_mad_is_zero():
    values = pd.Series([5.0] * 9 + [6.0, 1000.0])
    assert not guidance.outliers(values).any()


def test_outliers_ignore_missing_values():
    values = pd.Series([10, 11, 12, 12, 13, 13, 14, 15, 16, 100, None], dtype=float)
    assert guidance.outliers(values).tolist() == [False] * 9 + [True, False]


def test_stale_is_more_than_the_threshold_before_as_of():
    as_of = dt.date(2026, 9, 30)
    assert guidance.is_stale(dt.date(2026, 8, 15), 45, as_of) is True  # 46 days
    assert guidance.is_stale(dt.date(2026, 8, 16), 45, as_of) is False  # exactly 45
    assert guidance.is_stale(None, 45, as_of) is False


# -- section 13 -----------------------------------------------------------------------------


def test_worked_example_11_peer_benchmark():
    bench = guidance.peer_benchmark([50, 10, 40, 30, 20], 40, "higher")
    assert bench is not None
    assert (bench.n, bench.q1, bench.median, bench.q3) == (5, 20, 30, 40)
    assert bench.kpi_percentile == pytest.approx(75)


def test_benchmark_of_a_lower_kpi_counts_higher_values_as_worse():
    bench = guidance.peer_benchmark([10, 20, 30, 40, 50], 40, "lower")
    assert bench is not None and bench.kpi_percentile == pytest.approx(25)


def test_benchmark_quartiles_interpolate():
    bench = guidance.peer_benchmark([1, 2, 3, 4, 5, 6], None, "higher")
    assert bench is not None
    assert (bench.q1, bench.median, bench.q3) == pytest.approx((2.25, 3.5, 4.75))
    assert bench.kpi_percentile is None  # no own value: quartiles only


def test_benchmark_needs_five_values():
    assert guidance.peer_benchmark([10, 20, 30, 40], 40, "higher") is None


def test_benchmark_ties_are_not_worse():
    bench = guidance.peer_benchmark([40, 40, 40.0000000000001, 10, 50], 40, "higher")
    assert bench is not None and bench.kpi_percentile == pytest.approx(25)  # only 10 is worse


# -- frames the recompute stores ------------------------------------------------------------


def test_line_flags_combine_in_order_and_judge_against_ok_peers():
    partners = list(range(1, 13))  # 1-10 ok peers, 11 ok with no value, 12 insufficient data
    values = [10, 11, 12, 12, 13, 13, 14, 15, 16, 100, None, 500]
    lines = pd.DataFrame({"partner_id": partners, "kpi_id": 7, "value": values})
    cards = pd.DataFrame(
        {"partner_id": partners, "partner_type_id": 1, "status": ["ok"] * 11 + ["insufficient"]}
    )
    observed = pd.to_datetime(["2026-09-29"] * 9 + ["2026-08-01", "2026-09-01", "2026-08-01"])
    last = pd.DataFrame({"partner_id": partners, "kpi_id": 7, "last_observed_on": observed})
    previous = pd.DataFrame({"partner_id": [11], "kpi_id": [7], "value": [3.0]})
    kpis = pd.DataFrame(
        {"source": ["import"], "stale_after_days": [45]}, index=pd.Index([7], name="kpi_id")
    )
    kwargs = dict(cards=cards, previous_values=previous, last_observed=last, kpis=kpis)
    out = guidance.line_flags(lines, stale_as_of=dt.date(2026, 9, 30), **kwargs)
    assert out["flags"].tolist() == [""] * 9 + ["stale,outlier", "gap", "stale,outlier"]
    assert pd.isna(out.loc[10, "last_observed_on"])  # no value: no last observation stored
    closed = guidance.line_flags(lines, stale_as_of=None, **kwargs)
    assert closed["flags"].tolist() == [""] * 9 + ["outlier", "gap", "outlier"]


def test_card_warnings_count_red_key_lines_and_flags():
    cards = pd.DataFrame(
        {
            "partner_id": [1, 2],
            "version_id": 1,
            "status": ["ok", "no_data"],
            "score": [82.0, None],
            "tier_min_score": [80.0, None],
        }
    )
    lines = pd.DataFrame(
        {
            "partner_id": [1, 1, 1, 2],
            "weight": [20.0, 79.0, 1.0, 10.0],  # 20 is exactly a fifth of 100: key
            "status": ["red", "green", "red", "grey"],
            "flags": ["stale", "", "gap", "gap"],
        }
    )
    history = pd.DataFrame(
        {"partner_id": [1, 1, 2], "back": [2, 1, 1], "score": [90.0, 86.0, 50.0], "status": "ok"}
    )
    tiers = pd.DataFrame(
        {"version_id": 1, "name": ["Gold", "Silver", "Member"], "min_score": [80.0, 60.0, 0.0]}
    )
    out = guidance.card_warnings(cards, lines, history, tiers).set_index("partner_id")
    assert out.loc[1, "projected_score"] == pytest.approx(78)
    assert out.loc[1, "projected_tier"] == "Silver" and out.loc[1, "projected_drop"]
    assert math.isnan(out.loc[2, "projected_score"]) and out.loc[2, "projected_tier"] == ""
    assert not out.loc[2, "projected_drop"]
    assert out["red_key_lines"].tolist() == [1, 0]
    assert out["flagged_lines"].tolist() == [2, 1]
