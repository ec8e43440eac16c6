"""Pages: alerts (the signed-in user's own)."""

from django.urls import path

from feedback.views import alerts

urlpatterns = [
    path("alerts/", alerts.alert_list, name="alerts"),
    path("alerts/settings/", alerts.alert_settings, name="alert-settings"),
    path("alerts/read-all/", alerts.alert_read_all, name="alerts-read-all"),
    path("alerts/<int:pk>/", alerts.alert_open, name="alert-open"),
]
