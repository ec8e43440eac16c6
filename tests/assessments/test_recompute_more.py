"""Incremental recompute, locking, formulas and overrides through the recompute service."""

import datetime as dt
import threading

import pytest
from django.db import connection

from assessments.models import RecomputeRun, Scorecard, ScorecardLine
from assessments.services import (
    period_close,
    period_reopen,
    scorecard_recompute_partner,
    scorecards_recompute,
)
from kpis.models import KPI, MetricValue, ModelLine, TargetOverride
from partners.models import Partner

DAY = dt.date(2026, 8, 1)


def cards(period):
    return list(
        Scorecard.objects.filter(period=period)
        .order_by("partner_id")
        .values_list(
            "partner_id", "score", "tier", "status", "rank", "peer_count", "percentile", "trend"
        )
    )


def lines(period, partner):
    return list(
        ScorecardLine.objects.filter(period_id=period.pk, partner_id=partner.pk)
        .order_by("kpi_id")
        .values_list("kpi_id", "value", "score", "status", "floor", "target", "overridden")
    )


@pytest.fixture
def portfolio(world):
    partners = [world.acme, world.globex] + Partner.objects.bulk_create(
        Partner(code=f"P{i}", name=f"P{i}", partner_type=world.reseller) for i in range(8)
    )
    for i, partner in enumerate(partners):
        MetricValue.objects.bulk_create(
            [
                MetricValue(
                    partner=partner, kpi=world.revenue, observed_on=DAY, value=20000.0 * (i % 5)
                ),
                MetricValue(partner=partner, kpi=world.nps, observed_on=DAY, value=10.0 * (i % 4)),
                MetricValue(partner=partner, kpi=world.late, observed_on=DAY, value=3.0 + i),
            ]
        )
    return partners


def test_incremental_recompute_of_one_partner_equals_full_recompute(world, portfolio):
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    MetricValue.objects.filter(partner=world.acme, kpi=world.revenue).update(value=140000)
    untouched = lines(world.q3, world.globex)
    run = scorecard_recompute_partner(
        period_id=world.q3.pk, partner_id=world.acme.pk, trigger="test"
    )
    assert run.status == "succeeded" and run.partner_id == world.acme.pk
    incremental, acme_lines = cards(world.q3), lines(world.q3, world.acme)
    assert lines(world.q3, world.globex) == untouched
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    assert cards(world.q3) == incremental  # ranks and percentiles of the peers moved too
    assert lines(world.q3, world.acme) == acme_lines


def test_incremental_recompute_before_any_full_run_creates_the_partition(world, portfolio):
    scorecard_recompute_partner(period_id=world.q3.pk, partner_id=world.acme.pk, trigger="t")
    assert len(lines(world.q3, world.acme)) == 3
    assert Scorecard.objects.get(period=world.q3, partner=world.acme).rank == 1


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_two_recomputes_of_one_period_at_once_never_mix_rows(world, portfolio):
    errors = []

    def work():
        try:
            scorecards_recompute(period_id=world.q3.pk, trigger="thread")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert RecomputeRun.objects.filter(trigger="thread", status="succeeded").count() == 3
    assert Scorecard.objects.filter(period=world.q3).count() == len(portfolio)
    assert ScorecardLine.objects.filter(period_id=world.q3.pk).count() == 3 * len(portfolio)


def test_formula_kpi_with_prev_is_scored(world):
    growth = KPI.objects.create(
        code="revenue_growth",
        name="Revenue growth",
        unit="%",
        source="formula",
        formula="100 * (revenue / prev(revenue) - 1)",
    )
    ModelLine.objects.create(
        version=world.version, kpi=growth, weight=10, floor=0, target=8, stretch=20
    )
    MetricValue.objects.create(
        partner=world.acme, kpi=world.revenue, observed_on=dt.date(2026, 5, 1), value=100000
    )
    MetricValue.objects.create(partner=world.acme, kpi=world.revenue, observed_on=DAY, value=104000)
    MetricValue.objects.create(
        partner=world.globex, kpi=world.revenue, observed_on=DAY, value=50000
    )
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    acme = ScorecardLine.objects.get(
        period_id=world.q3.pk, partner_id=world.acme.pk, kpi_id=growth.pk
    )
    assert acme.value == pytest.approx(4.0) and acme.score == pytest.approx(50.0)
    assert acme.n_values == 1
    globex = ScorecardLine.objects.get(
        period_id=world.q3.pk, partner_id=world.globex.pk, kpi_id=growth.pk
    )
    assert globex.value is None and globex.status == "grey"  # no previous revenue


def test_override_replaces_targets_for_one_partner_and_period(world):
    for partner in (world.acme, world.globex):
        MetricValue.objects.create(partner=partner, kpi=world.revenue, observed_on=DAY, value=50000)
    TargetOverride.objects.create(
        partner=world.acme, kpi=world.revenue, period=world.q3, floor=0, target=50000
    )
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    acme = ScorecardLine.objects.get(
        period_id=world.q3.pk, partner_id=world.acme.pk, kpi_id=world.revenue.pk
    )
    globex = ScorecardLine.objects.get(
        period_id=world.q3.pk, partner_id=world.globex.pk, kpi_id=world.revenue.pk
    )
    assert (acme.target, acme.score, acme.overridden) == (50000, 100, True)
    assert (globex.target, globex.score, globex.overridden) == (100000, 50, False)


def test_close_freezes_and_reopen_recomputes(
    world, portfolio, django_capture_on_commit_callbacks, monkeypatch
):
    scorecards_recompute(period_id=world.q3.pk, trigger="test")
    frozen = cards(world.q3)
    period_close(period=world.q3)
    MetricValue.objects.update(value=0)
    assert scorecards_recompute(period_id=world.q3.pk, trigger="t").status == "skipped"
    assert cards(world.q3) == frozen
    sent = []
    monkeypatch.setattr(
        "assessments.tasks.enqueue_period", lambda period_id, **kw: sent.append(period_id)
    )
    with django_capture_on_commit_callbacks(execute=True):
        period_reopen(period=world.q3)
    assert sent == [world.q3.pk]
