"""Pages: feedback threads, meetings and improvement plans (manager pages and portal tabs)."""

from django.urls import path

from feedback.views import conversations, plans, portal

urlpatterns = [
    path("feedback/", conversations.threads, name="feedback-threads"),
    path("feedback/<int:pk>/", conversations.thread, name="feedback-thread"),
    path("partners/<str:code>/feedback/new/", conversations.thread_new, name="feedback-new"),
    path("partners/<str:code>/meetings/", conversations.meetings, name="partner-meetings"),
    path(
        "partners/<str:code>/meetings/<int:pk>/",
        conversations.meetings,
        name="partner-meeting",
    ),
    path("partners/<str:code>/plan/", plans.plan_page, name="partner-plan"),
    path(
        "partners/<str:code>/plan/actions/<int:action_pk>/",
        plans.plan_page,
        name="partner-plan-action",
    ),
    path("plans/", plans.plans_page, name="plans"),
    path("portal/feedback/", portal.feedback, name="portal-feedback"),
    path("portal/feedback/<int:pk>/", portal.thread, name="portal-thread"),
    path("portal/plan/", portal.plan, name="portal-plan"),
    path("portal/meetings/", portal.meetings, name="portal-meetings"),
]
