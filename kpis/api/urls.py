from django.urls import path
from rest_framework.routers import SimpleRouter

from kpis.api import versions, views

router = SimpleRouter()
router.register("kpis", views.KPIViewSet, basename="kpi")
router.register("scoring-models", views.ScoringModelViewSet, basename="scoringmodel")
router.register("scoring-versions", versions.ScoringModelVersionViewSet, basename="scoringversion")
router.register("target-overrides", views.TargetOverrideViewSet, basename="targetoverride")
router.register("metric-values", views.MetricValueViewSet, basename="metricvalue")

urlpatterns = [
    path("metric-values/bulk/", views.MetricValueBulkView.as_view(), name="metricvalue-bulk"),
    *router.urls,
]
