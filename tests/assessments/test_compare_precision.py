"""The 9-decimal comparison (SCORING.md section 1) has one home, kpis.scoring.COMPARE_DECIMALS:
the SQL re-rank of an incremental recompute and the pandas ranks must tie and order alike."""

import datetime as dt

import pandas as pd
import pytest

from assessments import services
from assessments.models import Scorecard
from kpis import scoring
from kpis.models import MetricValue
from partners.models import Partner

# Equal at 9 decimals (float noise around 100 and 80), then apart at the 9th decimal.
SCORES = [100.0, 99.99999999999999, 100.0000000000001, 80.0, 80.0000000004, 79.999999999, 70.0]


@pytest.fixture
def peers(world):
    partners = [world.acme, world.globex] + Partner.objects.bulk_create(
        Partner(code=f"P{i}", name=f"P{i}", partner_type=world.reseller)
        for i in range(len(SCORES) - 2)
    )
    day = dt.date(2026, 8, 1)
    MetricValue.objects.bulk_create(
        MetricValue(partner=p, kpi=kpi, observed_on=day, value=50.0)
        for p in partners
        for kpi in (world.revenue, world.nps, world.late)
    )
    services.scorecards_recompute(period_id=world.q3.pk, trigger="test")
    for partner, score in zip(partners, SCORES, strict=True):
        Scorecard.objects.filter(period=world.q3, partner=partner).update(score=score)
    return partners


def test_sql_rerank_ties_and_orders_like_pandas(world, peers):
    services._rerank(world.q3.pk, [world.reseller.pk])
    rows = pd.DataFrame(
        Scorecard.objects.filter(period=world.q3)
        .order_by("partner_id")
        .values("partner_id", "partner_type_id", "score", "status", "rank", "percentile")
    )
    expected = scoring.peer_ranks(rows[["partner_id", "partner_type_id", "score", "status"]])
    assert rows["rank"].tolist() == expected["rank"].tolist() == [1, 1, 1, 4, 4, 6, 7]
    assert rows["percentile"].tolist() == pytest.approx(expected["percentile"].tolist())


@pytest.mark.parametrize(
    ("old", "new", "same"),
    [
        (88.2, 88.2 + 1e-12, True),
        (99.99999999999999, 100.0, True),
        (float("nan"), float("nan"), True),
        (88.2, 88.2 + 2e-9, False),
        (88.2, float("nan"), False),
    ],
)
def test_same_results_compares_scores_at_nine_decimals(old, new, same):
    def frame(score: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "partner_id": [1],
                "score": [score],
                "tier": ["Gold"],
                "tier_min_score": [80.0],
                "grace_used": [0],
            }
        )

    assert services._same_results(frame(old), frame(new)) is same
