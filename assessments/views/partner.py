from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from assessments import charts
from assessments.selectors import (
    period_choose,
    periods_with_scorecards,
    scorecard_detail,
)
from partners.access import partner_for_user


@login_required
def scorecard(request: HttpRequest, code: str) -> HttpResponse:
    partner = partner_for_user(request.user, code)  # 404 for a partner the user may not see
    period = period_choose(code=request.GET.get("period"))
    if period is None:
        raise Http404("No periods yet.")
    detail = scorecard_detail(partner=partner, period=period)
    return render(
        request,
        "assessments/scorecard.html",
        {
            "partner": partner,
            "period": period,
            "periods": periods_with_scorecards(),
            **detail,
            "kpi_chart": charts.kpi_scores(detail["lines"]) if detail["lines"] else "",
            "history_chart": charts.score_history(detail["history"]) if detail["history"] else "",
        },
    )
