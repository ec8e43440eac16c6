"""The feedback app's pages, one URL module per concept (mounted at the site root)."""

from django.urls import include, path

urlpatterns = [
    path("", include("feedback.views.survey_urls")),
    path("", include("feedback.views.conversation_urls")),
    path("", include("feedback.views.alert_urls")),
]
