"""The feedback app's API, one URL module per concept (mounted under /api/v1/)."""

from django.urls import include, path

urlpatterns = [
    path("", include("feedback.api.survey_urls")),
    path("", include("feedback.api.conversation_urls")),
    path("", include("feedback.api.alert_urls")),
]
