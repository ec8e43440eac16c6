from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, StreamingHttpResponse

from assessments.exports import csv_lines
from assessments.selectors import (
    PORTFOLIO_EXPORT_HEADER,
    SCORECARD_EXPORT_HEADER,
    period_choose,
    portfolio_export_rows,
    scorecard_export_rows,
)
from partners.access import is_manager, partner_for_user, visible_partners


def _csv_response(filename: str, lines) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # a partner's numbers never sit in a shared cache
    return response


@login_required
def portfolio_export(request: HttpRequest) -> StreamingHttpResponse:
    if not is_manager(request.user):
        raise Http404("The portfolio is for channel managers.")
    period = period_choose(code=request.GET.get("period"))
    if period is None:
        raise Http404("No periods yet.")
    rows = portfolio_export_rows(period=period, partners=visible_partners(request.user))
    return _csv_response(f"portfolio-{period.code}.csv", csv_lines(PORTFOLIO_EXPORT_HEADER, rows))


@login_required
def scorecard_export(request: HttpRequest, code: str) -> StreamingHttpResponse:
    partner = partner_for_user(request.user, code)  # 404 for a partner the user may not see
    period = period_choose(code=request.GET.get("period"))
    if period is None:
        raise Http404("No periods yet.")
    rows = scorecard_export_rows(partner=partner, period=period)
    return _csv_response(
        f"scorecard-{partner.code}-{period.code}.csv", csv_lines(SCORECARD_EXPORT_HEADER, rows)
    )
