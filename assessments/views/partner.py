"""One partner's pages: the scorecard, the explain page of one KPI line, and the comparison of
two to four partners. Each asks partners.access for what the user may see, then a selector."""

import re

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse

from assessments import charts
from assessments.kpi_explain import kpi_explain
from assessments.panels import panels_render
from assessments.partner_selectors import ScorecardPage, compare_page, scorecard_page
from partners.access import is_manager, partner_for_user, sees_all_partners, visible_partners

COMPARE_MIN, COMPARE_MAX = 2, 4


@login_required
def scorecard(request: HttpRequest, code: str) -> HttpResponse:
    partner = partner_for_user(request.user, code)  # 404 for a partner the user may not see
    manager = is_manager(request.user)
    page = scorecard_page(
        partner=partner,
        period_code=request.GET.get("period"),
        show_peers=manager,
        # the neighbours named are among the partners this manager sees
        peers_among=None if sees_all_partners(request.user) else visible_partners(request.user),
    )
    if page is None:
        raise Http404("No such period.")
    return render(
        request,
        "assessments/scorecard.html",
        {
            "partner": partner,
            "period": page.period,
            "periods": page.periods,
            "card": page.card,
            "page": page,
            "lines": [row.line for row in page.rows],
            "kpi_chart": charts.kpi_scores([r.line for r in page.rows]) if page.rows else "",
            "history_chart": _history_chart(page, partner) if page.history else "",
            "compare_url": _compare_url(partner, page) if manager else "",
            "panels": panels_render(partner=partner, period=page.period, user=request.user),
        },
    )


def _history_chart(page: ScorecardPage, partner) -> str:
    return charts.score_history(
        [(p.code, c.score, c.tier or c.get_status_display()) for p, c in page.history],
        medians=[page.medians.get(p.pk) for p, _ in page.history],
        tiers=page.tiers,
        peer_label=f"Median of {partner.partner_type.name} peers",
    )


def _compare_url(partner, page: ScorecardPage) -> str:
    query = QueryDict(mutable=True)
    query.setlist("partners", [partner.code] + [code for code, *_ in page.neighbours])
    query["period"] = page.period.code
    return f"{reverse('compare')}?{query.urlencode()}"


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() else 1


@login_required
def explain(request: HttpRequest, code: str, kpi_code: str) -> HttpResponse:
    partner = partner_for_user(request.user, code)
    result = kpi_explain(
        partner=partner,
        kpi_code=kpi_code,
        period_code=request.GET.get("period"),
        page=_page_number(request),
    )
    if result is None:
        raise Http404("No such KPI or period on this partner's scorecard.")
    history = [(p.code, line.value, line.score) for p, line in result.history]
    return render(
        request,
        "assessments/explain.html",
        {
            "partner": partner,
            "period": result.period,
            "periods": result.periods,
            "x": result,
            "history_chart": charts.kpi_history(history, unit=result.kpi.unit),
        },
    )


def compare_codes(request: HttpRequest) -> list[str]:
    """The partner codes asked for: repeated `partners` parameters, each may also hold a list
    separated by commas or spaces (what someone types into one box)."""
    codes = []
    for raw in request.GET.getlist("partners"):
        codes += [c for c in re.split(r"[\s,]+", raw) if c]
    return codes


def compare_problem(codes: list[str], known: set[str]) -> str:
    """What is wrong with the list of codes, in words; '' when nothing is."""
    if len(codes) < COMPARE_MIN:
        return f"Pick two to four partners to compare (got {len(codes)})."
    if len(codes) > COMPARE_MAX:
        return f"Compare at most four partners at once (got {len(codes)})."
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        return f"Each partner once, please: {', '.join(twice)} is listed twice."
    unknown = [c for c in codes if c not in known]
    if unknown:
        return f"Unknown partner code{'s' * (len(unknown) > 1)}: {', '.join(unknown)}."
    return ""


@login_required
def compare(request: HttpRequest) -> HttpResponse:
    # Comparing is for managers: a partner user sees one partner only, so any other code would
    # be unknown to them; a 404 tells them nothing about which codes exist.
    if not is_manager(request.user):
        raise Http404("No such page.")
    codes = compare_codes(request)
    partners = {
        p.code: p
        for p in visible_partners(request.user)
        .filter(code__in=codes[: COMPARE_MAX + 1])
        .select_related("partner_type")
    }
    problem = compare_problem(codes, set(partners))
    context: dict = {"codes": codes + [""] * (COMPARE_MAX - len(codes)), "problem": problem}
    if problem:
        return render(request, "assessments/compare.html", context, status=400)
    result = compare_page(
        partners=[partners[c] for c in codes], period_code=request.GET.get("period")
    )
    if result is None:
        raise Http404("No such period.")
    context.update(
        {
            "period": result.period,
            "periods": result.periods,
            "columns": list(zip([partners[c] for c in codes], result.cards, strict=True)),
            "rows": result.rows,
        }
    )
    return render(request, "assessments/compare.html", context)
