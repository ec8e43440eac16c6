"""Writing scoring models and their versions through the API: a model's fields; a new draft
(copied from the active version, or empty); the draft's settings, lines and tiers (kpis.drafts,
the same code the configuration import uses, so the messages are the same); publishing it
(kpis.services.version_publish, as the admin does). Admins write, managers read."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kpis.api.serializers import ScoringModelVersionSerializer
from kpis.drafts import VERSION_SETTINGS, DraftExists, VersionPublished, draft_create, draft_write
from kpis.models import ModelLine, ScoringModel, ScoringModelVersion, Tier, TierRequirement
from kpis.services import version_publish
from partners.api.permissions import NotForPartners
from partners.models import PartnerType
from partnerscore.api import ApiReadOnlyViewSet, Conflict, ErrorSerializer

CONFLICT = OpenApiResponse(ErrorSerializer, "The version is published (immutable).")


class DraftCreateSerializer(serializers.Serializer):
    copy_active = serializers.BooleanField(
        default=True, help_text="true: a copy of the active version; false: an empty draft."
    )


class LineWriteSerializer(serializers.Serializer):
    kpi = serializers.CharField(help_text="KPI code.")
    weight = serializers.FloatField(help_text="> 0")
    floor = serializers.FloatField()
    target = serializers.FloatField(help_text="Above the floor (below it for 'lower' KPIs).")
    stretch = serializers.FloatField(required=False, allow_null=True, help_text="Empty: no bonus.")


class RequirementWriteSerializer(serializers.Serializer):
    kpi = serializers.CharField(help_text="KPI code of a line of this version.")
    min_kpi_score = serializers.FloatField(help_text="0-120")


class TierWriteSerializer(serializers.Serializer):
    name = serializers.CharField()
    min_score = serializers.FloatField(help_text=">= 0; one tier of the set has 0.")
    requirements = RequirementWriteSerializer(
        many=True, required=False, help_text="None on the tier with min score 0."
    )


class DraftWriteSerializer(serializers.ModelSerializer):
    """The body of a draft's change (documentation: kpis.drafts validates it). A list given
    replaces the whole set; a field left out is kept."""

    lines = LineWriteSerializer(many=True, required=False)
    tiers = TierWriteSerializer(many=True, required=False)

    class Meta:
        model = ScoringModelVersion
        fields = [*VERSION_SETTINGS, "lines", "tiers"]
        extra_kwargs = {name: {"required": False} for name in VERSION_SETTINGS}


class PublishSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=150, help_text="Why (kept with the recompute it starts)."
    )


def version_content() -> tuple[Prefetch, Prefetch]:
    """What ScoringModelVersionSerializer reads of a version, in three queries for any number
    of versions: its lines, its tiers and their requirements."""
    requirements = TierRequirement.objects.select_related("kpi")
    return (
        Prefetch("lines", ModelLine.objects.select_related("kpi")),
        Prefetch("tiers", Tier.objects.prefetch_related(Prefetch("requirements", requirements))),
    )


def _versions():
    return (
        ScoringModelVersion.objects.select_related("model", "published_by")
        .prefetch_related(*version_content())
        .order_by("model__code", "number")
    )


class ScoringModelVersionViewSet(ApiReadOnlyViewSet):
    """Scoring model versions by id. A draft's settings, lines and tiers can be changed (PUT or
    PATCH) and it can be published; a published (active or retired) version answers 409."""

    queryset = _versions()
    serializer_class = ScoringModelVersionSerializer
    permission_classes = [NotForPartners]
    ordering_fields = ["id", "number"]
    lookup_value_regex = r"[0-9]+"

    def _write(self, request: Request) -> Response:
        version = self.get_object()
        try:
            draft_write(version=version, data=_body(request))
        except VersionPublished as exc:
            raise Conflict(str(exc)) from None
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.message_dict) from None
        return Response(self.get_serializer(self.get_queryset().get(pk=version.pk)).data)

    @extend_schema(
        request=DraftWriteSerializer,
        responses={200: ScoringModelVersionSerializer, 409: CONFLICT},
        description="Replace a draft's settings, lines and tiers (fields left out are kept). "
        '400 names each problem by its path, e.g. {"lines[3].weight": [...]}.',
    )
    def update(self, request: Request, *args, **kwargs) -> Response:
        return self._write(request)

    @extend_schema(
        request=DraftWriteSerializer,
        responses={200: ScoringModelVersionSerializer, 409: CONFLICT},
    )
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        return self._write(request)

    @extend_schema(
        request=PublishSerializer,
        responses={200: ScoringModelVersionSerializer, 409: CONFLICT},
        description="Make the draft the model's active version (the active one retires) and "
        "recompute the open periods. 400 lists what keeps it from being published.",
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk=None) -> Response:
        version = self.get_object()
        body = PublishSerializer(data=_body(request))
        body.is_valid(raise_exception=True)
        if version.status != "draft":
            raise Conflict(str(VersionPublished(version)))
        version_publish(version=version, user=request.user, reason=body.validated_data["reason"])
        return Response(self.get_serializer(self.get_queryset().get(pk=version.pk)).data)


def _body(request: Request) -> dict:
    data = request.data
    if not isinstance(data, dict):
        raise exceptions.ValidationError(
            {"non_field_errors": ["Send a JSON object."]}, code="invalid"
        )
    return data


class ModelWriteSerializer(serializers.ModelSerializer):
    partner_type = serializers.SlugRelatedField(
        slug_field="code",
        queryset=PartnerType.objects.all(),
        allow_null=True,
        required=False,
        help_text="Partner type code; empty for the default model.",
    )

    class Meta:
        model = ScoringModel
        fields = ["id", "code", "name", "partner_type", "is_default"]


def draft_create_view(viewset, request: Request) -> Response:
    """POST scoring-models/<code>/versions/: the new draft (201), or 409 if one exists."""
    model = viewset.get_object()
    body = DraftCreateSerializer(data=_body(request))
    body.is_valid(raise_exception=True)
    try:
        draft = draft_create(model=model, copy_active=body.validated_data["copy_active"])
    except DraftExists as exc:
        raise Conflict(str(exc)) from None
    data = ScoringModelVersionSerializer(_versions().get(pk=draft.pk)).data
    return Response(data, status=status.HTTP_201_CREATED)
