"""REST API v1: each app's router, the token endpoint and the OpenAPI schema."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.authtoken.views import obtain_auth_token

app_name = "api"
# Tags and operation ids without the version; request bodies without read-only fields.
SCHEMA = {"SCHEMA_PATH_PREFIX": r"/api/v[0-9]+", "COMPONENT_SPLIT_REQUEST": True}

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="token"),
    path("schema/", SpectacularAPIView.as_view(custom_settings=SCHEMA), name="schema"),
    path("", include("partners.api.urls")),
    path("", include("kpis.api.urls")),
    path("", include("assessments.api.urls")),
]
