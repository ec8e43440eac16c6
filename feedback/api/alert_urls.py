"""API: the signed-in user's own alerts and notification settings."""

from django.urls import path

from feedback.api import alerts

urlpatterns = [
    path("alerts/", alerts.AlertListView.as_view(), name="api-alerts"),
    path("alerts/read-all/", alerts.AlertReadAllView.as_view(), name="api-alerts-read-all"),
    path("alerts/settings/", alerts.NotificationSettingsView.as_view(), name="api-alert-settings"),
    path("alerts/<int:pk>/read/", alerts.AlertReadView.as_view(), name="api-alert-read"),
]
