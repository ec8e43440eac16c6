"""How a partner type is scored: models, versions, lines, tiers, target overrides."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from kpis.models.measures import KPI, Direction, Period


class ScoringModel(models.Model):
    """What a partner type is scored on. The scoring rules live in its versions."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    partner_type = models.OneToOneField(
        "partners.PartnerType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="scoring_model",
        help_text="Leave empty for the default model, which scores types without a model.",
    )
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="one_default_model",
                violation_error_message="Only one scoring model can be the default.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class MissingPolicy(models.TextChoices):
    RENORMALIZE = "renormalize", "Renormalize over KPIs with data"
    ZERO = "zero", "Count missing KPIs as zero"


class ScoringModelVersion(models.Model):
    model = models.ForeignKey(ScoringModel, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=8, choices=VersionStatus, default=VersionStatus.DRAFT)
    missing_policy = models.CharField(
        max_length=12, choices=MissingPolicy, default=MissingPolicy.RENORMALIZE
    )
    min_coverage = models.FloatField(
        default=0.5, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    amber_from = models.FloatField(
        default=60.0, validators=[MinValueValidator(0.0), MaxValueValidator(120.0)]
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["model", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["model", "number"], name="unique_version_number"),
            models.UniqueConstraint(
                fields=["model"],
                condition=Q(status=VersionStatus.ACTIVE),
                name="one_active_version_per_model",
                violation_error_message="A scoring model has only one active version.",
            ),
            models.CheckConstraint(
                condition=Q(min_coverage__gte=0) & Q(min_coverage__lte=1), name="coverage_0_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model.code} v{self.number} ({self.status})"


def check_thresholds(*, direction: str, floor: float, target: float, stretch: float | None) -> None:
    """SCORING.md section 4: after negating for 'lower', floor < target <= stretch."""
    sign = -1 if direction == Direction.LOWER else 1
    f, t = sign * floor, sign * target
    s = t if stretch is None else sign * stretch
    errors = {}
    if not f < t:
        word = "above" if direction == Direction.LOWER else "below"
        errors["floor"] = f"Floor ({floor:g}) must be {word} the target ({target:g})."
    if not t <= s:
        word = "at or below" if direction == Direction.LOWER else "at or above"
        errors["stretch"] = f"Stretch ({stretch:g}) must be {word} the target ({target:g})."
    if errors:
        raise ValidationError(errors)


# At the database level the direction lives on the KPI, so the check accepts either ordering;
# full validation (with the KPI's direction) is check_thresholds, run by forms and services.
THRESHOLD_ORDER = (
    Q(floor__lt=F("target")) & (Q(stretch__isnull=True) | Q(stretch__gte=F("target")))
) | (Q(floor__gt=F("target")) & (Q(stretch__isnull=True) | Q(stretch__lte=F("target"))))


class ModelLine(models.Model):
    version = models.ForeignKey(ScoringModelVersion, on_delete=models.CASCADE, related_name="lines")
    kpi = models.ForeignKey(KPI, on_delete=models.PROTECT, related_name="model_lines")
    weight = models.FloatField()
    floor = models.FloatField()
    target = models.FloatField()
    stretch = models.FloatField(null=True, blank=True, help_text="Empty = no bonus above target.")

    class Meta:
        ordering = ["version", "-weight", "kpi__code"]
        constraints = [
            models.UniqueConstraint(fields=["version", "kpi"], name="unique_line_kpi"),
            models.CheckConstraint(
                condition=Q(weight__gt=0),
                name="line_weight_positive",
                violation_error_message="Weight must be greater than 0.",
            ),
            models.CheckConstraint(
                condition=THRESHOLD_ORDER,
                name="line_threshold_order",
                violation_error_message="Floor, target and stretch are out of order.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi_id}: w{self.weight:g}"

    def clean(self) -> None:
        if self.weight is not None and self.weight <= 0:
            raise ValidationError(
                {"weight": f"Weight must be greater than 0 (got {self.weight:g})."}
            )
        if self.kpi_id and None not in (self.floor, self.target):
            check_thresholds(
                direction=self.kpi.direction,
                floor=self.floor,
                target=self.target,
                stretch=self.stretch,
            )


class Tier(models.Model):
    version = models.ForeignKey(ScoringModelVersion, on_delete=models.CASCADE, related_name="tiers")
    name = models.CharField(max_length=60)
    min_score = models.FloatField(validators=[MinValueValidator(0.0)])

    class Meta:
        ordering = ["version", "-min_score"]
        constraints = [
            models.UniqueConstraint(fields=["version", "name"], name="unique_tier_name"),
            models.UniqueConstraint(fields=["version", "min_score"], name="unique_tier_min_score"),
            models.CheckConstraint(condition=Q(min_score__gte=0), name="tier_min_score_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} >= {self.min_score:g}"


class TargetOverride(models.Model):
    """Thresholds agreed with one partner for one KPI and period; replaces the model line's."""

    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="target_overrides"
    )
    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="target_overrides")
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="target_overrides")
    floor = models.FloatField()
    target = models.FloatField()
    stretch = models.FloatField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "kpi", "period"], name="unique_target_override"
            ),
            models.CheckConstraint(condition=THRESHOLD_ORDER, name="override_threshold_order"),
        ]

    def clean(self) -> None:
        if self.kpi_id and None not in (self.floor, self.target):
            check_thresholds(
                direction=self.kpi.direction,
                floor=self.floor,
                target=self.target,
                stretch=self.stretch,
            )
