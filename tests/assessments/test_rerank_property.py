"""Two spellings of SCORING.md section 6 must agree: the incremental recompute of one partner
re-ranks its peer group in SQL (assessments.services._rerank), a full recompute ranks with
pandas (kpis.scoring). For random small peer groups, with ties, partial data and newcomers,
one partner's change recomputed incrementally leaves every scorecard with the rank, peer count
and percentile a full recompute gives."""

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assessments.models import Scorecard
from assessments.services import scorecard_recompute_partner, scorecards_recompute
from kpis.models import MetricValue
from partners.models import Partner

DAY = dt.date(2026, 8, 1)
# Few distinct values, so scores tie often, some only at 9 decimals (thirds, summed in another
# order); None: not reported (so coverage, and status, vary).
CHOICES: dict[str, list[float]] = {
    "revenue": [0, 50_000, 100_000, 125_000, 150_000],
    "nps": [0, 50 / 3, 25, 100 / 3, 50],
    "late": [0, 5, 10, 15, 20],
}
VALUES = st.fixed_dictionaries(
    {code: st.none() | st.sampled_from(choices) for code, choices in CHOICES.items()}
)


def write_values(world, partner, values) -> None:
    kpis = {"revenue": world.revenue, "nps": world.nps, "late": world.late}
    MetricValue.objects.filter(partner=partner).delete()
    MetricValue.objects.bulk_create(
        MetricValue(partner=partner, kpi=kpis[code], observed_on=DAY, value=value)
        for code, value in values.items()
        if value is not None
    )


def ranks(period) -> list[tuple]:
    return list(
        Scorecard.objects.filter(period=period)
        .order_by("partner_id")
        .values_list("partner_id", "status", "score", "rank", "peer_count", "percentile")
    )


@pytest.mark.slow
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same examples every run
    # `world` is built once for all examples; each example rolls its own rows back.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(before=st.lists(VALUES, min_size=1, max_size=7), who=st.integers(0, 7), after=VALUES)
@example(  # ties only at 9 decimals: 50.0 and 50.00000000000001, 30.0 and 30.000000000000004
    before=[
        {"revenue": None, "nps": 0, "late": 5},
        {"revenue": None, "nps": 50 / 3, "late": 10},
        {"revenue": 0, "nps": 0, "late": 5},
    ],
    who=2,
    after={"revenue": 0, "nps": 50 / 3, "late": 10},
)
def test_incremental_rerank_equals_full_recompute(world, before, who, after):
    with transaction.atomic():
        partners = Partner.objects.bulk_create(
            Partner(code=f"R{i}", name=f"R{i}", partner_type=world.reseller)
            for i in range(len(before))
        )
        for partner, values in zip(partners, before, strict=True):
            write_values(world, partner, values)
        scorecards_recompute(period_id=world.q3.pk, trigger="test")
        if who < len(partners):
            changed = partners[who]
        else:  # a newcomer: no scorecard yet
            changed = Partner.objects.create(code="NEW", name="New", partner_type=world.reseller)
        write_values(world, changed, after)

        run = scorecard_recompute_partner(
            period_id=world.q3.pk, partner_id=changed.pk, trigger="test"
        )
        assert run.status == "succeeded"
        incremental = ranks(world.q3)
        scorecards_recompute(period_id=world.q3.pk, trigger="test")
        assert ranks(world.q3) == incremental
        transaction.set_rollback(True)
