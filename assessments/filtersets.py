"""One filterset per list (the HTML pages and the API share them)."""

import django_filters as filters
from django.db.models import Case, F, Q, QuerySet, Value, When

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
    tier = filters.CharFilter(label="Tier name")
    status = filters.ChoiceFilter(choices=ScorecardStatus.choices)
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
