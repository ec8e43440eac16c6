"""API: feedback threads (and replies), meetings, improvement plans (actions, sign-off)."""

from django.urls import path

from feedback.api import conversations as views
from feedback.api import plans

urlpatterns = [
    path("threads/", views.ThreadList.as_view(), name="thread-list"),
    path("threads/<int:pk>/", views.ThreadDetail.as_view(), name="thread-detail"),
    path("threads/<int:pk>/replies/", views.ThreadReply.as_view(), name="thread-replies"),
    path("threads/<int:pk>/status/", views.ThreadStatus.as_view(), name="thread-status"),
    path("meetings/", views.MeetingList.as_view(), name="meeting-list"),
    path("meetings/<int:pk>/", views.MeetingDetail.as_view(), name="meeting-detail"),
    path("plans/", plans.PlanList.as_view(), name="plan-list"),
    path("plans/<int:pk>/", plans.PlanDetail.as_view(), name="plan-detail"),
    path("plans/<int:pk>/actions/", plans.PlanActions.as_view(), name="plan-actions"),
    path("plans/<int:pk>/sign-off/", plans.PlanSignOff.as_view(), name="plan-sign-off"),
    path("plan-actions/<int:pk>/", plans.ActionDetail.as_view(), name="plan-action-detail"),
]
