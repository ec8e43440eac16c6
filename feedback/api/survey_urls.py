"""API: surveys."""

from rest_framework.routers import SimpleRouter

from feedback.api import survey_views

router = SimpleRouter()
router.register("surveys", survey_views.SurveyViewSet, basename="survey")
router.register("survey-responses", survey_views.SurveyResponseViewSet, basename="surveyresponse")
router.register("survey-requests", survey_views.SurveyRequestViewSet, basename="surveyrequest")
router.register("survey-links", survey_views.SurveyLinkViewSet, basename="surveylink")

urlpatterns = router.urls
