"""The partner portal: a partner user's own home page and the method page. A manager may open
a partner's portal with ?partner=CODE to see what the partner sees (read-only, peers never
named either way)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from assessments import charts
from assessments.partner_selectors import ScorecardPage
from assessments.portal_selectors import method_page, portal_home
from kpis import guidance
from partners.access import is_manager, partner_for_user, portal_partner_id, visible_partners

STRIP_WIDTH, STRIP_PAD = 170, 8


def portal_partner(request: HttpRequest):
    """The partner whose portal this is: a partner user's own; for a manager, the one named by
    ?partner= (a preview). Anything else is a 404 (partners.access decides)."""
    code = request.GET.get("partner", "").strip()
    if code:
        return partner_for_user(request.user, code)
    partner_id = portal_partner_id(request.user)
    if partner_id is None:
        raise Http404("Name a partner: /portal/?partner=CODE." if is_manager(request.user) else "")
    return visible_partners(request.user).select_related("partner_type").get(pk=partner_id)


def portal_context(request: HttpRequest, partner) -> dict:
    """What every portal page shows: the partner, the programme, and whether a manager is
    previewing it (read-only)."""
    return {
        "partner": partner,
        "programme_name": settings.PROGRAMME_NAME,
        "preview": portal_partner_id(request.user) != partner.pk,
    }


@login_required
def home(request: HttpRequest) -> HttpResponse:
    partner = portal_partner(request)
    result = portal_home(partner=partner, period_code=request.GET.get("period"))
    if result is None:
        raise Http404("No such period.")
    page = result.page
    context = portal_context(request, partner) | {
        "home": result,
        "page": page,
        "card": page.card,
        "period": page.period,
        "periods": page.periods,
        "kpi_rows": [
            (r, strip(r.benchmark, r.row.line.value, r.row.line.kpi.direction)) for r in result.kpis
        ],
        "history_chart": _history_chart(page, partner) if page.history else "",
    }
    return render(request, "portal/home.html", context)


@login_required
def method(request: HttpRequest) -> HttpResponse:
    partner = portal_partner(request)
    context = portal_context(request, partner) | {"method": method_page(partner=partner)}
    return render(request, "portal/method.html", context)


def _history_chart(page: ScorecardPage, partner) -> str:
    return charts.score_history(
        [(p.code, c.score, c.tier or c.get_status_display()) for p, c in page.history],
        medians=[page.medians.get(p.pk) for p, _ in page.history],
        tiers=page.tiers,
        peer_label=f"Median of {partner.partner_type.name} peers",
    )


def strip(benchmark: guidance.Benchmark | None, own: float | None, direction: str) -> dict | None:
    """Where to draw the benchmark strip's box (Q1 to Q3), median and own mark, in px. Only
    the quartiles and the partner's own value are drawn: never a peer's value. Mirrored for a
    lower-is-better KPI, so better is always to the right (like the bullet chart)."""
    if benchmark is None:
        return None
    sign = -1.0 if direction == "lower" else 1.0
    points = [sign * benchmark.q1, sign * benchmark.median, sign * benchmark.q3]
    if own is not None:
        points.append(sign * own)
    low, high = min(points), max(points)
    spread = (high - low) or abs(high) or 1.0
    low, high = low - 0.1 * spread, high + 0.1 * spread

    def x(v: float) -> float:
        return round(STRIP_PAD + (sign * v - low) / (high - low) * (STRIP_WIDTH - 2 * STRIP_PAD), 1)

    left, right = sorted((x(benchmark.q1), x(benchmark.q3)))
    return {
        "box_x": left,
        "box_w": max(right - left, 1.0),
        "median": x(benchmark.median),
        "own": x(own) if own is not None else None,
        "width": STRIP_WIDTH,
    }
