"""What the recompute stores for guidance and warnings (SCORING.md sections 6, 10, 11): the
projection, data-quality flags, red key lines and tier changes, on the real PostgreSQL."""

import datetime as dt

import pytest
from django.db import connection

from assessments.models import Scorecard, ScorecardLine
from assessments.services import (
    period_close,
    scorecard_recompute_partner,
    scorecards_recompute,
)
from kpis.models import KPI, MetricValue, ModelLine, Period
from partners.models import Partner


def add_values(partner, rows):
    MetricValue.objects.bulk_create(
        MetricValue(partner=partner, kpi=kpi, observed_on=day, value=value)
        for kpi, day, value in rows
    )


def quarter(code, start, end):
    return Period.objects.create(code=code, start=start, end=end, granularity="quarter")


def scored(world, partner, period, score, day=None):
    """Values that give `score` on the world's model: nps at target (100, weight 30) and the
    revenue (weight 40) that makes (40 r + 3000) / 70 = score; late deliveries missing."""
    day = day or period.start + dt.timedelta(days=10)
    revenue = (70 * score - 3000) / 40 * 1000
    add_values(partner, [(world.revenue, day, revenue), (world.nps, day, 50)])


def card(period, partner):
    return Scorecard.objects.get(period=period, partner=partner)


def line(period, partner, kpi):
    return ScorecardLine.objects.get(period_id=period.pk, partner_id=partner.pk, kpi_id=kpi.pk)


def recompute(*periods):
    for period in periods:
        assert scorecards_recompute(period_id=period.pk, trigger="test").status == "succeeded"


@pytest.fixture
def q1(world):
    return quarter("2026-Q1", dt.date(2026, 1, 1), dt.date(2026, 3, 31))


@pytest.fixture
def q4(world):
    return quarter("2026-Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31))


# -- section 10: projection -----------------------------------------------------------------


def test_worked_example_8_projected_drop_through_the_recompute(world, q1):
    for period, score in [(q1, 90), (world.q2, 86), (world.q3, 82)]:
        scored(world, world.acme, period, score)
    recompute(q1, world.q2, world.q3)
    q3 = card(world.q3, world.acme)
    assert q3.score == pytest.approx(82) and q3.tier == "Gold"
    assert q3.projected_score == pytest.approx(78)
    assert q3.projected_tier == "Silver"
    assert q3.projected_drop is True
    assert q3.tier_change == ""  # Gold both quarters
    q2 = card(world.q2, world.acme)  # two scores only: no projection
    assert q2.projected_score is None and q2.projected_tier == "" and q2.projected_drop is False


def test_worked_example_8_four_rising_scores_and_tier_changes_stored(world, q1, q4):
    for period, score in [(q1, 70), (world.q2, 80), (world.q3, 78), (q4, 90)]:
        scored(world, world.acme, period, score)
    recompute(q1, world.q2, world.q3, q4)
    latest = card(q4, world.acme)
    assert latest.projected_score == pytest.approx(94.0)
    assert latest.projected_tier == "Gold" and latest.projected_drop is False
    assert [card(p, world.acme).tier_change for p in (q1, world.q2, world.q3, q4)] == [
        "",
        "up",
        "down",
        "up",
    ]


def test_projection_stops_at_the_first_scorecard_that_is_not_ok(world, q1, q4):
    add_values(world.acme, [(world.nps, dt.date(2026, 2, 1), 50)])  # Q1: coverage 0.3
    for period, score in [(world.q2, 90), (world.q3, 86), (q4, 82)]:
        scored(world, world.acme, period, score)
    recompute(q1, world.q2, world.q3, q4)
    assert card(q1, world.acme).status == "insufficient_data"
    assert card(q4, world.acme).projected_score == pytest.approx(78)  # Q2-Q4 only
    MetricValue.objects.filter(
        partner=world.acme, kpi=world.revenue, observed_on__range=(world.q2.start, world.q2.end)
    ).delete()
    recompute(world.q2, world.q3, q4)
    assert card(world.q2, world.acme).status == "insufficient_data"
    assert card(q4, world.acme).projected_score is None  # Q3 and Q4 only


def test_projected_score_is_clipped_at_0(world, q1):
    # nps 50 (100) with revenue 150000, 50000, 0: scores 111.43, 71.43, 0 -> -50.5 -> 0
    for period, revenue, nps in [(q1, 150000, 50), (world.q2, 50000, 50), (world.q3, 0, 0)]:
        day = period.start + dt.timedelta(days=3)
        add_values(world.acme, [(world.revenue, day, revenue), (world.nps, day, nps)])
    recompute(q1, world.q2, world.q3)
    q3 = card(world.q3, world.acme)
    assert q3.score == 0 and q3.tier == "Member"
    assert q3.projected_score == 0 and q3.projected_tier == "Member"
    assert q3.projected_drop is False  # nothing below Member


# -- section 11: flags ----------------------------------------------------------------------


def test_gap_flag_when_last_period_had_a_value(world):
    rate = KPI.objects.create(
        code="rev_k", name="Revenue in thousands", source="formula", formula="revenue / 1000"
    )
    ModelLine.objects.create(version=world.version, kpi=rate, weight=10, floor=0, target=100)
    add_values(
        world.acme,
        [
            (world.revenue, dt.date(2026, 5, 1), 80000),
            (world.nps, dt.date(2026, 5, 1), 40),
            (world.late, dt.date(2026, 5, 1), 8),
        ],
    )
    add_values(world.acme, [(world.late, dt.date(2026, 9, 20), 8)])
    add_values(world.globex, [(world.late, dt.date(2026, 9, 20), 8)])
    recompute(world.q2, world.q3)
    assert line(world.q3, world.acme, world.revenue).flags == "gap"
    assert line(world.q3, world.acme, world.nps).flags == "gap"
    assert line(world.q3, world.acme, rate).flags == "gap"  # the formula had a Q2 value
    assert line(world.q3, world.acme, world.late).flags == ""  # it has a value
    assert line(world.q3, world.globex, world.revenue).flags == ""  # no Q2 value either
    assert card(world.q3, world.acme).flagged_lines == 3
    assert card(world.q3, world.globex).flagged_lines == 0


def test_stale_flag_on_an_old_import_in_an_open_period(world):
    # Q3 2026 has ended: as-of is its end, 2026-09-30; the threshold is 45 days by default
    add_values(
        world.acme,
        [
            (world.revenue, dt.date(2026, 7, 20), 60000),
            (world.revenue, dt.date(2026, 8, 15), 60000),  # latest: 46 days before as-of
            (world.late, dt.date(2026, 8, 16), 8),  # 45 days: not stale
            (world.nps, dt.date(2026, 7, 2), 35),
        ],
    )
    KPI.objects.filter(pk=world.nps.pk).update(source="survey")  # not imported: never stale
    recompute(world.q3)
    revenue = line(world.q3, world.acme, world.revenue)
    assert revenue.flags == "stale" and revenue.last_observed_on == dt.date(2026, 8, 15)
    late = line(world.q3, world.acme, world.late)
    assert late.flags == "" and late.last_observed_on == dt.date(2026, 8, 16)
    nps = line(world.q3, world.acme, world.nps)
    assert nps.flags == "" and nps.last_observed_on == dt.date(2026, 7, 2)
    assert line(world.q3, world.globex, world.nps).last_observed_on is None  # no value
    assert card(world.q3, world.acme).flagged_lines == 1
    KPI.objects.filter(pk=world.late.pk).update(stale_after_days=10)
    recompute(world.q3)
    assert line(world.q3, world.acme, world.late).flags == "stale"
    assert card(world.q3, world.acme).flagged_lines == 2
    before = card(world.q3, world.acme)
    period_close(period=world.q3)  # a closed period is not stale
    assert line(world.q3, world.acme, world.revenue).flags == ""
    assert line(world.q3, world.acme, world.late).flags == ""
    after = card(world.q3, world.acme)
    assert after.flagged_lines == 0
    assert (after.score, after.computed_at) == (before.score, before.computed_at)  # frozen


def test_outlier_flag_among_ten_peers(world):
    revenues = [10, 11, 12, 12, 13, 13, 14, 15, 16, 100]  # example 9, in thousands
    peers = [
        Partner.objects.create(
            code=f"PEER{i}", name=f"Peer {i}", partner_type=world.reseller, region=None
        )
        for i in range(len(revenues))
    ]
    day = dt.date(2026, 9, 1)
    for peer, revenue in zip(peers, revenues, strict=True):
        add_values(peer, [(world.revenue, day, revenue * 1000), (world.nps, day, 50)])
    add_values(world.acme, [(world.revenue, day, 5_000_000)])  # insufficient data, not a peer
    recompute(world.q3)
    flags = {p.code: line(world.q3, p, world.revenue).flags for p in peers}
    assert flags == {p.code: ("outlier" if p is peers[-1] else "") for p in peers}
    # nps is 50 everywhere: the MAD is 0, nothing is an outlier
    assert {line(world.q3, p, world.nps).flags for p in peers} == {""}
    assert card(world.q3, peers[-1]).flagged_lines == 1
    # a scorecard outside the peer group is judged against it
    assert card(world.q3, world.acme).status == "insufficient_data"
    assert line(world.q3, world.acme, world.revenue).flags == "outlier"
    # one partner recomputed: judged against its peers as stored
    scorecard_recompute_partner(period_id=world.q3.pk, partner_id=peers[-1].pk, trigger="test")
    assert line(world.q3, peers[-1], world.revenue).flags == "outlier"
    MetricValue.objects.filter(partner=peers[-1], kpi=world.revenue).update(value=17000)
    scorecard_recompute_partner(period_id=world.q3.pk, partner_id=peers[-1].pk, trigger="test")
    assert line(world.q3, peers[-1], world.revenue).flags == ""
    assert card(world.q3, peers[-1]).flagged_lines == 0


def test_no_outlier_with_nine_peer_values(world):
    peers = [
        Partner.objects.create(code=f"PEER{i}", name=f"Peer {i}", partner_type=world.reseller)
        for i in range(9)
    ]
    day = dt.date(2026, 9, 1)
    for peer, revenue in zip(peers, [10, 11, 12, 12, 13, 14, 15, 16, 100], strict=True):
        add_values(peer, [(world.revenue, day, revenue * 1000), (world.nps, day, 50)])
    recompute(world.q3)
    assert line(world.q3, peers[-1], world.revenue).flags == ""


# -- at risk: red key lines -----------------------------------------------------------------


def test_red_key_lines_count_red_lines_with_a_fifth_of_the_weight(world):
    small = KPI.objects.create(code="training", name="Training")
    ModelLine.objects.create(version=world.version, kpi=small, weight=10, floor=0, target=10)
    day = dt.date(2026, 9, 1)
    # example 2 plus training 1: revenue 50 (red, 40), late 0 (red, 30), training 10 (red, 10)
    add_values(
        world.acme,
        [(world.revenue, day, 50000), (world.late, day, 25), (small, day, 1)],
    )
    recompute(world.q3)
    acme = card(world.q3, world.acme)
    assert {line(world.q3, world.acme, k).status for k in (world.revenue, world.late, small)} == {
        "red"
    }
    assert acme.red_key_lines == 2  # 10 < 0.2 x 110
    assert card(world.q3, world.globex).red_key_lines == 0


# -- the one-partner recompute and idempotence ----------------------------------------------


def stored(period):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT partner_id, score, tier, tier_change, projected_score, projected_tier, "
            "projected_drop, red_key_lines, flagged_lines FROM assessments_scorecard "
            "WHERE period_id = %s ORDER BY 1",
            [period.pk],
        )
        cards = cursor.fetchall()
        cursor.execute(
            "SELECT partner_id, kpi_id, flags, last_observed_on FROM assessments_scorecardline "
            "WHERE period_id = %s ORDER BY 1, 2",
            [period.pk],
        )
        return cards, cursor.fetchall()


def test_one_partner_recompute_stores_what_a_full_recompute_does(world, q1):
    for period, score in [(q1, 90), (world.q2, 86), (world.q3, 82)]:
        scored(world, world.acme, period, score, day=period.start + dt.timedelta(days=1))
    add_values(world.globex, [(world.nps, dt.date(2026, 5, 1), 50)])
    add_values(world.globex, [(world.late, dt.date(2026, 9, 1), 30)])
    recompute(q1, world.q2, world.q3)
    full = stored(world.q3)
    assert any(row[2] == "stale" for row in full[1]) and any(row[2] == "gap" for row in full[1])
    recompute(world.q3)
    assert stored(world.q3) == full  # idempotent
    for partner in (world.acme, world.globex):
        scorecard_recompute_partner(period_id=world.q3.pk, partner_id=partner.pk, trigger="t")
        assert stored(world.q3) == full


def test_a_changed_period_marks_the_open_periods_whose_projection_reads_it(world, q1, q4):
    from kpis.models import RecomputeMark

    q5 = quarter("2027-Q1", dt.date(2027, 1, 1), dt.date(2027, 3, 31))
    Period.objects.filter(pk=world.q3.pk).update(status="closed")
    scored(world, world.acme, q1, 90)
    recompute(q1)  # new scores: Q2 (trend), Q3 and Q4 (projection) read them; Q5 does not
    marked = set(RecomputeMark.objects.values_list("period_id", flat=True))
    assert marked == {world.q2.pk, q4.pk}  # Q3 is closed: frozen
    assert q5.pk not in marked
