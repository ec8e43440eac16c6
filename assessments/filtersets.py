"""One filterset per list (the HTML pages and the API share them)."""

import django_filters as filters
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When

from assessments.models import RecomputeRun, RunStatus, Scorecard, ScorecardStatus, TierChange
from kpis.models import Granularity, Period, PeriodStatus


class PeriodFilterSet(filters.FilterSet):
    code = filters.CharFilter()
    status = filters.ChoiceFilter(choices=PeriodStatus.choices)
    granularity = filters.ChoiceFilter(choices=Granularity.choices)

    class Meta:
        model = Period
        fields = ["code", "status", "granularity"]


# ordering parameter -> field; the API and the portfolio page take the same names
SCORECARD_ORDERING = {
    "score": "score",
    "rank": "rank",
    "percentile": "percentile",
    "trend": "trend",
    "coverage": "coverage",
    "tier": "tier_min_score",
    "partner__code": "partner__code",
    "partner__name": "partner__name",
    "partner_type__name": "partner_type__name",
}
SCORECARD_DEFAULT_ORDERING = ["-score"]
NO_TIER = "-"  # the tier filters' value for "no tier" (insufficient data, no data, not scored)
MOVED_CHOICES = [("up", "Moved up a tier"), ("down", "Dropped a tier"), ("any", "Changed tier")]
# At risk (issue 9; the recompute stores the signals on the scorecard): an ok scorecard with a
# projected tier drop (SCORING.md 10), or a red KPI carrying a large share of the weight while
# it holds a tier above the lowest (it has a tier to lose), or lines with data-quality flags
# (SCORING.md 11).
AT_RISK = Q(status=ScorecardStatus.OK) & (
    Q(falls_to__gt="")  # holding a tier on demotion grace (SCORING.md 14)
    | Q(projected_drop=True)
    | Q(red_key_lines__gt=0, tier_min_score__gt=0)
    | Q(flagged_lines__gt=0)
)

# Scorecards with insufficient or no data have no rank and no tier: by score, they come after
# the scored ones (an insufficient card may show a high score, but it is not comparable).
SCORED_FIRST = Case(When(status=ScorecardStatus.OK, then=Value(0)), default=Value(1))


class ScorecardOrderingFilter(filters.OrderingFilter):
    """Missing values (no score, rank, percentile or trend) come last in either direction;
    partner name, then id, break ties, so pages do not overlap."""

    def filter(self, qs: QuerySet, value: list[str] | None) -> QuerySet:
        terms = []
        for param in value or SCORECARD_DEFAULT_ORDERING:
            field = self.get_ordering_value(param)
            name = field.lstrip("-")
            if name == "score":
                terms.append(SCORED_FIRST.asc())
            expression = F(name)
            terms.append(
                expression.desc(nulls_last=True)
                if field.startswith("-")
                else expression.asc(nulls_last=True)
            )
        return qs.order_by(*terms, "partner__name", "id")


class ScorecardFilterSet(filters.FilterSet):
    """The portfolio: the scorecards API and the portfolio page (same parameters)."""

    period = filters.CharFilter(field_name="period__code", label="Period code")
    partner = filters.CharFilter(field_name="partner__code", label="Partner code")
    partner_type = filters.CharFilter(
        field_name="partner_type__code", label="Partner type code (the peer group)"
    )
    region = filters.CharFilter(field_name="partner__region__code", label="Region code")
    manager = filters.CharFilter(
        field_name="partner__manager__username", label="Channel manager's username"
    )
    tier = filters.CharFilter(method="filter_tier", label=f"Tier name ('{NO_TIER}': no tier)")
    status = filters.ChoiceFilter(choices=ScorecardStatus.choices)
    moved = filters.ChoiceFilter(
        choices=MOVED_CHOICES,
        method="filter_moved",
        label="Tier change vs the previous period: up, down, or any",
    )
    at_risk = filters.BooleanFilter(
        method="filter_at_risk",
        label="At risk: a projected tier drop (SCORING.md 10), a red KPI carrying a large share "
        "of the weight, or data-quality flags (SCORING.md 11)",
    )
    score_min = filters.NumberFilter(field_name="score", lookup_expr="gte", label="Score >=")
    score_max = filters.NumberFilter(field_name="score", lookup_expr="lt", label="Score <")
    trend_min = filters.NumberFilter(field_name="trend", lookup_expr="gte", label="Trend >=")
    trend_max = filters.NumberFilter(field_name="trend", lookup_expr="lt", label="Trend <")
    from_period = filters.CharFilter(
        method="filter_from", label="With from_tier: the period the partner moved from"
    )
    from_tier = filters.CharFilter(
        method="filter_from",
        label=f"The tier held in from_period ('{NO_TIER}': no tier or no scorecard)",
    )
    q = filters.CharFilter(method="search", label="Partner name contains, or exact code")
    ordering = ScorecardOrderingFilter(
        fields={field: param for param, field in SCORECARD_ORDERING.items()},
        field_labels={
            "tier_min_score": "Tier (by its threshold)",
            "partner__code": "Partner code",
            "partner__name": "Partner name",
            "partner_type__name": "Partner type name",
        },
        label="Sort by (comma-separated; '-' for descending). Default: -score; missing values "
        "last; by score, scorecards with insufficient or no data after the scored ones.",
    )

    class Meta:
        model = Scorecard
        fields = ["period", "partner", "partner_type", "region", "manager", "tier", "status"]

    def filter_tier(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(tier="" if value == NO_TIER else value)

    def filter_moved(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "any":
            return queryset.exclude(tier_change="")
        return queryset.filter(tier_change=value)

    def filter_at_risk(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        return queryset.filter(AT_RISK if value else ~AT_RISK)

    def filter_from(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """from_period and from_tier together: the partners of a tier-migration cell."""
        period, tier = self.data.get("from_period"), self.data.get("from_tier")
        if name == "from_tier" or not period or not tier:
            return queryset  # applied once, when both are given
        held = Scorecard.objects.filter(period__code=period, partner=OuterRef("partner_id"))
        if tier == NO_TIER:
            return queryset.exclude(Exists(held.exclude(tier="")))
        return queryset.filter(Exists(held.filter(tier=tier)))

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(partner__name__icontains=value) | Q(partner__code__iexact=value))

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        if "ordering" not in self.form.cleaned_data:  # not valid: a page falls back to default
            queryset = self.filters["ordering"].filter(queryset, None)
        return queryset


class RecomputeRunFilterSet(filters.FilterSet):
    period = filters.CharFilter(field_name="period__code", label="Period code")
    status = filters.ChoiceFilter(choices=RunStatus.choices)
    trigger = filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = RecomputeRun
        fields = ["period", "status", "trigger"]


class TierChangeFilterSet(filters.FilterSet):
    period = filters.CharFilter(field_name="period__code", label="Period code")
    partner = filters.CharFilter(field_name="partner__code", label="Partner code")
    direction = filters.ChoiceFilter(choices=TierChange.Direction.choices)

    class Meta:
        model = TierChange
        fields = ["period", "partner", "direction"]
