"""The periods page (/config/periods/, admins): every period with its status and scorecards,
add the next ones in bulk, close and reopen, each after a confirmation that says what it means.

It lives in assessments because closing is assessments.services.period_close (it freezes the
scorecards); the periods themselves are kpis.periods."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from assessments.models import RecomputeRun, RunStatus
from assessments.services import period_close, period_reopen
from kpis.models import Granularity, Period, PeriodStatus
from kpis.periods import MAX_NEW_PERIODS, periods_create_next, periods_plan_next
from kpis.views_config import config_nav
from partners.access import Role, role


def _require_admin(user) -> None:
    if role(user) != Role.ADMIN:
        raise Http404("Periods are configured by admins.")


class AddPeriodsForm(forms.Form):
    count = forms.IntegerField(min_value=1, max_value=MAX_NEW_PERIODS, initial=4, label="Add")
    granularity = forms.ChoiceField(
        choices=[(Granularity.QUARTER, "quarters"), (Granularity.MONTH, "months")],
        initial=Granularity.QUARTER,
        label="",
    )
    first_start = forms.DateField(
        required=False,
        label="first one starting on",
        help_text="Only when there is no period of that kind yet (YYYY-MM-DD).",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def plan(self):
        """The periods it would add (ValidationError from kpis.periods as a form error)."""
        data = self.cleaned_data
        try:
            return periods_plan_next(
                granularity=data["granularity"],
                count=data["count"],
                first_start=data["first_start"],
            )
        except ValidationError as exc:
            self.add_error(None, exc)
            return None


def _periods():
    last_run = RecomputeRun.objects.filter(
        period=OuterRef("pk"), partner__isnull=True, status=RunStatus.SUCCEEDED
    ).order_by("-finished_at")
    return Period.objects.annotate(
        scorecard_count=Count("scorecards"),
        recomputed_at=Subquery(last_run.values("finished_at")[:1]),
    ).order_by("-end", "granularity")


def _page(request: HttpRequest, form: AddPeriodsForm, status: int = 200) -> HttpResponse:
    return render(
        request,
        "kpis/periods.html",
        {"periods": _periods(), "form": form, "nav": config_nav("periods")},
        status=status,
    )


@login_required
@require_GET
def periods(request: HttpRequest) -> HttpResponse:
    _require_admin(request.user)
    return _page(request, AddPeriodsForm())


@login_required
@require_POST
def periods_add(request: HttpRequest) -> HttpResponse:
    """First POST: the confirmation listing the codes; the second (confirm=1) creates them."""
    _require_admin(request.user)
    form = AddPeriodsForm(request.POST)
    planned = form.plan() if form.is_valid() else None
    if planned is None:
        return _page(request, form, status=400)
    if request.POST.get("confirm") != "1":
        return render(request, "kpis/periods_confirm.html", {"form": form, "planned": planned})
    try:
        created = periods_create_next(
            granularity=form.cleaned_data["granularity"],
            count=form.cleaned_data["count"],
            first_start=form.cleaned_data["first_start"],
            user=request.user,
        )
    except ValidationError as exc:  # someone added periods in between
        form.add_error(None, exc)
        return _page(request, form, status=400)
    messages.success(request, f"Added {', '.join(p.code for p in created)} (open).")
    return redirect("periods")


@login_required
@require_POST
def period_status(request: HttpRequest, code: str, action: str) -> HttpResponse:
    """Close or reopen: first POST shows what it means, the second (confirm=1) does it."""
    _require_admin(request.user)
    if action not in ("close", "reopen"):
        raise Http404("Periods are closed or reopened.")
    period = get_object_or_404(_periods(), code=code)
    wanted = PeriodStatus.CLOSED if action == "close" else PeriodStatus.OPEN
    if period.status == wanted:
        messages.info(request, f"{period.code} is already {period.get_status_display().lower()}.")
        return redirect("periods")
    if request.POST.get("confirm") != "1":
        return render(
            request, "kpis/periods_status_confirm.html", {"period": period, "action": action}
        )
    if action == "close":
        period_close(period=period)
        messages.success(
            request, f"{period.code} is closed: its inputs are frozen, its scorecards kept."
        )
    else:
        period_reopen(period=period)
        messages.warning(
            request, f"{period.code} is open again: it is being recomputed with today's inputs."
        )
    return redirect("periods")
