"""Feedback both ways (manager -> partner, partner -> vendor), threaded, and meetings/QBRs."""

from django.conf import settings
from django.db import models


class FeedbackDirection(models.TextChoices):
    TO_PARTNER = "to_partner", "From the vendor to the partner"
    TO_VENDOR = "to_vendor", "From the partner to the vendor"


class FeedbackStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class FeedbackTopic(models.TextChoices):
    SALES = "sales", "Sales and pipeline"
    SUPPORT = "support", "Support and delivery"
    MARKETING = "marketing", "Marketing"
    ENABLEMENT = "enablement", "Training and enablement"
    PROGRAMME = "programme", "Programme, tiers and scoring"
    COMMERCIAL = "commercial", "Pricing and terms"
    OTHER = "other", "Other"


class FeedbackThread(models.Model):
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="feedback_threads"
    )
    direction = models.CharField(max_length=10, choices=FeedbackDirection)
    topic = models.CharField(max_length=12, choices=FeedbackTopic, default=FeedbackTopic.OTHER)
    subject = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=FeedbackStatus, default=FeedbackStatus.OPEN)
    period = models.ForeignKey(
        "kpis.Period", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["partner", "status"], name="thread_partner_status")]

    def __str__(self) -> str:
        return self.subject


class FeedbackReply(models.Model):
    """A message in a thread; the thread's first message is its first reply."""

    thread = models.ForeignKey(FeedbackThread, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "feedback replies"

    def __str__(self) -> str:
        return f"{self.thread_id}: {self.body[:40]}"


class MeetingKind(models.TextChoices):
    QBR = "qbr", "Quarterly business review"
    MEETING = "meeting", "Meeting"


class Meeting(models.Model):
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="meetings"
    )
    period = models.ForeignKey("kpis.Period", on_delete=models.PROTECT, related_name="+")
    assessment = models.ForeignKey(
        "assessments.Assessment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="meetings",
    )
    kind = models.CharField(max_length=8, choices=MeetingKind, default=MeetingKind.QBR)
    held_on = models.DateField()
    attendees = models.TextField(blank=True, help_text="One per line.")
    notes = models.TextField(blank=True)
    decisions = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.held_on}"
