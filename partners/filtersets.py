"""One filterset per list (the HTML pages and the API share them)."""

import django_filters as filters
from django.db.models import Q, QuerySet

from partners.models import Partner, PartnerType, Region


class PartnerTypeFilterSet(filters.FilterSet):
    code = filters.CharFilter()

    class Meta:
        model = PartnerType
        fields = ["code"]


class RegionFilterSet(filters.FilterSet):
    code = filters.CharFilter()

    class Meta:
        model = Region
        fields = ["code"]


class PartnerFilterSet(filters.FilterSet):
    code = filters.CharFilter()
    partner_type = filters.CharFilter(field_name="partner_type__code", label="Partner type code")
    region = filters.CharFilter(field_name="region__code", label="Region code")
    manager = filters.CharFilter(field_name="manager__username", label="Manager username")
    is_active = filters.BooleanFilter()
    q = filters.CharFilter(method="search", label="Name contains, or exact code")

    class Meta:
        model = Partner
        fields = ["code", "partner_type", "region", "manager", "is_active"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(name__icontains=value) | Q(code__iexact=value))
