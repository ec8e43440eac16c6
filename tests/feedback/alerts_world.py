"""Helpers of the alerts tests: values that give a chosen score on the world's model
(tests/world.py) and the recompute of quarters, as the guidance tests do."""

import datetime as dt

from assessments.services import scorecards_recompute
from feedback.alerts import alerts_raise
from feedback.models import Alert
from kpis.models import MetricValue, Period


def quarter(code: str, start: dt.date, end: dt.date) -> Period:
    return Period.objects.create(code=code, start=start, end=end, granularity="quarter")


def scored(world, partner, period, score: float, nps: float = 50) -> None:
    """nps at target (KPI score 100, weight 30) and the revenue (weight 40) that makes
    (40 r + 3000) / 70 = score; late deliveries missing (coverage 0.7)."""
    day = period.start + dt.timedelta(days=10)
    revenue = (70 * score - 3000) / 40 * 1000
    for kpi, value in ((world.revenue, revenue), (world.nps, nps)):
        MetricValue.objects.update_or_create(
            partner=partner, kpi=kpi, observed_on=day, defaults={"value": value}
        )


def recompute_and_raise(*periods: Period) -> None:
    """Recompute each period (oldest first), then raise the last one's alerts, as the task
    the recompute's signal enqueues does."""
    for period in periods:
        assert scorecards_recompute(period_id=period.pk, trigger="test").status == "succeeded"
    alerts_raise(period_id=periods[-1].pk)


def alerts_of(user, kind: str | None = None) -> list[Alert]:
    found = Alert.objects.filter(user=user).order_by("pk")
    return list(found.filter(kind=kind) if kind else found)
