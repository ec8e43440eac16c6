"""The portal's tabs of the feedback loop: the partner's feedback threads both ways, its
improvement plan and its meetings. A manager's preview (?partner=CODE) is read-only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from assessments.views.portal import portal_context, portal_partner
from feedback import conversations as conv
from feedback import plan_outcomes, plans
from feedback.conversation_forms import ThreadForm
from feedback.models import FeedbackStatus, ImprovementPlan
from feedback.views.conversations import page_number, problem_text, thread_context, thread_post

PER_PAGE = 30


def _writable(request: HttpRequest, context: dict) -> None:
    if context["preview"]:
        raise PermissionDenied("A preview is read-only.")


def _back(request: HttpRequest, name: str, **kwargs) -> HttpResponse:
    return redirect(reverse(name, kwargs=kwargs or None))


@login_required
def feedback(request: HttpRequest) -> HttpResponse:
    partner = portal_partner(request)
    context = portal_context(request, partner)
    form = ThreadForm(request.POST or None)
    if request.method == "POST":
        _writable(request, context)
        if form.is_valid():
            try:
                item = conv.thread_start(partner=partner, user=request.user, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, problem_text(exc))
            else:
                messages.success(request, "Sent to the vendor.")
                return _back(request, "portal-thread", pk=item.pk)
    status = request.GET.get("status", "")
    qs = conv.threads_filter(
        conv.threads_visible(request.user).filter(partner=partner),
        conv.ThreadFilters(status=status),
    )
    context |= {
        "page": Paginator(qs, PER_PAGE).get_page(page_number(request)),
        "form": form,
        "status": status,
        "statuses": FeedbackStatus.choices,
    }
    return render(
        request, "feedback/portal/feedback.html", context, status=400 if form.errors else 200
    )


@login_required
def thread(request: HttpRequest, pk: int) -> HttpResponse:
    partner = portal_partner(request)
    context = portal_context(request, partner)
    item = conv.thread_for_user(request.user, pk, partner=partner)
    form = None
    if request.method == "POST":
        _writable(request, context)
        form = thread_post(request, item)
        if form is None:
            return _back(request, "portal-thread", pk=item.pk)
    context |= thread_context(request, item, form)
    if context["preview"]:
        context["allowed"] = []
    return render(
        request, "feedback/portal/thread.html", context, status=400 if form is not None else 200
    )


@login_required
def plan(request: HttpRequest) -> HttpResponse:
    partner = portal_partner(request)
    context = portal_context(request, partner)
    plan_list = list(
        ImprovementPlan.objects.filter(partner=partner).select_related("period", "signed_off_by")
    )
    code = request.GET.get("period") or request.POST.get("period")
    chosen = next((p for p in plan_list if p.period.code == code), None) if code else None
    chosen = chosen or next(iter(plan_list), None)
    if request.method == "POST":
        _writable(request, context)
        if chosen is None:
            raise Http404("No plan to change.")
        try:
            _plan_post(request, chosen)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, problem_text(exc))
        return redirect(f"{reverse('portal-plan')}?period={chosen.period.code}")
    if chosen is not None:
        context |= {
            "actions": [(a, plans.is_overdue(a)) for a in plans.plan_actions(chosen)],
            "progress": plans.plan_progress(chosen),
            "outcomes": plan_outcomes.plan_outcomes(chosen),
            "changed_after": plans.changed_after_sign_off(chosen),
        }
    context |= {"plan": chosen, "plans": plan_list, "statuses": plans.ActionStatus.choices}
    return render(request, "feedback/portal/plan.html", context)


def _plan_post(request: HttpRequest, chosen: ImprovementPlan) -> None:
    if request.POST.get("op") == "sign":
        plans.plan_sign_off(plan=chosen, user=request.user)
        messages.success(request, "Plan signed off. Thank you.")
        return
    raw = request.POST.get("action", "")
    action = plans.action_for_user(request.user, int(raw) if raw.isdigit() else 0)
    if action.plan_id != chosen.pk:
        raise PermissionDenied("That action is not on this plan.")
    plans.action_update(action=action, user=request.user, status=request.POST.get("status", ""))
    messages.success(request, f"“{action.title}” is now {action.get_status_display().lower()}.")


@login_required
def meetings(request: HttpRequest) -> HttpResponse:
    partner = portal_partner(request)
    context = portal_context(request, partner) | {"meetings": conv.meetings_of(partner)}
    return render(request, "feedback/portal/meetings.html", context)
