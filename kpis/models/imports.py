"""Import profiles and jobs (the import feature's rows)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from kpis.models.measures import KPI


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
    file = models.FileField(
        upload_to="imports/%Y/%m/",
        max_length=300,
        blank=True,
        help_text="The upload as CSV, kept until the import ends (Django's default storage).",
    )
    size_bytes = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status, default=Status.PREVIEWING)
    rows_total = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0, help_text="Rows read so far: the progress.")
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
