"""The alerts a recompute raises (feedback/alerts.py) on the world of tests/world.py, with the
real recompute: each rule, once across recomputes, again when the situation changes, and
set-based (the queries do not grow with the partners)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feedback.alerts import alerts_raise
from feedback.models import Alert, AlertKind
from kpis.models import MetricValue, TierRequirement
from partners.models import Partner
from tests.feedback.alerts_world import alerts_of, quarter, recompute_and_raise, scored


@pytest.fixture
def q1(world):
    return quarter("2026-Q1", dt.date(2026, 1, 1), dt.date(2026, 3, 31))


def test_tier_drop_alerts_the_manager_once_across_two_recomputes(world):
    scored(world, world.acme, world.q2, 85)  # Gold
    scored(world, world.acme, world.q3, 70)  # Silver
    recompute_and_raise(world.q2, world.q3)
    drops = alerts_of(world.manager, AlertKind.TIER_DROP)
    assert len(drops) == 1
    drop = drops[0]
    assert drop.title == "Acme Corp dropped from Gold to Silver in 2026-Q3"
    assert "scores 70 in 2026-Q3 (85 in 2026-Q2)" in drop.body
    assert drop.url == "/partners/ACME/?period=2026-Q3"
    assert (drop.partner, drop.period, drop.read_at) == (world.acme, world.q3, None)
    total = Alert.objects.count()
    recompute_and_raise(world.q3)  # the same situation again
    assert Alert.objects.count() == total


def test_a_drop_to_another_tier_is_a_new_alert(world):
    scored(world, world.acme, world.q2, 85)
    scored(world, world.acme, world.q3, 70)
    recompute_and_raise(world.q2, world.q3)
    scored(world, world.acme, world.q3, 50)  # now Member
    recompute_and_raise(world.q3)
    titles = [a.title for a in alerts_of(world.manager, AlertKind.TIER_DROP)]
    assert titles == [
        "Acme Corp dropped from Gold to Silver in 2026-Q3",
        "Acme Corp dropped from Gold to Member in 2026-Q3",
    ]


def test_no_alert_for_a_partner_without_a_manager_nor_for_a_rise(world):
    Partner.objects.filter(pk=world.globex.pk).update(manager=None)
    scored(world, world.globex, world.q2, 85)
    scored(world, world.globex, world.q3, 50)  # a drop, but nobody manages GLOBEX
    scored(world, world.acme, world.q2, 70)
    scored(world, world.acme, world.q3, 85)  # a rise
    recompute_and_raise(world.q2, world.q3)
    assert alerts_of(world.manager, AlertKind.TIER_DROP) == []
    assert not Alert.objects.filter(partner=world.globex).exists()


def test_at_risk_on_demotion_grace(world, q1):
    """Worked example 12: Q2 earns Silver (nps below Gold's requirement) but holds Gold."""
    world.version.demotion_grace = 1
    world.version.save()
    gold = world.version.tiers.get(name="Gold")
    TierRequirement.objects.create(tier=gold, kpi=world.nps, min_kpi_score=60)
    for period, revenue, nps in ((q1, 96250, 35), (world.q2, 123750, 25)):
        day = period.start + dt.timedelta(days=20)
        MetricValue.objects.create(
            partner=world.acme, kpi=world.revenue, observed_on=day, value=revenue
        )
        MetricValue.objects.create(partner=world.acme, kpi=world.nps, observed_on=day, value=nps)
    recompute_and_raise(q1, world.q2)
    (risk,) = alerts_of(world.manager, AlertKind.AT_RISK)
    assert risk.title == "Acme Corp is at risk of falling from Gold to Silver"
    assert "earn only Silver" in risk.body and "falls to Silver next period" in risk.body
    assert alerts_of(world.manager, AlertKind.TIER_DROP) == []  # held: no drop yet
    recompute_and_raise(world.q2)
    assert len(alerts_of(world.manager, AlertKind.AT_RISK)) == 1


def test_projected_drop_of_worked_example_8(world, q1):
    for period, score in ((q1, 90), (world.q2, 86), (world.q3, 82)):
        scored(world, world.acme, period, score)
    recompute_and_raise(q1, world.q2, world.q3)
    (projected,) = alerts_of(world.manager, AlertKind.PROJECTED_DROP)
    assert projected.title == "Acme Corp is projected to drop from Gold to Silver"
    assert "projected at 78, which is Silver; it is Gold now with 82" in projected.body
    assert alerts_of(world.manager, AlertKind.TIER_DROP) == []


def test_a_high_weight_kpi_turning_red(world):
    scored(world, world.acme, world.q2, 85)  # revenue and nps green
    scored(world, world.acme, world.q3, 85, nps=5)  # nps (30% of the weights) red
    recompute_and_raise(world.q2, world.q3)
    (red,) = alerts_of(world.manager, AlertKind.RED_KPI)
    assert red.title == "Acme Corp: NPS turned red in 2026-Q3"
    assert "NPS carries 30% of the weights of Acme Corp's model" in red.body
    assert "5 against a floor of 0 and a target of 50" in red.body
    assert "it was green in 2026-Q2" in red.body
    assert red.key == f"red_kpi:partner{world.acme.pk}:period{world.q3.pk}:nps"


def test_no_red_alert_for_a_light_kpi_or_one_already_red(world, settings):
    settings.ALERT_KEY_WEIGHT_PERCENT = 35  # nps (30%) is not a key KPI any more
    scored(world, world.acme, world.q2, 85)
    scored(world, world.acme, world.q3, 85, nps=5)
    scored(world, world.globex, world.q2, 40)  # revenue red in both quarters
    scored(world, world.globex, world.q3, 40)
    recompute_and_raise(world.q2, world.q3)
    assert alerts_of(world.manager, AlertKind.RED_KPI) == []


def test_data_quality_flags_make_one_alert_per_partner(world):
    day = dt.date(2026, 5, 1)
    for kpi, value in ((world.revenue, 80000), (world.nps, 40), (world.late, 8)):
        MetricValue.objects.create(partner=world.acme, kpi=kpi, observed_on=day, value=value)
    # Q3: no late deliveries (gap); revenue's latest import 46 days before the end (stale)
    MetricValue.objects.create(
        partner=world.acme, kpi=world.revenue, observed_on=dt.date(2026, 8, 15), value=90000
    )
    MetricValue.objects.create(
        partner=world.acme, kpi=world.nps, observed_on=dt.date(2026, 9, 20), value=40
    )
    recompute_and_raise(world.q2, world.q3)
    (flags,) = alerts_of(world.manager, AlertKind.DATA_QUALITY)
    assert flags.title == "Acme Corp: 2 data-quality flags in 2026-Q3"
    assert "- Late deliveries: gap, no value this period, though there was one in 2026-Q2" in (
        flags.body
    )
    assert "- Revenue: stale, the latest value (2026-08-15) is older than 45 days" in flags.body
    recompute_and_raise(world.q3)
    assert len(alerts_of(world.manager, AlertKind.DATA_QUALITY)) == 1
    MetricValue.objects.create(
        partner=world.acme, kpi=world.revenue, observed_on=dt.date(2026, 9, 25), value=1
    )  # no longer stale: the flags changed, a new alert names what is flagged now
    recompute_and_raise(world.q3)
    assert [a.title for a in alerts_of(world.manager, AlertKind.DATA_QUALITY)][-1] == (
        "Acme Corp: 1 data-quality flag in 2026-Q3"
    )


def test_a_closed_period_raises_nothing(world):
    scored(world, world.acme, world.q2, 85)
    scored(world, world.acme, world.q3, 50)
    recompute_and_raise(world.q2)
    from assessments.services import period_close, scorecards_recompute

    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    period_close(period=world.q3)
    assert alerts_raise(period_id=world.q3.pk) == 0
    assert not Alert.objects.filter(period=world.q3).exists()


def test_one_partner_only_when_given(world):
    for partner in (world.acme, world.globex):
        scored(world, partner, world.q2, 85)
        scored(world, partner, world.q3, 50)
    from assessments.services import scorecards_recompute

    for period in (world.q2, world.q3):
        scorecards_recompute(period_id=period.pk, trigger="test")
    alerts_raise(period_id=world.q3.pk, partner_id=world.globex.pk)
    assert set(Alert.objects.values_list("partner__code", flat=True)) == {"GLOBEX"}


def test_the_rules_are_set_based(world):
    """The same number of queries for 2 partners as for 40, every one of them dropping."""
    from assessments.services import scorecards_recompute

    def grow(n: int, prefix: str) -> None:
        for i in range(n):
            partner = Partner.objects.create(
                code=f"{prefix}{i}",
                name=f"{prefix} {i}",
                partner_type=world.reseller,
                manager=world.manager,
            )
            scored(world, partner, world.q2, 85)
            scored(world, partner, world.q3, 50, nps=5)
        for period in (world.q2, world.q3):
            scorecards_recompute(period_id=period.pk, trigger="test")

    def queries() -> int:
        Alert.objects.all().delete()
        with CaptureQueriesContext(connection) as ctx:
            alerts_raise(period_id=world.q3.pk)
        return len(ctx.captured_queries)

    grow(2, "S")
    small = queries()
    grow(38, "L")
    assert queries() == small <= 6
    assert Alert.objects.filter(kind=AlertKind.TIER_DROP).count() == 40
    assert Alert.objects.filter(kind=AlertKind.RED_KPI).count() == 80  # revenue and nps
