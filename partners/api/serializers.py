from rest_framework import serializers

from partners.access import manager_users, visible_partners
from partners.models import Partner, PartnerType, Region

# -- shared by every app's API ---------------------------------------------------------------


class VisiblePartnerField(serializers.SlugRelatedField):
    """A partner by code, among those the requesting user may see (others: 'does not exist')."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def get_queryset(self):
        return visible_partners(self.context["request"].user)


# -- partners ----------------------------------------------------------------------------------


class PartnerTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = PartnerType
        fields = ["id", "code", "name"]


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "name"]


class PartnerSerializer(serializers.ModelSerializer):
    partner_type = serializers.SlugRelatedField(
        slug_field="code", queryset=PartnerType.objects.all(), help_text="Partner type code."
    )
    region = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        allow_null=True,
        required=False,
        help_text="Region code.",
    )
    manager = serializers.SlugRelatedField(
        slug_field="username",
        queryset=manager_users(),
        allow_null=True,
        required=False,
        help_text="Username of the channel manager (a member of 'Channel managers').",
    )

    class Meta:
        model = Partner
        fields = [
            "id",
            "code",
            "name",
            "partner_type",
            "region",
            "manager",
            "is_active",
            "joined_on",
        ]
