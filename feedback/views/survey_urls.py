"""Pages: surveys (managers' results, links and import; the portal's tab; the public link)."""

from django.urls import path

from feedback.views import survey_portal, survey_public, surveys

urlpatterns = [
    path("surveys/", surveys.results, name="surveys"),
    path("surveys/import/", surveys.import_responses, name="survey-import"),
    path("partners/<str:code>/surveys/", surveys.partner_results, name="survey-partner"),
    path("partners/<str:code>/surveys/links/", surveys.link_create, name="survey-link-create"),
    path(
        "partners/<str:code>/surveys/links/<int:pk>/revoke/",
        surveys.link_revoke,
        name="survey-link-revoke",
    ),
    path("portal/surveys/", survey_portal.requests_list, name="portal-surveys"),
    path("portal/surveys/<int:pk>/", survey_portal.request_answer, name="portal-survey-answer"),
    path("s/<str:token>/", survey_public.answer, name="survey-public"),
]
