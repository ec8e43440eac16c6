"""Exports of the portfolio table (the page's filters and ordering) and of one scorecard, as
CSV or .xlsx. Managers only for the portfolio; a partner user exports its own scorecard."""

from collections.abc import Iterable

from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotFound,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase

from assessments.exports import XLSX_CONTENT_TYPE, csv_lines, safe_filename, xlsx_file
from assessments.filtersets import ScorecardFilterSet
from assessments.selectors import (
    PORTFOLIO_EXPORT_HEADER,
    SCORECARD_EXPORT_HEADER,
    period_choose,
    portfolio_export_rows,
    portfolio_scorecards,
    scorecard_export_rows,
)
from kpis.models import Period
from partners.access import is_manager, partner_for_user, visible_partners
from partners.events import record_export


class BadExport(Exception):
    """A parameter the export cannot honour; the message names it (a 400 or 404)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _problem(error: BadExport) -> HttpResponse:
    response_class = HttpResponseNotFound if error.status == 404 else HttpResponseBadRequest
    return response_class(f"{error}\n", content_type="text/plain; charset=utf-8")


def _period(request: HttpRequest) -> Period:
    code = request.GET.get("period", "").strip()
    period = period_choose(code=code or None)
    if period is None:
        raise BadExport(f"No period with code '{code}'." if code else "No periods yet.", 404)
    return period


def _attachment(response: HttpResponseBase, filename: str) -> HttpResponseBase:
    response["Content-Disposition"] = f'attachment; filename="{safe_filename(filename)}"'
    response["Cache-Control"] = "no-store"  # a partner's numbers never sit in a shared cache
    return response


def _export(fmt: str, name: str, header: list[str], rows: Iterable, title: str) -> HttpResponseBase:
    if fmt == "xlsx":
        response: HttpResponseBase = FileResponse(
            xlsx_file(header, rows, title=title), content_type=XLSX_CONTENT_TYPE
        )
    else:
        response = StreamingHttpResponse(
            csv_lines(header, rows), content_type="text/csv; charset=utf-8"
        )
    return _attachment(response, f"{name}.{fmt}")


def _portfolio(request: HttpRequest, fmt: str) -> HttpResponseBase:
    if not is_manager(request.user):
        raise Http404("The portfolio is for channel managers.")
    try:
        period = _period(request)
        cards = ScorecardFilterSet(  # the portfolio page's filterset: same filters, same order
            request.GET,
            queryset=portfolio_scorecards(period=period, partners=visible_partners(request.user)),
        )
        if not cards.is_valid():
            raise BadExport(_filter_errors(cards.errors))
    except BadExport as error:
        return _problem(error)
    rows = portfolio_export_rows(scorecards=cards.qs)
    record_export(request.user, f"portfolio {period.code} {fmt} {request.GET.urlencode()}".strip())
    return _export(fmt, f"portfolio-{period.code}", PORTFOLIO_EXPORT_HEADER, rows, "Portfolio")


def _filter_errors(errors) -> str:
    named = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())
    return f"Invalid filter: {named}"


def _scorecard(request: HttpRequest, code: str, fmt: str) -> HttpResponseBase:
    partner = partner_for_user(request.user, code)  # 404 for a partner the user may not see
    try:
        period = _period(request)
    except BadExport as error:
        return _problem(error)
    rows = scorecard_export_rows(partner=partner, period=period)
    name = f"scorecard-{partner.code}-{period.code}"
    record_export(request.user, f"scorecard {partner.code} {period.code} {fmt}")
    return _export(fmt, name, SCORECARD_EXPORT_HEADER, rows, "Scorecard")


@login_required
def portfolio_export(request: HttpRequest) -> HttpResponseBase:
    return _portfolio(request, "csv")


@login_required
def portfolio_export_xlsx(request: HttpRequest) -> HttpResponseBase:
    return _portfolio(request, "xlsx")


@login_required
def scorecard_export(request: HttpRequest, code: str) -> HttpResponseBase:
    return _scorecard(request, code, "csv")


@login_required
def scorecard_export_xlsx(request: HttpRequest, code: str) -> HttpResponseBase:
    return _scorecard(request, code, "xlsx")
