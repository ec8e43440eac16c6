"""The feedback loop's panel on the scorecard page (registered through assessments.panels in
FeedbackConfig.ready): links to the partner's plan, feedback and meetings, and, on the
scorecard of the period after a plan's, whether the plan's KPIs moved."""

from django.template.loader import render_to_string

from assessments.partner_selectors import periods_load
from feedback import plans
from feedback.models import ImprovementPlan
from kpis.models import Period
from partners.access import is_manager
from partners.models import Partner


def scorecard_panel(partner: Partner, period: Period, user) -> str | None:
    manager = is_manager(user)
    plan = plans.plan_of(partner, period)
    previous_period = periods_load().previous(period)
    earlier = (
        ImprovementPlan.objects.filter(partner=partner, period=previous_period)
        .select_related("period")
        .first()
        if previous_period
        else None
    )
    outcomes = plans.plan_outcomes(earlier, period=period) if earlier else None
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
