from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render

from assessments import charts
from assessments.filtersets import ScorecardFilterSet
from assessments.models import ScorecardStatus
from assessments.selectors import (
    period_choose,
    periods_with_scorecards,
    portfolio_scorecards,
    portfolio_summary,
)
from kpis.models import PeriodStatus
from partners.access import is_manager, portal_partner_id, visible_partners
from partners.models import PartnerType, Region

PAGE_SIZE = 50


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if is_manager(request.user):
        return redirect("portfolio")
    partner_id = portal_partner_id(request.user)
    if partner_id is not None:
        partner = visible_partners(request.user).get(pk=partner_id)
        return redirect("scorecard", code=partner.code)
    return render(request, "assessments/no_access.html", status=403)


FILTERS = ("q", "partner_type", "region", "manager", "tier", "status")  # ScorecardFilterSet's


@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    if not is_manager(request.user):
        raise Http404("The portfolio is for channel managers.")
    period = period_choose(code=request.GET.get("period"))
    if period is None:
        return render(request, "assessments/portfolio.html", {"period": None})
    partners = visible_partners(request.user)
    cards = ScorecardFilterSet(  # the scorecards API's filterset: the same parameters
        request.GET, queryset=portfolio_scorecards(period=period, partners=partners)
    )
    page = Paginator(cards.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    summary = portfolio_summary(period=period, partners=partners)
    kept = QueryDict(mutable=True)  # the sort and page links change those, keep the rest
    kept["period"] = period.code
    for name, values in request.GET.lists():
        if name not in ("period", "ordering", "page"):
            kept.setlist(name, values)
    return render(
        request,
        "assessments/portfolio.html",
        {
            "period": period,
            "periods": periods_with_scorecards(),
            "page": page,
            "summary": summary,
            "filters": {name: request.GET.get(name, "").strip() for name in FILTERS},
            "ordering": ",".join(cards.form.cleaned_data.get("ordering") or ["-score"]),
            "query": kept.urlencode(),
            "partner_types": PartnerType.objects.order_by("name"),
            "regions": Region.objects.order_by("name"),
            "statuses": ScorecardStatus.choices,
            "histogram": charts.score_histogram(summary["scores"], summary["tiers"]),
            "tier_chart": charts.tier_bars(summary["tiers"]),
            "period_open": period.status == PeriodStatus.OPEN,
        },
    )
