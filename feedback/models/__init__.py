"""feedback models, one module per concept; import them from here."""

from feedback.models.alerts import Alert, AlertKind, NotificationSettings
from feedback.models.conversations import (
    FeedbackDirection,
    FeedbackReply,
    FeedbackStatus,
    FeedbackThread,
    FeedbackTopic,
    Meeting,
    MeetingKind,
)
from feedback.models.plans import ActionStatus, ImprovementPlan, PlanAction
from feedback.models.surveys import (
    NUMERIC_KINDS,
    SCALE_BOUNDS,
    Answer,
    Question,
    QuestionKind,
    ResponseChannel,
    Survey,
    SurveyAudience,
    SurveyLink,
    SurveyRequest,
    SurveyResponse,
)

__all__ = [
    "NUMERIC_KINDS",
    "SCALE_BOUNDS",
    "ActionStatus",
    "Alert",
    "AlertKind",
    "Answer",
    "FeedbackDirection",
    "FeedbackReply",
    "FeedbackStatus",
    "FeedbackThread",
    "FeedbackTopic",
    "ImprovementPlan",
    "Meeting",
    "MeetingKind",
    "NotificationSettings",
    "PlanAction",
    "Question",
    "QuestionKind",
    "ResponseChannel",
    "Survey",
    "SurveyAudience",
    "SurveyLink",
    "SurveyRequest",
    "SurveyResponse",
]
