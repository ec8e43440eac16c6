import datetime as dt

import pytest
from django.db import connection

from assessments.models import RecomputeRun, Scorecard, ScorecardLine, TierChange
from assessments.services import scorecards_recompute
from kpis.models import MetricValue


def add_values(partner, rows):
    MetricValue.objects.bulk_create(
        MetricValue(partner=partner, kpi=kpi, observed_on=day, value=value)
        for kpi, day, value in rows
    )


def example_1(world, partner, day=dt.date(2026, 8, 15)):
    add_values(
        partner,
        [
            (world.revenue, day, 70000),
            (world.revenue, day.replace(day=20), 50000),
            (world.nps, day, 35),
            (world.late, day, 8),
        ],
    )


def table_rows(period):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT partner_id, kpi_id, weight, floor, target, stretch, value, n_values, score, "
            "status, overridden FROM assessments_scorecardline WHERE period_id = %s "
            "ORDER BY 1, 2",
            [period.pk],
        )
        lines = cursor.fetchall()
        cursor.execute(
            "SELECT partner_id, model_version_id, score, coverage, status, tier, rank, peer_count,"
            " percentile, trend FROM assessments_scorecard WHERE period_id = %s ORDER BY 1",
            [period.pk],
        )
        return lines, cursor.fetchall()


def test_recompute_writes_worked_example_1(world):
    example_1(world, world.acme)
    run = scorecards_recompute(period_id=world.q3.pk, trigger="test")
    assert run.status == "succeeded"
    assert run.scorecards == 2 and run.lines == 6 and run.metric_values == 4
    card = Scorecard.objects.get(period=world.q3, partner=world.acme)
    assert card.score == pytest.approx(88.2)
    assert card.tier == "Gold" and card.status == "ok"
    assert card.model_version == world.version
    lines = {
        line.kpi_id: line
        for line in ScorecardLine.objects.filter(period_id=world.q3.pk, partner_id=world.acme.pk)
    }
    assert lines[world.revenue.pk].value == 120000 and lines[world.revenue.pk].n_values == 2
    assert lines[world.revenue.pk].score == pytest.approx(108)
    assert lines[world.late.pk].status == "amber"
    assert (lines[world.late.pk].floor, lines[world.late.pk].target) == (20, 5)
    other = Scorecard.objects.get(period=world.q3, partner=world.globex)
    assert other.status == "no_data" and other.score is None and other.rank is None


def test_recompute_twice_gives_identical_rows(world):
    example_1(world, world.acme)
    add_values(world.globex, [(world.revenue, dt.date(2026, 7, 2), 10000)])
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    first = table_rows(world.q3)
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    assert table_rows(world.q3) == first
    assert RecomputeRun.objects.filter(status="succeeded").count() == 2


def test_trend_and_tier_change_across_periods(world):
    add_values(
        world.acme,
        [
            (world.revenue, dt.date(2026, 5, 1), 50000),
            (world.late, dt.date(2026, 5, 1), 25),
            (world.nps, dt.date(2026, 5, 1), 0),
        ],
    )
    example_1(world, world.acme)
    scorecards_recompute(period_id=world.q2.pk, trigger="test")
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    q2 = Scorecard.objects.get(period=world.q2, partner=world.acme)
    q3 = Scorecard.objects.get(period=world.q3, partner=world.acme)
    assert q2.tier == "Member"
    assert q3.trend == pytest.approx(88.2 - q2.score)
    change = TierChange.objects.get(period=world.q3, partner=world.acme)
    assert (change.from_tier, change.to_tier, change.direction) == ("Member", "Gold", "up")


def test_closed_period_is_frozen(world):
    example_1(world, world.acme)
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    world.q3.status = "closed"
    world.q3.save()
    MetricValue.objects.filter(partner=world.acme, kpi=world.nps).update(value=0)
    run = scorecards_recompute(period_id=world.q3.pk, trigger="test")
    assert run.status == "skipped"
    assert Scorecard.objects.get(period=world.q3, partner=world.acme).score == pytest.approx(88.2)


def test_failed_write_keeps_previous_scorecards(world, monkeypatch):
    example_1(world, world.acme)
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    before = table_rows(world.q3)
    MetricValue.objects.filter(partner=world.acme, kpi=world.nps).update(value=0)

    from assessments import services

    def explode(period_id, lines):  # the scorecards are already rewritten when this runs
        raise RuntimeError("disk full half-way")

    monkeypatch.setattr(services, "_swap_line_partition", explode)
    with pytest.raises(RuntimeError):
        scorecards_recompute(period_id=world.q3.pk, trigger="test")
    assert table_rows(world.q3) == before
    failed = RecomputeRun.objects.get(status="failed")
    assert "disk full" in failed.error


def test_a_dead_workers_run_is_marked_interrupted_and_the_next_run_completes(world):
    from django.utils import timezone

    example_1(world, world.acme)
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    before = table_rows(world.q3)
    # A worker SIGKILLed mid-run leaves its run row 'running' and, since its transaction never
    # committed, the previous scorecards untouched.
    dead = RecomputeRun.objects.create(period=world.q3, trigger="killed", started_at=timezone.now())
    assert table_rows(world.q3) == before
    run = scorecards_recompute(period_id=world.q3.pk, trigger="next")
    dead.refresh_from_db()
    assert dead.status == "failed" and dead.error.startswith("Interrupted")
    assert run.status == "succeeded"
    assert table_rows(world.q3) == before
