"""The partner endpoints: partner types, regions, partners by code."""

from partners.access import visible_partners
from partners.api.permissions import AdminWrites
from partners.api.serializers import PartnerSerializer, PartnerTypeSerializer, RegionSerializer
from partners.filtersets import PartnerFilterSet, PartnerTypeFilterSet, RegionFilterSet
from partners.models import PartnerType, Region
from partnerscore.api import ApiModelViewSet


class PartnerTypeViewSet(ApiModelViewSet):
    """Partner types (the peer groups). Admins write; everyone reads."""

    queryset = PartnerType.objects.order_by("code")
    serializer_class = PartnerTypeSerializer
    permission_classes = [AdminWrites]
    filterset_class = PartnerTypeFilterSet
    ordering_fields = ["code", "name"]
    lookup_field = "code"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"


class RegionViewSet(PartnerTypeViewSet):
    """Regions. Admins write; everyone reads."""

    queryset = Region.objects.order_by("code")
    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet


class PartnerViewSet(ApiModelViewSet):
    """Partners by code. Admins write; a partner user sees only its own partner (other codes
    answer 404)."""

    serializer_class = PartnerSerializer
    permission_classes = [AdminWrites]
    filterset_class = PartnerFilterSet
    ordering_fields = ["code", "name", "joined_on"]
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9][A-Za-z0-9_.\-]*"

    def get_queryset(self):
        return (
            visible_partners(self.request.user)
            .select_related("partner_type", "region", "manager")
            .order_by("code")
        )
