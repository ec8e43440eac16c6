"""API: the signed-in user's own alerts (list, filter unread/kind, mark read, mark all read)
and their notification settings. Every query filters on the user (feedback.alert_inbox):
another user's alert is a 404."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from feedback.alert_inbox import (
    alert_mark_read,
    alerts_mark_all_read,
    alerts_of_user,
    notification_settings_get,
    notification_settings_set,
)
from feedback.models import Alert, AlertKind, NotificationSettings
from partnerscore.api import ApiPagination, ApiView


class AlertSerializer(serializers.ModelSerializer):
    partner = serializers.SlugRelatedField(slug_field="code", read_only=True)
    period = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "url",
            "partner",
            "period",
            "created_at",
            "read_at",
        ]
        read_only_fields = fields


class AlertFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AlertKind.choices, required=False)
    unread = serializers.BooleanField(required=False, default=False)


class MarkAllReadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AlertKind.choices, required=False)


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many alerts were unread and now are read.")


class NotificationSettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = NotificationSettings
        fields = ["email_alerts"]
        extra_kwargs = {"email_alerts": {"required": True}}


class AlertListView(ApiView, generics.ListAPIView):
    """The user's alerts, unread first, then newest first."""

    serializer_class = AlertSerializer
    pagination_class = ApiPagination
    filter_backends: list = []

    def get_queryset(self):
        query = AlertFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return alerts_of_user(
            user=self.request.user,
            kind=query.validated_data.get("kind", ""),
            unread=query.validated_data["unread"],
        ).select_related("partner", "period")

    @extend_schema(
        operation_id="alerts_list",
        tags=["alerts"],
        parameters=[
            OpenApiParameter("kind", str, enum=AlertKind.values),
            OpenApiParameter("unread", bool, description="Only unread alerts."),
        ],
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class AlertReadView(ApiView):
    @extend_schema(
        operation_id="alerts_mark_read", tags=["alerts"], request=None, responses=AlertSerializer
    )
    def post(self, request: Request, pk: int) -> Response:
        """Mark one of your alerts read (again: no change)."""
        alert = alert_mark_read(user=request.user, alert_id=pk)
        return Response(AlertSerializer(alert).data)


class AlertReadAllView(ApiView):
    @extend_schema(
        operation_id="alerts_mark_all_read",
        tags=["alerts"],
        request=MarkAllReadSerializer,
        responses=MarkedSerializer,
    )
    def post(self, request: Request) -> Response:
        """Mark all your unread alerts (of one kind, when given) read."""
        body = MarkAllReadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        kind = body.validated_data.get("kind", "")
        return Response({"marked": alerts_mark_all_read(user=request.user, kind=kind)})


class NotificationSettingsView(ApiView):
    @extend_schema(
        operation_id="alerts_settings_retrieve",
        tags=["alerts"],
        responses=NotificationSettingsSerializer,
    )
    def get(self, request: Request) -> Response:
        return Response(
            NotificationSettingsSerializer(notification_settings_get(user=request.user)).data
        )

    @extend_schema(
        operation_id="alerts_settings_update",
        tags=["alerts"],
        request=NotificationSettingsSerializer,
        responses=NotificationSettingsSerializer,
    )
    def put(self, request: Request) -> Response:
        body = NotificationSettingsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        saved = notification_settings_set(
            user=request.user, email_alerts=body.validated_data["email_alerts"]
        )
        return Response(NotificationSettingsSerializer(saved).data)
