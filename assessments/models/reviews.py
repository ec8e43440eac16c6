"""Quarterly assessments: a manager's 1-5 ratings of a partner on the qualitative KPIs
(source `assessment`), with a rubric per level. SCORING.md 2: the ratings of *submitted*
assessments are the observations of those KPIs, observed on the period's end; drafts do not
count. The workflow and its rules live in assessments/reviews.py."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history import register

from partnerscore.audit import AuditRecords

RATING_MIN, RATING_MAX = 1, 5


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    SHARED = "shared", "Shared with the partner"
    ACKNOWLEDGED = "acknowledged", "Acknowledged by the partner"


# Ratings count (SCORING.md 2) in every status but draft.
COUNTING_STATUSES = (
    AssessmentStatus.SUBMITTED,
    AssessmentStatus.SHARED,
    AssessmentStatus.ACKNOWLEDGED,
)


class Rubric(models.Model):
    """What each rating level means for one qualitative KPI."""

    kpi = models.OneToOneField(
        "kpis.KPI",
        on_delete=models.CASCADE,
        related_name="rubric",
        limit_choices_to={"source": "assessment"},
    )
    level_1 = models.TextField("1", blank=True)
    level_2 = models.TextField("2", blank=True)
    level_3 = models.TextField("3", blank=True)
    level_4 = models.TextField("4", blank=True)
    level_5 = models.TextField("5", blank=True)

    def __str__(self) -> str:
        return f"Rubric of {self.kpi}"

    def levels(self) -> list[tuple[int, str]]:
        return [(n, getattr(self, f"level_{n}")) for n in range(RATING_MIN, RATING_MAX + 1)]


class Assessment(models.Model):
    """One partner's qualitative review for one period: draft -> submitted -> shared ->
    acknowledged (transitions in AssessmentTransition)."""

    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="assessments"
    )
    period = models.ForeignKey("kpis.Period", on_delete=models.PROTECT, related_name="assessments")
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assessments_made",
    )
    status = models.CharField(
        max_length=12, choices=AssessmentStatus, default=AssessmentStatus.DRAFT
    )
    summary = models.TextField(blank=True, help_text="The manager's overall comment.")
    partner_response = models.TextField(
        blank=True, help_text="The partner's response, given when acknowledging."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period__end", "partner__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "period"],
                name="one_assessment_per_partner_period",
                violation_error_message="This partner already has an assessment for this period.",
            )
        ]
        indexes = [models.Index(fields=["period", "status"], name="assessment_period_status")]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.period_id} ({self.status})"

    @property
    def counts(self) -> bool:
        """Its ratings are observations (SCORING.md 2)."""
        return self.status in COUNTING_STATUSES


class AssessmentRating(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="ratings")
    kpi = models.ForeignKey("kpis.KPI", on_delete=models.PROTECT, related_name="ratings")
    rating = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(RATING_MIN), MaxValueValidator(RATING_MAX)],
        help_text="1-5; empty while the assessment is a draft.",
    )
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["kpi__code"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "kpi"], name="one_rating_per_kpi"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True)
                | Q(rating__gte=RATING_MIN, rating__lte=RATING_MAX),
                name="rating_1_to_5",
                violation_error_message="A rating is 1 to 5.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi_id}={self.rating}"


class AssessmentTransition(models.Model):
    """Who moved an assessment from one status to another, when (and what they said)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=12, choices=AssessmentStatus, blank=True)
    to_status = models.CharField(max_length=12, choices=AssessmentStatus)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.assessment_id}: {self.from_status or '-'} -> {self.to_status}"


# Ratings change scores: who rated what, and every later change, is on the audit trail.
for audited in (Assessment, AssessmentRating, Rubric):
    register(audited, records_class=AuditRecords)
