from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kpis.api.serializers import (
    BULK_MAX_ROWS,
    BulkErrorsSerializer,
    BulkResultSerializer,
    BulkRowSerializer,
    KPISerializer,
    MetricValueSerializer,
    ScoringModelSerializer,
    ScoringModelVersionSerializer,
    TargetOverrideSerializer,
)
from kpis.api.versions import (
    DraftCreateSerializer,
    ModelWriteSerializer,
    draft_create_view,
    version_content,
)
from kpis.filtersets import (
    KPIFilterSet,
    MetricValueFilterSet,
    ScoringModelFilterSet,
    TargetOverrideFilterSet,
)
from kpis.imports import API_FIELD_OF, ImportFailed, metric_values_upsert
from kpis.models import (
    KPI,
    MetricValue,
    ScoringModel,
    ScoringModelVersion,
    TargetOverride,
)
from kpis.recompute import request_recompute_of_dates, request_recompute_of_open_periods
from kpis.services import target_override_changed
from partners.access import visible_partners
from partners.api.permissions import AdminWrites, ManagersWrite, NotForPartners
from partnerscore.api import ApiModelViewSet, ApiView, ErrorSerializer

ID_REGEX = r"[0-9]+"


class KPIViewSet(ApiModelViewSet):
    """KPIs by code. A formula KPI's formula is checked (syntax, known codes, no cycle)."""

    queryset = KPI.objects.order_by("code")
    serializer_class = KPISerializer
    permission_classes = [AdminWrites]
    filterset_class = KPIFilterSet
    ordering_fields = ["code", "name", "category"]
    lookup_field = "code"
    lookup_value_regex = r"[a-z][a-z0-9_]*"


class ScoringModelViewSet(ApiModelViewSet):
    """Scoring models with every version, its lines and tiers. Admins create and change a
    model (code, name, partner type, default) and add a draft version (versions/); managers
    read."""

    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    queryset = (
        ScoringModel.objects.select_related("partner_type")
        .prefetch_related(
            Prefetch(
                "versions",
                ScoringModelVersion.objects.select_related("published_by").prefetch_related(
                    *version_content()
                ),
            )
        )
        .order_by("code")
    )
    serializer_class = ScoringModelSerializer
    permission_classes = [NotForPartners]
    filterset_class = ScoringModelFilterSet
    ordering_fields = ["code", "name"]
    lookup_field = "code"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return ModelWriteSerializer
        return ScoringModelSerializer

    def changed(self, obj: ScoringModel) -> None:
        """A model's partner type decides who it scores."""
        request_recompute_of_open_periods(reason=f"scoring model {obj.code} changed")

    @extend_schema(
        request=DraftCreateSerializer,
        responses={
            201: ScoringModelVersionSerializer,
            409: OpenApiResponse(ErrorSerializer, "The model already has a draft."),
        },
    )
    @action(detail=True, methods=["post"], url_path="versions")
    def draft_create(self, request: Request, code: str | None = None) -> Response:
        """Add a draft version: a copy of the active version (copy_active, the default) or an
        empty one."""
        return draft_create_view(self, request)


class TargetOverrideViewSet(ApiModelViewSet):
    """Thresholds agreed with one partner for one KPI and period; a change recomputes that
    partner's scorecard. Managers and admins write."""

    serializer_class = TargetOverrideSerializer
    permission_classes = [ManagersWrite]
    filterset_class = TargetOverrideFilterSet
    ordering_fields = ["id", "partner__code", "kpi__code", "period__end"]
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        return (
            TargetOverride.objects.filter(partner__in=visible_partners(self.request.user))
            .select_related("partner", "kpi", "period")
            .order_by("id")
        )

    def changed(self, obj: TargetOverride) -> None:
        target_override_changed(override=obj)

    def perform_destroy(self, instance: TargetOverride) -> None:
        instance.delete_check()  # a closed period's override is frozen: 400 naming it
        super().perform_destroy(instance)


class MetricValueViewSet(ApiModelViewSet):
    """Single observations; a change recomputes the partner in the open periods covering the
    day. Managers and admins write. For many rows use metric-values/bulk/."""

    serializer_class = MetricValueSerializer
    permission_classes = [ManagersWrite]
    filterset_class = MetricValueFilterSet
    ordering_fields = ["id", "observed_on", "value", "updated_at"]
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        return (
            MetricValue.objects.filter(partner__in=visible_partners(self.request.user))
            .select_related("partner", "kpi")
            .order_by("-observed_on", "id")
        )

    def changed(self, obj: MetricValue) -> None:
        day = obj.observed_on
        request_recompute_of_dates(
            first_day=day, last_day=day, reason="api", partner_id=obj.partner_id
        )

    def perform_destroy(self, instance: MetricValue) -> None:
        instance.delete_check()  # a value dated in a closed period is frozen: 400 naming it
        super().perform_destroy(instance)


class PreviewQuerySerializer(serializers.Serializer):
    preview = serializers.BooleanField(default=False)


def _refused(errors: list[dict], count: int | None = None) -> Response:
    body = {"errors": errors, "error_count": len(errors) if count is None else count}
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def _request_error(message: str, field: str = "") -> Response:
    return _refused([{"index": None, "field": field, "message": message}])


def bulk_rows(request: Request, *, shape: str) -> tuple[list[dict], bool] | Response:
    """A bulk upsert's body and its preview flag, or the 400 that refuses them: the body must
    be a JSON list of at most BULK_MAX_ROWS objects (`shape` names their fields; the service
    checks the values)."""
    query = PreviewQuerySerializer(data=request.query_params)
    if not query.is_valid():
        return _request_error("Use preview=true or preview=false.", "preview")
    try:
        rows = request.data
    except exceptions.ParseError as exc:
        return _request_error(str(exc.detail))
    if not isinstance(rows, list):
        return _request_error(f"Send a JSON list of {shape}.")
    if len(rows) > BULK_MAX_ROWS:
        return _request_error(
            f"At most {BULK_MAX_ROWS} rows per request, got {len(rows)}: split the list."
        )
    not_objects = [i for i, row in enumerate(rows) if not isinstance(row, dict)]
    if not_objects:
        message = "A row is a JSON object."
        return _refused([{"index": i, "field": "", "message": message} for i in not_objects])
    return rows, query.validated_data["preview"]


class MetricValueBulkView(ApiView):
    """Upsert up to 10,000 metric values at once: all rows valid, or nothing is written."""

    permission_classes = [ManagersWrite]

    @extend_schema(
        operation_id="metric_values_bulk_upsert",
        tags=["metric-values"],
        request=BulkRowSerializer(many=True),
        parameters=[
            OpenApiParameter("preview", bool, description="true: check and count, write nothing.")
        ],
        responses={
            200: BulkResultSerializer,
            400: OpenApiResponse(BulkErrorsSerializer, "Every bad row; nothing was written."),
        },
    )
    def post(self, request: Request) -> Response:
        body = bulk_rows(request, shape="{partner, kpi, observed_on, value}")
        if isinstance(body, Response):
            return body
        rows, preview = body
        try:
            result = metric_values_upsert(rows, preview=preview, user=request.user)
        except ImportFailed as exc:
            errors = [
                {"index": e.line, "field": API_FIELD_OF.get(e.field, e.field), "message": e.message}
                for e in exc.row_errors
            ]
            return _refused(errors, max(exc.total_errors, len(errors)))
        body = {
            "rows": result.rows,
            "written": result.written,
            "unchanged": result.unchanged,
            "preview": preview,
        }
        if preview:
            body.update(new=result.new, replaced=result.replaced)
        return Response(body)
