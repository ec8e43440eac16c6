"""The assessments API: list and read (the partners the caller sees; a partner user only its
shared and acknowledged ones), create a draft, update a draft's ratings, and the workflow's
actions. Every write calls assessments.reviews, whose refusals answer 400 with its message."""

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from assessments.models import Assessment, AssessmentRating, AssessmentStatus
from assessments.reviews import (
    assessment_acknowledge,
    assessment_actions,
    assessment_create,
    assessment_reopen,
    assessment_save,
    assessment_share,
    assessment_submit,
    partner_visible_assessments,
)
from kpis.models import Period
from partners.access import Role, is_manager, is_partner_user, portal_partner_id, visible_partners
from partners.api.permissions import RolePermission
from partnerscore.api import ApiViewSetMixin


class EveryRole(RolePermission):
    """Reads and writes for every role: what each may do is the service's rule (a partner
    user acknowledges; managers do the rest)."""

    write = frozenset({Role.ADMIN, Role.MANAGER, Role.PARTNER})


class RatingSerializer(serializers.ModelSerializer):
    kpi = serializers.CharField(source="kpi.code", read_only=True)
    kpi_name = serializers.CharField(source="kpi.name", read_only=True)
    level_text = serializers.SerializerMethodField(help_text="The rubric's text of the rating.")

    class Meta:
        model = AssessmentRating
        fields = ["kpi", "kpi_name", "rating", "comment", "level_text"]

    def get_level_text(self, rating: AssessmentRating) -> str:
        rubric = getattr(rating.kpi, "rubric", None)
        return getattr(rubric, f"level_{rating.rating}", "") if rubric and rating.rating else ""


class TransitionSerializer(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    by = serializers.CharField(source="by.username", default="")
    at = serializers.DateTimeField()
    note = serializers.CharField()


class AssessmentSerializer(serializers.ModelSerializer):
    partner = serializers.CharField(source="partner.code")
    partner_name = serializers.CharField(source="partner.name")
    period = serializers.CharField(source="period.code")
    assessor = serializers.CharField(source="assessor.username", default="")
    ratings = RatingSerializer(many=True)
    transitions = TransitionSerializer(many=True)
    actions = serializers.SerializerMethodField(
        help_text="The workflow actions the caller may take now."
    )

    class Meta:
        model = Assessment
        fields = [
            "id",
            "partner",
            "partner_name",
            "period",
            "status",
            "assessor",
            "summary",
            "partner_response",
            "ratings",
            "transitions",
            "actions",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_actions(self, assessment: Assessment) -> list[str]:
        user = self.context["request"].user
        return [t.action for t in assessment_actions(assessment=assessment, user=user)]


class AssessmentCreateSerializer(serializers.Serializer):
    partner = serializers.CharField(help_text="Partner code.")
    period = serializers.CharField(help_text="Period code (an open period).")


class RatingInputSerializer(serializers.Serializer):
    kpi = serializers.CharField(help_text="KPI code (source 'assessment').")
    rating = serializers.IntegerField(allow_null=True, help_text="1-5, or null to clear.")
    comment = serializers.CharField(required=False, allow_blank=True)


class AssessmentUpdateSerializer(serializers.Serializer):
    summary = serializers.CharField(required=False, allow_blank=True)
    ratings = RatingInputSerializer(many=True, required=False)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ResponseSerializer(serializers.Serializer):
    response = serializers.CharField(required=False, allow_blank=True, default="")


def _bad(message: str) -> serializers.ValidationError:
    return serializers.ValidationError({"non_field_errors": [message]})


@extend_schema(
    parameters=[
        OpenApiParameter("period", str, description="Period code."),
        OpenApiParameter("status", str, enum=AssessmentStatus.values),
        OpenApiParameter("partner", str, description="Partner code."),
    ]
)
class AssessmentViewSet(
    ApiViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = AssessmentSerializer
    permission_classes = [EveryRole]
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[Assessment]:
        user = self.request.user
        if is_partner_user(user):
            shown = partner_visible_assessments(portal_partner_id(user) or 0)
        else:
            shown = Assessment.objects.filter(partner__in=visible_partners(user))
        params = self.request.query_params
        for name, field in (
            ("period", "period__code"),
            ("status", "status"),
            ("partner", "partner__code"),
        ):
            if params.get(name):
                shown = shown.filter(**{field: params[name]})
        ratings = AssessmentRating.objects.select_related("kpi__rubric").order_by("kpi__name")
        return (
            shown.select_related("partner", "period", "assessor")
            .prefetch_related(Prefetch("ratings", queryset=ratings), "transitions__by")
            .order_by("-period__end", "partner__code", "pk")
        )

    def _answer(self, assessment: Assessment, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=assessment.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    def _managers_only(self) -> None:
        if not is_manager(self.request.user):
            raise PermissionDenied("Only channel managers create and edit assessments.")

    @extend_schema(request=AssessmentCreateSerializer, responses={201: AssessmentSerializer})
    def create(self, request: Request) -> Response:
        """Start a draft for (partner, period): one empty rating per qualitative KPI."""
        self._managers_only()
        body = AssessmentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        partner = visible_partners(request.user).filter(code=body.validated_data["partner"]).first()
        if partner is None:
            raise _bad(f"Unknown partner code: {body.validated_data['partner']}.")
        period = Period.objects.filter(code=body.validated_data["period"]).first()
        if period is None:
            raise _bad(f"Unknown period code: {body.validated_data['period']}.")
        made = assessment_create(partner=partner, period=period, by=request.user)
        return self._answer(made, status.HTTP_201_CREATED)

    @extend_schema(request=AssessmentUpdateSerializer, responses=AssessmentSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Save a draft's ratings (by KPI code), comments and summary."""
        self._managers_only()
        assessment = self.get_object()
        body = AssessmentUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        by_code = {r.kpi.code: r.kpi_id for r in assessment.ratings.all()}
        rows = body.validated_data.get("ratings", [])
        unknown = sorted({row["kpi"] for row in rows} - set(by_code))
        if unknown:
            raise _bad(f"This assessment does not rate {', '.join(unknown)}.")
        assessment_save(
            assessment=assessment,
            by=request.user,
            ratings={by_code[row["kpi"]]: row["rating"] for row in rows},
            comments={by_code[row["kpi"]]: row["comment"] for row in rows if "comment" in row},
            summary=body.validated_data.get("summary"),
        )
        return self._answer(assessment)

    def _transition(
        self, request: Request, service, body: type[serializers.Serializer]
    ) -> Response:
        assessment = self.get_object()  # 404 first: the body of an unseen one is not read
        given = body(data=request.data)
        given.is_valid(raise_exception=True)
        return self._answer(service(assessment=assessment, by=request.user, **given.validated_data))

    @extend_schema(request=NoteSerializer, responses=AssessmentSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        """Draft -> submitted: every rating present; the ratings now count (a recompute follows)."""
        return self._transition(request, assessment_submit, NoteSerializer)

    @extend_schema(request=NoteSerializer, responses=AssessmentSerializer)
    @action(detail=True, methods=["post"])
    def share(self, request: Request, pk: str) -> Response:
        """Submitted -> shared: the partner's users see it."""
        return self._transition(request, assessment_share, NoteSerializer)

    @extend_schema(request=ResponseSerializer, responses=AssessmentSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str) -> Response:
        """Shared -> acknowledged, by a portal user of the partner, with an optional response."""
        return self._transition(request, assessment_acknowledge, ResponseSerializer)

    @extend_schema(request=NoteSerializer, responses=AssessmentSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        """Submitted or shared -> draft: the ratings stop counting (a recompute follows)."""
        return self._transition(request, assessment_reopen, NoteSerializer)
