from django.urls import path
from rest_framework.routers import SimpleRouter

from assessments.api import reviews, views

router = SimpleRouter()
router.register("periods", views.PeriodViewSet, basename="period")
router.register("scorecards", views.ScorecardViewSet, basename="scorecard")
router.register("recompute-runs", views.RecomputeRunViewSet, basename="recomputerun")
router.register("tier-changes", views.TierChangeViewSet, basename="tierchange")
router.register("assessments", reviews.AssessmentViewSet, basename="assessment")

urlpatterns = [
    path(
        "scorecards/<str:partner>/<str:period>/",
        views.ScorecardViewSet.as_view({"get": "by_address"}),
        name="scorecard-detail",
    ),
    path("whatif/", views.WhatIfView.as_view(), name="whatif"),
    *router.urls,
]
