"""Surveys: the partner relationship survey (answered by a partner's portal users in the
portal, one request per user and period) and the customer satisfaction survey (a public link
per partner with an unguessable token, or responses imported by CSV).

SCORING.md 2: each answer to a numeric question that feeds a KPI (source `survey`) is one
observation of that KPI, observed on the response's answer date; several responses of one
partner on one day all count. Closed periods refuse responses dated in them (section 7)."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class SurveyAudience(models.TextChoices):
    PARTNER = "partner", "Partner relationship (the partner's portal users)"
    CUSTOMER = "customer", "Customer satisfaction (public link, no login)"


class QuestionKind(models.TextChoices):
    SCALE_10 = "scale10", "0-10 (e.g. how likely to recommend)"
    SCALE_5 = "scale5", "1-5"
    CHOICE = "choice", "Single choice"
    TEXT = "text", "Free text"


NUMERIC_KINDS = (QuestionKind.SCALE_10, QuestionKind.SCALE_5)
SCALE_BOUNDS = {QuestionKind.SCALE_10: (0, 10), QuestionKind.SCALE_5: (1, 5)}


class ResponseChannel(models.TextChoices):
    PORTAL = "portal", "Portal"
    LINK = "link", "Public link"
    IMPORT = "import", "CSV import"


class Survey(models.Model):
    name = models.CharField(max_length=200)
    audience = models.CharField(max_length=8, choices=SurveyAudience)
    intro = models.TextField(blank=True, help_text="Shown above the questions.")
    is_active = models.BooleanField(default=True)
    one_response_per_link = models.BooleanField(
        default=True, help_text="Customer surveys: a link takes one response, then closes."
    )
    link_valid_days = models.PositiveSmallIntegerField(
        default=30, help_text="Customer surveys: a new link expires after this many days."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=500)
    kind = models.CharField(max_length=8, choices=QuestionKind)
    choices = models.TextField(blank=True, help_text="Single choice: one option per line.")
    required = models.BooleanField(default=True)
    kpi = models.ForeignKey(
        "kpis.KPI",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="survey_questions",
        limit_choices_to={"source": "survey"},
        help_text="A numeric question's answers become this KPI's observations "
        "(NPS: a 0-10 question and a KPI with aggregation nps; CSAT: mean).",
    )

    class Meta:
        ordering = ["survey", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kpi__isnull=True) | Q(kind__in=NUMERIC_KINDS),
                name="only_numeric_questions_feed_kpis",
                violation_error_message="Only a 0-10 or 1-5 question can feed a KPI.",
            )
        ]

    def __str__(self) -> str:
        return self.text

    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class SurveyLink(models.Model):
    """A customer survey's public link for one partner. Only a hash of its token is stored."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="links")
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="survey_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=200, blank=True, help_text="e.g. the customer's name")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.survey} for {self.partner_id}"


class SurveyRequest(models.Model):
    """A partner relationship survey asked of one portal user for one period."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="requests")
    period = models.ForeignKey("kpis.Period", on_delete=models.CASCADE, related_name="+")
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="survey_requests"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_requests"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "period", "user"], name="one_survey_request_per_user_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.survey} / {self.period_id} / {self.user_id}"


class SurveyResponse(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="survey_responses"
    )
    answered_on = models.DateField()
    submitted_at = models.DateTimeField(auto_now_add=True)
    channel = models.CharField(max_length=6, choices=ResponseChannel)
    link = models.ForeignKey(
        SurveyLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="responses"
    )
    request = models.OneToOneField(
        SurveyRequest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="response",
    )
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-answered_on", "-pk"]
        indexes = [
            models.Index(fields=["answered_on", "partner"], name="response_day_partner"),
            models.Index(fields=["survey", "partner"], name="response_survey_partner"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}/{self.partner_id}@{self.answered_on}"


class Answer(models.Model):
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.FloatField(null=True, blank=True, help_text="Numeric questions.")
    text = models.TextField(blank=True, help_text="Free text, or the chosen option.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="one_answer_per_question")
        ]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.value if self.value is not None else self.text}"
