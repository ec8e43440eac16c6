"""REST API v1: each app's router, the token endpoint and the OpenAPI schema."""

import datetime as dt

from django.conf import settings
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from kpis.api.partners_bulk import PartnerBulkView
from partnerscore.auth import token_expired
from partnerscore.parsers import SafeJSONParser

app_name = "api"
# Tags and operation ids without the version; request bodies without read-only fields.
SCHEMA = {"SCHEMA_PATH_PREFIX": r"/api/v[0-9]+", "COMPONENT_SPLIT_REQUEST": True}


class ObtainExpiringToken(ObtainAuthToken):
    """POST username and password: the user's token, renewed if it has expired."""

    parser_classes = (FormParser, MultiPartParser, SafeJSONParser)

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            if getattr(request, "axes_locked_out", False):  # set by django-axes
                return Response(
                    {"detail": "Too many failed sign-ins: locked out for a while."}, status=429
                )
            raise ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        token, _ = Token.objects.get_or_create(user=user)
        if token_expired(token):
            token.delete()
            token = Token.objects.create(user=user)
        expires = token.created + dt.timedelta(hours=settings.API_TOKEN_HOURS)
        return Response({"token": token.key, "expires": expires.isoformat()})


urlpatterns = [
    path("auth/token/", ObtainExpiringToken.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(custom_settings=SCHEMA), name="schema"),
    # before the partners router, whose partners/<code>/ would take "bulk" for a code
    path("partners/bulk/", PartnerBulkView.as_view(), name="partner-bulk"),
    path("", include("partners.api.urls")),
    path("", include("kpis.api.urls")),
    path("", include("assessments.api.urls")),
    path("", include("feedback.api.urls")),
]
