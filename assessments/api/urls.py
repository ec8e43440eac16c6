from rest_framework.routers import SimpleRouter

from assessments.api import views

router = SimpleRouter()
router.register("periods", views.PeriodViewSet, basename="period")
router.register("scorecards", views.ScorecardViewSet, basename="scorecard")
router.register("recompute-runs", views.RecomputeRunViewSet, basename="recomputerun")
router.register("tier-changes", views.TierChangeViewSet, basename="tierchange")

urlpatterns = router.urls
