"""One filterset per list (the HTML pages and the API share them)."""

import django_filters as filters
from django.db.models import QuerySet

from kpis.models import KPI, Direction, MetricValue, Period, ScoringModel, Source, TargetOverride


class KPIFilterSet(filters.FilterSet):
    code = filters.CharFilter()
    category = filters.CharFilter()
    source = filters.ChoiceFilter(choices=Source.choices)
    direction = filters.ChoiceFilter(choices=Direction.choices)

    class Meta:
        model = KPI
        fields = ["code", "category", "source", "direction"]


class ScoringModelFilterSet(filters.FilterSet):
    code = filters.CharFilter()
    partner_type = filters.CharFilter(field_name="partner_type__code", label="Partner type code")
    is_default = filters.BooleanFilter()

    class Meta:
        model = ScoringModel
        fields = ["code", "partner_type", "is_default"]


class TargetOverrideFilterSet(filters.FilterSet):
    partner = filters.CharFilter(field_name="partner__code", label="Partner code")
    kpi = filters.CharFilter(field_name="kpi__code", label="KPI code")
    period = filters.CharFilter(field_name="period__code", label="Period code")

    class Meta:
        model = TargetOverride
        fields = ["partner", "kpi", "period"]


class MetricValueFilterSet(filters.FilterSet):
    partner = filters.CharFilter(field_name="partner__code", label="Partner code")
    kpi = filters.CharFilter(field_name="kpi__code", label="KPI code")
    observed_on = filters.DateFilter()
    observed_after = filters.DateFilter(field_name="observed_on", lookup_expr="gte")
    observed_before = filters.DateFilter(field_name="observed_on", lookup_expr="lte")
    period = filters.CharFilter(method="in_period", label="Period code: observed in its dates")

    class Meta:
        model = MetricValue
        fields = ["partner", "kpi", "observed_on"]

    def in_period(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        period = Period.objects.filter(code=value).first()
        if period is None:
            return queryset.none()
        return queryset.filter(observed_on__range=(period.start, period.end))
