"""The feedback loop's panel on the scorecard page (registered through assessments.panels in
FeedbackConfig.ready): links to the partner's plan, feedback and meetings, and, on the
scorecard of the period after a plan's, whether the plan's KPIs moved."""

from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string

from feedback import plan_outcomes, plans
from feedback.models import ImprovementPlan
from kpis.models import Period
from partners.access import is_manager
from partners.models import Partner


def plans_near(
    partner: Partner, period: Period
) -> tuple[ImprovementPlan | None, ImprovementPlan | None]:
    """(the partner's plan of this period, its plan of the period just before), one query: a
    plan is "just before" when no period of the same granularity lies between the two."""
    between = Period.objects.filter(
        granularity=OuterRef("period__granularity"),
        start__gt=OuterRef("period__end"),
        end__lt=period.start,
    )
    found = list(
        ImprovementPlan.objects.filter(
            partner=partner, period__granularity=period.granularity, period__end__lte=period.end
        )
        .annotate(gap=Exists(between))
        .select_related("period", "signed_off_by")
        .order_by("-period__end")[:2]
    )
    current = next((p for p in found if p.period_id == period.pk), None)
    earlier = next((p for p in found if p.period.end < period.start and not p.gap), None)
    return current, earlier


def scorecard_panel(partner: Partner, period: Period, user) -> str | None:
    """Costs one query when there is no plan to show (the scorecard's query budget)."""
    manager = is_manager(user)
    plan, earlier = plans_near(partner, period)
    outcomes = plan_outcomes.plan_outcomes(earlier, period=period) if earlier else None
    if not manager and plan is None and outcomes is None:
        return None
    return render_to_string(
        "feedback/_scorecard_panel.html",
        {
            "partner": partner,
            "period": period,
            "manager": manager,
            "plan": plan,
            "progress": plans.plan_progress(plan) if plan else None,
            "earlier": earlier,
            "outcomes": outcomes,
        },
    )
