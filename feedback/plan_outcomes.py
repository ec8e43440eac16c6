"""Did an improvement plan's linked KPIs move? For a plan of period P, each action's KPI:
its baseline (the value on P's scorecard when the action was agreed) -> its value now (on the
scorecard of the period after P, once there is one) vs the aim: "reached", "moved towards the
aim" or "did not move" (compared at 9 decimals; a lower-is-better KPI moves down). Shown on
the plan pages and, through the scorecard's panel, on the next period's scorecard."""

from dataclasses import dataclass

from assessments.models import Scorecard
from assessments.partner_selectors import periods_load
from feedback.models import ImprovementPlan, PlanAction
from feedback.plans import baselines, plan_actions
from kpis.models import Direction, Period
from kpis.scoring import COMPARE_DECIMALS

REACHED, MOVED, NOT_MOVED, WORSE, NO_VALUE = "reached", "moved", "not_moved", "worse", "no_value"
VERDICT_TEXT = {
    REACHED: "reached",
    MOVED: "moved towards the aim",
    NOT_MOVED: "did not move",
    WORSE: "moved away from the aim",
    NO_VALUE: "no value yet",
}


@dataclass(frozen=True)
class Outcome:
    action: PlanAction
    baseline: float | None
    now: float | None
    aim: float | None
    verdict: str

    @property
    def verdict_text(self) -> str:
        return VERDICT_TEXT[self.verdict]


def verdict(*, direction: str, baseline: float | None, now: float | None, aim: float | None) -> str:
    """Whether a KPI moved from its baseline towards the aim (compared at 9 decimals,
    SCORING.md's rule; a lower-is-better KPI moves down)."""
    if now is None:
        return NO_VALUE
    sign = -1.0 if direction == Direction.LOWER else 1.0
    now_ = round(sign * now, COMPARE_DECIMALS)
    if aim is not None and now_ >= round(sign * aim, COMPARE_DECIMALS):
        return REACHED
    if baseline is None:
        return NOT_MOVED
    then = round(sign * baseline, COMPARE_DECIMALS)
    return MOVED if now_ > then else WORSE if now_ < then else NOT_MOVED


@dataclass(frozen=True)
class Outcomes:
    period: Period  # the period whose values are "now"
    rows: list[Outcome]


def plan_outcomes(plan: ImprovementPlan, *, period: Period | None = None) -> Outcomes | None:
    """Each KPI action's baseline -> value now vs aim. `now` is the scorecard of `period`
    (default: the period after the plan's when it has the partner's scorecard, else the plan's
    own). None when the plan has no action with a KPI."""
    actions = [(a, a.kpi) for a in plan_actions(plan) if a.kpi is not None]
    if not actions:
        return None
    shown = period or _now_period(plan)
    values = baselines(partner=plan.partner, period=shown)
    rows = [
        Outcome(
            action=a,
            baseline=a.baseline_value,
            now=values.get(kpi.pk),
            aim=a.aim_value,
            verdict=verdict(
                direction=kpi.direction,
                baseline=a.baseline_value,
                now=values.get(kpi.pk),
                aim=a.aim_value,
            ),
        )
        for a, kpi in actions
    ]
    return Outcomes(shown, rows)


def _now_period(plan: ImprovementPlan) -> Period:
    """The period after the plan's when the partner has a scorecard in it, else the plan's."""
    later = periods_load().later(plan.period, 1)
    if later and Scorecard.objects.filter(partner_id=plan.partner_id, period=later).exists():
        return later
    return plan.period
