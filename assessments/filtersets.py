"""One filterset per list (the HTML pages and the API share them)."""

import django_filters as filters

from assessments.models import RecomputeRun, RunStatus, Scorecard, ScorecardStatus, TierChange
from kpis.models import Granularity, Period, PeriodStatus


class PeriodFilterSet(filters.FilterSet):
    code = filters.CharFilter()
    status = filters.ChoiceFilter(choices=PeriodStatus.choices)
    granularity = filters.ChoiceFilter(choices=Granularity.choices)

    class Meta:
        model = Period
        fields = ["code", "status", "granularity"]


class ScorecardFilterSet(filters.FilterSet):
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

    class Meta:
        model = Scorecard
        fields = ["period", "partner", "partner_type", "region", "manager", "tier", "status"]


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
