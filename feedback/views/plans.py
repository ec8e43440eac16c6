"""Manager pages of improvement plans: one partner's plan of a period (create, goal, actions)
and the portfolio's list of plans with their roll-up."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from feedback import plan_outcomes, plans
from feedback.conversation_forms import ActionForm, PlanForm
from feedback.views.conversations import managers_only, page_number, problem_text
from kpis.models import Period
from partners.access import partner_for_user

PER_PAGE = 50


def plan_period(request: HttpRequest) -> Period | None:
    """?period=CODE, else the latest open period, else the latest."""
    code = request.GET.get("period") or request.POST.get("period")
    if code:
        return Period.objects.filter(code=code).first()
    periods = Period.objects.order_by("-end")
    return periods.filter(status="open").first() or periods.first()


def plan_url(partner, period: Period) -> str:
    return f"{reverse('partner-plan', args=[partner.code])}?period={period.code}"


def _action_fields(form: ActionForm) -> dict:
    data = dict(form.cleaned_data)
    data["title"] = data.get("title") or ""
    return data


def _post(request: HttpRequest, partner, period: Period, plan, editing) -> ActionForm | None:
    """One write of the page; returns an action form with errors to show again, else None."""
    op = request.POST.get("op", "")
    if op == "create":
        plan_form = PlanForm(request.POST)
        plan_form.is_valid()
        plans.plan_create(
            partner=partner,
            period=period,
            user=request.user,
            goal=plan_form.cleaned_data.get("goal", ""),
            prefill=bool(plan_form.cleaned_data.get("prefill")),
        )
        messages.success(request, f"Plan for {period.code} created.")
    elif plan is None:
        raise ValidationError(f"{partner.name} has no plan for {period.code} yet.")
    elif op == "goal":
        plans.plan_update(plan=plan, user=request.user, goal=request.POST.get("goal", ""))
        messages.success(request, "Goal saved.")
    elif op in ("add", "save"):
        form = ActionForm(request.POST, owners=plans.owner_choices(partner, also=request.user))
        if not form.is_valid():
            return form
        if op == "add":
            plans.action_add(plan=plan, user=request.user, **_action_fields(form))
            messages.success(request, "Action added.")
        else:
            plans.action_update(action=editing, user=request.user, **_action_fields(form))
            messages.success(request, "Action saved.")
    elif op == "delete" and editing is not None:
        plans.action_delete(action=editing, user=request.user)
        messages.success(request, "Action removed.")
    else:
        raise ValidationError(f"Unknown operation {op!r}.")
    return None


@login_required
def plan_page(request: HttpRequest, code: str, action_pk: int | None = None) -> HttpResponse:
    managers_only(request)
    partner = partner_for_user(request.user, code)
    period = plan_period(request)
    if period is None:
        return render(request, "feedback/plan.html", {"partner": partner}, status=404)
    plan = plans.plan_of(partner, period)
    editing = plans.action_for_user(request.user, action_pk, partner=partner) if action_pk else None
    if editing is not None and (plan is None or editing.plan_id != plan.pk):
        return redirect(plan_url(partner, editing.plan.period) + f"#action-{editing.pk}")
    bad_form = None
    if request.method == "POST":
        try:
            bad_form = _post(request, partner, period, plan, editing)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, problem_text(exc))
        if bad_form is None:
            return redirect(plan_url(partner, period))
    return render(
        request,
        "feedback/plan.html",
        plan_context(request, partner, period, plans.plan_of(partner, period), editing, bad_form),
        status=400 if bad_form is not None else 200,
    )


def plan_context(request, partner, period, plan, editing, bad_form) -> dict:
    owners = plans.owner_choices(partner, also=request.user)
    suggestions = plans.plan_suggestions(partner=partner, period=period)
    context = {
        "partner": partner,
        "period": period,
        "periods": Period.objects.order_by("-end"),
        "plan": plan,
        "suggestions": suggestions,
        "plan_form": PlanForm(),
        "editing": editing,
    }
    if plan is None:
        return context
    actions = plans.plan_actions(plan)
    if editing is not None:
        initial = {
            "title": editing.title,
            "kpi": editing.kpi.code if editing.kpi else None,
            "aim_value": editing.aim_value,
            "owner": editing.owner.username if editing.owner else None,
            "due_on": editing.due_on,
            "status": editing.status,
            "description": editing.description,
        }
        edit_form = bad_form or ActionForm(owners=owners, initial=initial)
        add_form = ActionForm(owners=owners, initial={"due_on": period.end})
    else:
        edit_form = None
        add_form = bad_form or ActionForm(
            owners=owners, initial={"due_on": period.end, "owner": request.user.username}
        )
    context.update(
        {
            "actions": [(a, plans.is_overdue(a)) for a in actions],
            "progress": plans.plan_progress(plan),
            "outcomes": plan_outcomes.plan_outcomes(plan),
            "changed_after": plans.changed_after_sign_off(plan),
            "add_form": add_form,
            "edit_form": edit_form,
        }
    )
    return context


@login_required
def plans_page(request: HttpRequest) -> HttpResponse:
    managers_only(request)
    filters = plans.PlanFilters(
        overdue=request.GET.get("overdue") == "1",
        unsigned=request.GET.get("unsigned") == "1",
        period=request.GET.get("period", ""),
        partner=request.GET.get("partner", ""),
    )
    qs = plans.plans_list(user=request.user, filters=filters)
    page = Paginator(qs, PER_PAGE).get_page(page_number(request))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "feedback/plans.html",
        {
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "totals": plans.portfolio_progress(user=request.user, filters=filters),
            "periods": Period.objects.order_by("-end"),
        },
    )
