"""Alerts for a user (a partner's manager, mostly): raised after a recompute (tier drop, at
risk, projected drop, a high-weight KPI turning red, data-quality flags) and by reminders
(assessments not submitted, surveys unanswered, actions overdue). Each alert exactly once:
`key` names the event, and (user, key) is unique, so raising it again does nothing."""

from django.conf import settings
from django.db import models


class AlertKind(models.TextChoices):
    TIER_DROP = "tier_drop", "Tier drop"
    AT_RISK = "at_risk", "At risk"
    PROJECTED_DROP = "projected_drop", "Projected to drop"
    RED_KPI = "red_kpi", "High-weight KPI turned red"
    DATA_QUALITY = "data_quality", "Data-quality flags"
    ASSESSMENT_DUE = "assessment_due", "Assessment not submitted"
    SURVEY_DUE = "survey_due", "Survey unanswered"
    ACTION_OVERDUE = "action_overdue", "Action overdue"


class Alert(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alerts"
    )
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alerts",
    )
    period = models.ForeignKey(
        "kpis.Period", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=AlertKind)
    key = models.CharField(max_length=200, help_text="The event: raising it again is a no-op.")
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_alert_per_user_event")
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="alert_user_unread")]

    def __str__(self) -> str:
        return self.title


class NotificationSettings(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    email_alerts = models.BooleanField(
        default=True, help_text="Send a daily e-mail digest of new alerts."
    )

    class Meta:
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return f"{self.user}: e-mail {'on' if self.email_alerts else 'off'}"
