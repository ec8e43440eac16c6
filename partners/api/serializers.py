from django.contrib.auth import get_user_model
from django.db.models import Q
from rest_framework import serializers

from partners.access import MANAGERS_GROUP, visible_partners
from partners.models import Partner, PartnerType, Region

# -- shared by every app's API ---------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """401, 403, 404, 409: {"detail": "..."}."""

    detail = serializers.CharField()


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


def channel_managers():
    return (
        get_user_model()
        .objects.filter(Q(is_superuser=True) | Q(groups__name=MANAGERS_GROUP), is_active=True)
        .distinct()
    )


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
        queryset=channel_managers(),
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
