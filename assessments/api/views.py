from collections import defaultdict
from dataclasses import asdict

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from assessments.api.serializers import (
    PeriodSerializer,
    RecomputeRunSerializer,
    ScorecardSerializer,
    TierChangeSerializer,
    WhatIfQuerySerializer,
    WhatIfSerializer,
)
from assessments.filtersets import (
    PeriodFilterSet,
    RecomputeRunFilterSet,
    ScorecardFilterSet,
    TierChangeFilterSet,
)
from assessments.models import RecomputeRun, Scorecard, ScorecardLine, TierChange
from assessments.services import period_close, period_reopen
from assessments.whatif import Preview, latest_open_period, whatif_preview_cached
from kpis.models import Period, ScoringModelVersion
from partners.access import visible_partners
from partners.api.permissions import AdminWrites, NotForPartners
from partnerscore.api import (
    ApiListViewSet,
    ApiModelViewSet,
    ApiReadOnlyViewSet,
    ApiView,
    Conflict,
)

ID_REGEX = r"[0-9]+"


class PeriodViewSet(ApiModelViewSet):
    """Status changes only through the close/reopen actions (admins)."""

    queryset = Period.objects.order_by("-end")
    serializer_class = PeriodSerializer
    permission_classes = [AdminWrites]
    filterset_class = PeriodFilterSet
    ordering_fields = ["code", "start", "end"]
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9][A-Za-z0-9_.\-]*"

    def perform_destroy(self, instance: Period) -> None:
        if instance.scorecards.exists():
            raise Conflict(f"{instance} has scorecards: close it instead of deleting it.")
        super().perform_destroy(instance)

    @extend_schema(request=None, responses=PeriodSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, code: str) -> Response:
        """Freeze the period: its scorecards stay as they are."""
        return Response(PeriodSerializer(period_close(period=self.get_object())).data)

    @extend_schema(request=None, responses=PeriodSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, code: str) -> Response:
        """Open the period again: it is recomputed now and on schedule."""
        return Response(PeriodSerializer(period_reopen(period=self.get_object())).data)


def attach_lines(cards: list[Scorecard]) -> None:
    """Give each scorecard its lines (`api_lines`), read in ONE query for the whole page."""
    partners_by_period: dict[int, list[int]] = defaultdict(list)
    for card in cards:
        partners_by_period[card.period_id].append(card.partner_id)
    match = Q()
    for period_id, partner_ids in partners_by_period.items():
        match |= Q(period_id=period_id, partner_id__in=partner_ids)
    lines = defaultdict(list)
    if cards:
        for line in (
            ScorecardLine.objects.filter(match)
            .select_related("kpi")
            .order_by("-weight", "kpi__code")
        ):
            lines[line.period_id, line.partner_id].append(line)
    for card in cards:
        card.api_lines = lines[card.period_id, card.partner_id]


class ScorecardViewSet(ApiListViewSet):
    """Scorecards of the partners you may see, each with its lines. One scorecard lives at
    `scorecards/{partner}/{period}/` (codes): an address that survives recomputes, which
    replace the rows (and their ids)."""

    serializer_class = ScorecardSerializer
    permission_classes = [AdminWrites]
    filterset_class = ScorecardFilterSet  # also the portfolio page's: it orders, too
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self):
        return Scorecard.objects.filter(
            partner__in=visible_partners(self.request.user)
        ).select_related(
            "period",
            "partner__region",
            "partner__manager",
            "partner__official_tier",
            "partner_type",
            "model_version__model",
        )

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        attach_lines(page or [])
        return page

    @extend_schema(operation_id="scorecards_retrieve", filters=False)
    def by_address(self, request: Request, partner: str, period: str) -> Response:
        card = get_object_or_404(self.get_queryset(), partner__code=partner, period__code=period)
        self.check_object_permissions(request, card)
        attach_lines([card])
        return Response(self.get_serializer(card).data)


class RecomputeRunViewSet(ApiReadOnlyViewSet):
    """Recompute runs (status, counts, duration, error), newest first: a period's, and one
    partner's only if you may see that partner. Not for partners."""

    serializer_class = RecomputeRunSerializer
    permission_classes = [NotForPartners]
    filterset_class = RecomputeRunFilterSet
    ordering_fields = ["started_at", "finished_at"]
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        visible = Q(partner__isnull=True) | Q(partner__in=visible_partners(self.request.user))
        return (
            RecomputeRun.objects.filter(visible)
            .select_related("period", "partner")
            .order_by("-started_at")
        )


class TierChangeViewSet(ApiReadOnlyViewSet):
    """Tier changes (up/down against the previous period) of the partners you may see."""

    serializer_class = TierChangeSerializer
    permission_classes = [AdminWrites]
    filterset_class = TierChangeFilterSet
    ordering_fields = ["detected_at", "partner__code"]
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        return (
            TierChange.objects.filter(partner__in=visible_partners(self.request.user))
            .select_related("period", "partner")
            .order_by("-detected_at", "id")
        )


class WhatIfView(ApiView):
    """What-if (SCORING.md 16): a draft version, or the active version with edited weights,
    scored on an open period's stored inputs as publishing it would, compared with the current
    scorecards. Writes nothing. Not for partners."""

    permission_classes = [NotForPartners]

    @extend_schema(
        operation_id="whatif_preview",
        tags=["whatif"],
        parameters=[WhatIfQuerySerializer],
        responses={200: WhatIfSerializer},
    )
    def get(self, request: Request) -> Response:
        query = WhatIfQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        version = ScoringModelVersion.objects.select_related("model").filter(pk=data["version"])
        if not version:
            raise ValidationError({"version": [f"There is no version with id {data['version']}."]})
        if "period" in data:
            period = Period.objects.filter(code=data["period"]).first()
            if period is None:
                raise ValidationError({"period": [f"There is no period '{data['period']}'."]})
        else:
            period = latest_open_period()
            if period is None:
                raise ValidationError({"period": ["Every period is closed."]})
        preview = whatif_preview_cached(
            version=version[0], period=period, weight_changes=data.get("weights", {})
        )
        return Response(WhatIfSerializer(whatif_body(preview)).data)


def whatif_body(preview: Preview) -> dict:
    """The preview as the API's JSON: NaN as null, ranks as integers."""
    partners = preview.partners.astype(object).where(preview.partners.notna(), None)
    return {
        "version": preview.version_id,
        "version_label": preview.version_label,
        "period": preview.period_code,
        "weight_changes": preview.weight_changes,
        "stale": preview.stale,
        "computed_at": preview.computed_at,
        "summary": asdict(preview.summary()),
        "matrix": [
            {"from_tier": old, "to_tier": new, "count": len(rows), "partners": list(rows["code"])}
            for old, row in preview.matrix().items()
            for new, rows in row.items()
        ],
        "winners": list(preview.winners()["code"]),
        "losers": list(preview.losers()["code"]),
        "falling": list(preview.falling()["code"]),
        "partners": partners.to_dict("records"),
    }
