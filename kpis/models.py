from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

kpi_code_validator = RegexValidator(
    r"^[a-z][a-z0-9_]*$", "A KPI code is lowercase: a letter, then letters, digits or '_'."
)


class Direction(models.TextChoices):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"


class Source(models.TextChoices):
    IMPORT = "import", "Import (CSV, API, CRM)"
    SURVEY = "survey", "Survey responses"
    ASSESSMENT = "assessment", "Manager assessment (1-5)"
    FORMULA = "formula", "Formula over other KPIs"


class Aggregation(models.TextChoices):
    SUM = "sum", "Sum"
    MEAN = "mean", "Mean"
    LAST = "last", "Last value"
    MIN = "min", "Minimum"
    MAX = "max", "Maximum"
    COUNT = "count", "Count"
    NPS = "nps", "Net Promoter Score of 0-10 answers"


CATEGORY_SUGGESTIONS = (
    "sales",
    "growth",
    "customer",
    "engagement",
    "operations",
    "compliance",
    "relationship",
)


class KPI(models.Model):
    code = models.CharField(max_length=64, unique=True, validators=[kpi_code_validator])
    name = models.CharField(max_length=200)
    category = models.SlugField(
        max_length=40,
        default="sales",
        help_text="One of " + ", ".join(CATEGORY_SUGGESTIONS) + ", or a category of your own.",
    )
    unit = models.CharField(max_length=20, blank=True, help_text="e.g. USD, %, days, count")
    direction = models.CharField(max_length=6, choices=Direction, default=Direction.HIGHER)
    source = models.CharField(max_length=10, choices=Source, default=Source.IMPORT)
    aggregation = models.CharField(max_length=5, choices=Aggregation, default=Aggregation.SUM)
    formula = models.TextField(
        blank=True, help_text="For source 'formula' only, e.g. 100 * (revenue / prev(revenue) - 1)"
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "KPI"
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[a-z][a-z0-9_]*$"), name="kpi_code_format"
            ),
            models.CheckConstraint(
                condition=(Q(source="formula") & ~Q(formula=""))
                | (~Q(source="formula") & Q(formula="")),
                name="kpi_formula_iff_formula_source",
                violation_error_message=(
                    "A formula KPI needs a formula; other sources must not have one."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.code


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
                condition=Q(status="active"),
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
    period = models.ForeignKey(
        "assessments.Period", on_delete=models.CASCADE, related_name="target_overrides"
    )
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


class MetricValue(models.Model):
    """One observation. (partner, kpi, observed_on) is unique: re-importing replaces the value.

    Millions of rows arrive in bulk, with their codes already resolved and checked by the
    import, so the foreign keys are enforced by Django (cascade, protect), not by per-row
    database triggers, and the unique index doubles as the partner index."""

    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.CASCADE,
        related_name="metric_values",
        db_constraint=False,
        db_index=False,
    )
    kpi = models.ForeignKey(
        KPI,
        on_delete=models.PROTECT,
        related_name="metric_values",
        db_constraint=False,
        db_index=False,
    )
    observed_on = models.DateField()
    value = models.FloatField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "kpi", "observed_on"], name="unique_metric_observation"
            ),
        ]
        indexes = [models.Index(fields=["observed_on", "kpi"], name="metric_period_idx")]

    def __str__(self) -> str:
        return f"{self.partner_id}/{self.kpi_id}@{self.observed_on}={self.value:g}"


class ImportKind(models.TextChoices):
    METRIC_VALUES = "metric_values", "Metric values"
    PARTNERS = "partners", "Partners"


class ImportProfile(models.Model):
    """How to read someone else's export (a CRM report, a spreadsheet): which source columns
    hold the partner, the date and the values of which KPIs, and how numbers and dates look."""

    class PartnerMatch(models.TextChoices):
        CODE = "code", "Partner code"
        NAME = "name", "Partner name (exact, case-insensitive)"

    class Duplicates(models.TextChoices):
        ERROR = "error", "Refuse the file"
        SUM = "sum", "Add them up (e.g. several deals on one day)"

    name = models.CharField(max_length=100, unique=True)
    partner_column = models.CharField(max_length=200, default="partner_code")
    partner_match = models.CharField(max_length=4, choices=PartnerMatch, default="code")
    date_column = models.CharField(max_length=200, default="observed_on")
    date_format = models.CharField(
        max_length=40,
        blank=True,
        help_text="strftime format such as %m/%d/%Y; empty means ISO dates (YYYY-MM-DD).",
    )
    kpi_column = models.CharField(
        max_length=200,
        blank=True,
        default="kpi_code",
        help_text="Long format: the column holding the KPI code (leave empty for wide format).",
    )
    value_column = models.CharField(max_length=200, blank=True, default="value")
    kpi_columns = models.JSONField(
        default=dict,
        blank=True,
        help_text='Wide format: source column -> KPI code, e.g. {"Amount": "revenue"}.',
    )
    delimiter = models.CharField(max_length=2, default=",")
    decimal = models.CharField(max_length=1, default=".", help_text="'.' or ','")
    same_day_rows = models.CharField(max_length=5, choices=Duplicates, default="error")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(decimal__in=[".", ","]), name="profile_decimal"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.kpi_column and not self.kpi_columns:
            raise ValidationError("Name a KPI column (long format) or map columns to KPIs (wide).")
        if self.kpi_columns and (
            not isinstance(self.kpi_columns, dict)
            or not all(isinstance(v, str) and v for v in self.kpi_columns.values())
        ):
            raise ValidationError({"kpi_columns": "Use a mapping of column name -> KPI code."})
        if self.kpi_columns:
            unknown = set(self.kpi_columns.values()) - set(
                KPI.objects.filter(code__in=self.kpi_columns.values()).values_list(
                    "code", flat=True
                )
            )
            if unknown:
                raise ValidationError({"kpi_columns": f"Unknown KPI codes: {sorted(unknown)}"})


class ImportJob(models.Model):
    class Status(models.TextChoices):
        PREVIEWING = "previewing", "Checking"
        PREVIEWED = "previewed", "Checked, waiting for confirmation"
        INVALID = "invalid", "Refused: the file has errors"
        IMPORTING = "importing", "Importing"
        SUCCEEDED = "succeeded", "Imported"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=13, choices=ImportKind, default=ImportKind.METRIC_VALUES)
    profile = models.ForeignKey(
        ImportProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    original_name = models.CharField(max_length=255)
    stored_path = models.CharField(max_length=500)
    size_bytes = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status, default=Status.PREVIEWING)
    rows_total = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    new = models.PositiveIntegerField(null=True)
    replaced = models.PositiveIntegerField(null=True)
    unchanged = models.PositiveIntegerField(null=True)
    written = models.PositiveIntegerField(null=True)
    sample = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def is_busy(self) -> bool:
        return self.status in (self.Status.PREVIEWING, self.Status.IMPORTING)
