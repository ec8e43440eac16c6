"""The portfolio (channel managers): one period's figures, charts and partner table, each
figure and chart mark a link to the partners behind it; and the tier migration page."""

from collections.abc import Iterable

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse

from assessments import dashboards, portfolio_charts
from assessments.filtersets import MOVED_CHOICES, NO_TIER, ScorecardFilterSet
from assessments.models import ScorecardLine, ScorecardStatus
from assessments.selectors import filter_choices, period_choice, portfolio_scorecards
from kpis.models import PeriodStatus
from partners.access import is_manager, portal_partner_id, visible_partners

PAGE_SIZE = 50
# filters set by clicking a chart, with no field in the form: kept as hidden fields
CHART_FILTERS = ("score_min", "score_max", "trend_min", "trend_max", "from_period", "from_tier")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if is_manager(request.user):
        return redirect("portfolio")
    if portal_partner_id(request.user) is not None:
        return redirect("portal")
    return render(request, "assessments/no_access.html", status=403)


class Links:
    """Portfolio URLs that keep the current period and filters and change some of them."""

    def __init__(self, period_code: str, filters: dict[str, str], ordering: str) -> None:
        self.period_code = period_code
        self.filters = filters
        self.ordering = ordering

    def __call__(self, *, drop: Iterable[str] = (), **changes: object) -> str:
        query = QueryDict(mutable=True)
        query["period"] = self.period_code
        for name, kept in self.filters.items():
            if name not in changes and name not in drop:
                query[name] = kept
        for name, value in changes.items():
            if value is not None:
                query[name] = f"{value:g}" if isinstance(value, float) else str(value)
        if self.ordering:
            query["ordering"] = self.ordering
        return f"{reverse('portfolio')}?{query.urlencode()}#partners"


@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    if not is_manager(request.user):
        raise Http404("The portfolio is for channel managers.")
    choice = period_choice(code=request.GET.get("period"))
    period = choice.period
    if period is None:
        if request.GET.get("period"):
            raise Http404(f"There is no period '{request.GET['period']}'.")
        return render(request, "assessments/portfolio.html", {"period": None})
    view = dashboards.portfolio_view(
        choice=choice, partners=visible_partners(request.user), params=request.GET
    )
    cards, filters, dashboard = view.cards, view.filters, view.dashboard
    ordering = ",".join(cards.form.cleaned_data.get("ordering") or []) if cards.is_valid() else ""
    link = Links(period.code, filters, ordering)
    page = Paginator(cards.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page)
    return render(
        request,
        "assessments/portfolio.html",
        {
            "period": period,
            "previous": choice.previous,
            "periods": choice.with_scorecards,
            "period_open": period.status == PeriodStatus.OPEN,
            "page": page,
            "rows": rows,
            "errors": cards.errors,
            "dashboard": dashboard,
            "headline": _headline(dashboard, view.before, link),
            "tier_figures": _tier_figures(dashboard, view.before, link),
            "filters": filters,
            "hidden_filters": [(n, v) for n, v in filters.items() if n in CHART_FILTERS],
            "chips": [(n, v, link(drop=(n,))) for n, v in filters.items()],
            "ordering": ordering or "-score",
            "query": _query(period.code, filters),
            "choices": filter_choices(),
            "statuses": ScorecardStatus.choices,
            "moved_choices": MOVED_CHOICES,
            "no_tier": NO_TIER,
            "link": link,
            "charts": {
                **_charts(dashboard, choice, link, rows, period.code),
                "region_kpis": portfolio_charts.region_kpis(
                    view.region_kpis, lambda code: link(region=code)
                )
                if view.region_kpis
                else "",
            },
        },
    )


def _query(period_code: str, filters: dict[str, str]) -> str:
    """The page's query without ordering and page, for the sort and pager links."""
    query = QueryDict(mutable=True)
    query["period"] = period_code
    query.update(filters)
    return query.urlencode()


def _delta(now: float | int | None, before: float | int | None) -> float | None:
    if now is None or before is None:
        return None
    return now - before


def _headline(dashboard, before, link: Links) -> list[dict]:
    """The headline figures with their change vs the previous period and their links."""
    now, then = dashboard.headline, before.headline if before else None

    def figure(label, value, previous, href, *, fmt="int", good_when_up=True):
        return {
            "label": label,
            "value": value,
            "delta": _delta(value, previous) if then is not None else None,
            "href": href,
            "fmt": fmt,
            "good_when_up": good_when_up,
        }

    return [
        figure("partners", now.total, then and then.total, link(drop=("status",))),
        figure(
            "mean score (ok)",
            now.mean_score,
            then and then.mean_score,
            link(status="ok"),
            fmt="score",
        ),
        figure(
            "insufficient data",
            now.insufficient,
            then and then.insufficient,
            link(status=ScorecardStatus.INSUFFICIENT),
            good_when_up=False,
        ),
        figure(
            "no data",
            now.no_data,
            then and then.no_data,
            link(status=ScorecardStatus.NO_DATA),
            good_when_up=False,
        ),
        figure("tier ups", now.ups, then and then.ups, link(moved="up")),
        figure(
            "tier drops", now.downs, then and then.downs, link(moved="down"), good_when_up=False
        ),
        figure(
            "at risk", now.at_risk, then and then.at_risk, link(at_risk="true"), good_when_up=False
        ),
    ]


def _tier_figures(dashboard, before, link: Links) -> list[dict]:
    """Partners per tier (per partner type where a tier's threshold differs between types)."""
    previous = {}
    if before is not None:
        previous = {(t["tier"], t["partner_type"]): t["n"] for t in before.tiers}
    figures = []
    for tier in dashboard.tiers:
        changes = {"tier": tier["tier"]}
        if tier["partner_type"]:
            changes["partner_type"] = tier["partner_type"]
        earlier = previous.get((tier["tier"], tier["partner_type"]))
        figures.append(
            {
                **tier,
                "delta": _delta(tier["n"], earlier) if before is not None else None,
                "href": link(**changes),
            }
        )
    return figures


def _charts(dashboard, choice, link: Links, rows: list, period_code: str) -> dict[str, str]:
    charts = {
        "distribution": portfolio_charts.distribution(
            dashboard.histogram, dashboard.tier_order, link
        ),
        "quadrant": portfolio_charts.quadrant(dashboard.quadrant, link),
        "regions": portfolio_charts.breakdown(
            dashboard.regions,
            dashboard.tier_order,
            lambda key: link(region=key),
            title="Partners per tier by region (mean score)",
        ),
        "managers": portfolio_charts.breakdown(
            dashboard.managers,
            dashboard.tier_order,
            lambda key: link(manager=key),
            title="Partners per tier by channel manager (mean score)",
        ),
        "heatmap": _heatmap(rows, link, period_code),
    }
    if choice.previous is not None and dashboard.migration:
        previous_code = choice.previous.code
        charts["migration"] = portfolio_charts.migration_matrix(
            dashboard.migration,
            dashboard.tier_order,
            lambda a, b: link(from_period=previous_code, from_tier=a, tier=b),
            title=f"Tier migration: {previous_code} (rows) → {period_code} (columns)",
        )
    return charts


def _heatmap(rows: list, link: Links, period_code: str) -> str:
    """Partners of the table's page x KPIs, coloured by line status: one query for the page."""
    if not rows:
        return ""
    partners = [
        {"partner_id": c.partner_id, "code": c.partner.code, "name": c.partner.name} for c in rows
    ]
    lines = ScorecardLine.objects.filter(
        period_id=rows[0].period_id, partner_id__in=[p["partner_id"] for p in partners]
    ).values_list("partner_id", "kpi_id", "kpi__code", "status", "score", "weight")
    statuses: dict[tuple[int, int], tuple[str, float | None]] = {}
    weights: dict[int, float] = {}
    codes: dict[int, str] = {}
    for partner_id, kpi_id, code, status, score, weight in lines:
        statuses[(partner_id, kpi_id)] = (status, score)
        weights[kpi_id] = weights.get(kpi_id, 0.0) + weight
        codes[kpi_id] = code
    kpis = [
        {"id": kpi_id, "code": codes[kpi_id]}
        for kpi_id in sorted(weights, key=lambda k: (-weights[k], codes[k]))
    ]

    # {row} and {x} are filled in by static/js/charts.js: the partner code and the KPI code
    template = (
        reverse("explain", args=["ROW", "KPI"]).replace("ROW", "{row}").replace("KPI", "{x}")
        + f"?period={period_code}"
    )
    return portfolio_charts.kpi_heatmap(partners, kpis, statuses, template)


@login_required
def migration(request: HttpRequest) -> HttpResponse:
    """Tier migration between any two periods, as a matrix whose cells open the partners."""
    if not is_manager(request.user):
        raise Http404("The portfolio is for channel managers.")
    choice = period_choice(code=request.GET.get("period"))
    if choice.period is None:
        raise Http404("No such period." if request.GET.get("period") else "No periods yet.")
    period = choice.period
    from_code = request.GET.get("from") or (choice.previous.code if choice.previous else "")
    source = next((p for p in choice.with_scorecards if p.code == from_code), None)
    if from_code and source is None:
        raise Http404(f"There are no scorecards for the period '{from_code}'.")
    partners = visible_partners(request.user)
    data = request.GET.copy()
    for name in ("from", "from_period", "from_tier", "tier", "moved"):
        data.pop(name, None)
    cards = ScorecardFilterSet(
        data, queryset=portfolio_scorecards(period=period, partners=partners)
    )
    filters = dashboards.filters_in_use(data)
    matrix: dict[str, dict[str, int]] = {}
    order: list[str] = []
    if source is not None:
        matrix, order = dashboards.tier_migration(
            source=source,
            target=period,
            cards=cards.qs,
            generation=dashboards.recompute_generation([source, period]),
            scope=(str(partners.query), sorted(filters.items())),
        )
    link = Links(period.code, filters, "")

    def cell(a: str, b: str) -> str:
        assert source is not None  # there are cells only when there is a source period
        return link(from_period=source.code, from_tier=a, tier=b)

    rows = [
        {
            "tier": a,
            "cells": [(b, matrix.get(a, {}).get(b, 0), cell(a, b)) for b in order],
            "total": sum(matrix.get(a, {}).values()),
        }
        for a in order
    ]
    chart = ""
    if matrix and source is not None:
        chart = portfolio_charts.migration_matrix(
            matrix,
            order,
            cell,
            title=f"Tier migration: {source.code} (rows) → {period.code} (columns)",
        )
    return render(
        request,
        "assessments/migration.html",
        {
            "period": period,
            "source": source,
            "periods": choice.with_scorecards,
            "order": order,
            "rows": rows,
            "chart": chart,
            "no_tier": NO_TIER,
            "filters": filters,
        },
    )
