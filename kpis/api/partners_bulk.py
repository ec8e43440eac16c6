"""POST /api/v1/partners/bulk/: partners upserted on code, all rows or none, by the partner
import's rules (kpis.imports.partners), so a row is refused with the very message the file
import and `manage.py import_partners` give. (It lives in kpis, where the import is: partners is
the lowest app and imports no other.)"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from kpis.api.serializers import BulkErrorsSerializer
from kpis.api.views import _refused, bulk_rows
from kpis.imports import ImportFailed, partners_upsert
from partners.api.permissions import AdminWrites
from partnerscore.api import ApiView


class PartnerRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    partner_type = serializers.CharField(help_text="Partner type code or name.")
    region = serializers.CharField(
        required=False, allow_null=True, help_text="Region code or name."
    )
    manager = serializers.CharField(
        required=False, allow_null=True, help_text="A channel manager's username."
    )


class PartnerBulkResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    new = serializers.IntegerField()
    changed = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    preview = serializers.BooleanField(help_text="True: nothing was written.")


class PartnerBulkView(ApiView):
    """Create or update up to 10,000 partners by code: all rows valid, or nothing is written.
    Admins only."""

    permission_classes = [AdminWrites]

    @extend_schema(
        operation_id="partners_bulk_upsert",
        tags=["partners"],
        request=PartnerRowSerializer(many=True),
        parameters=[
            OpenApiParameter("preview", bool, description="true: check and count, write nothing.")
        ],
        responses={
            200: PartnerBulkResultSerializer,
            400: OpenApiResponse(BulkErrorsSerializer, "Every bad row; nothing was written."),
        },
    )
    def post(self, request: Request) -> Response:
        body = bulk_rows(request, shape="{code, name, partner_type, region, manager}")
        if isinstance(body, Response):
            return body
        rows, preview = body
        try:
            result = partners_upsert(rows, preview=preview)
        except ImportFailed as exc:
            errors = [
                {"index": e.line, "field": e.field, "message": e.message} for e in exc.row_errors
            ]
            return _refused(errors, exc.total_errors)
        body = {
            "rows": result.rows,
            "new": result.new,
            "changed": result.replaced,
            "unchanged": result.unchanged,
            "preview": preview,
        }
        return Response(body)
