"""What is measured: KPIs, periods, metric values."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

from kpis import formula as formula_lang

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
    stale_after_days = models.PositiveSmallIntegerField(
        default=45,
        db_default=45,
        help_text="An imported KPI is flagged stale when its latest value in an open period is "
        "older than this many days (SCORING.md section 11).",
    )

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

    def clean(self) -> None:
        """The formula rule, for every way a KPI is written (admin form, API): a formula KPI
        has a valid formula (kpi_formula_check), no other KPI has one."""
        super().clean()
        self.formula = (self.formula or "").strip()
        if self.source == Source.FORMULA:
            if not self.formula:
                raise ValidationError({"formula": "A formula KPI needs a formula."})
            if self.code:  # else the code field reports its own error
                kpi_formula_check(code=self.code, text=self.formula)
        elif self.formula:
            raise ValidationError({"formula": "Only KPIs with source 'formula' have a formula."})


def kpi_formula_check(*, code: str, text: str) -> formula_lang.Formula:
    """Refuse a formula with a syntax error, an unknown code or a cycle (ValidationError)."""
    others = dict(
        KPI.objects.filter(source=Source.FORMULA).exclude(code=code).values_list("code", "formula")
    )
    known = set(KPI.objects.values_list("code", flat=True)) | {code}
    try:
        return formula_lang.validate(text, code=code, known_codes=known, formulas=others)
    except formula_lang.FormulaError as exc:
        raise ValidationError({"formula": exc.message}) from None


# A metric value is a finite number of at most this size: sums of millions of them stay
# finite, so no infinity can reach a scorecard, a page or the API's JSON.
MAX_ABS_VALUE = 1e15

# Dates outside this range are typing mistakes (year 20226, 0026): refused on every input path
# (metric values in files and the API, periods), by this validator and the database.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2200, 12, 31)


def validate_sane_date(value: dt.date) -> None:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValidationError(
            f"{value.isoformat()} is outside the years {FIRST_DAY.year}-{LAST_DAY.year}."
        )


class Granularity(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"


class PeriodStatus(models.TextChoices):
    OPEN = "open", "Open (recomputed)"
    CLOSED = "closed", "Closed (frozen)"


class Period(models.Model):
    """The time a scorecard covers. It lives with the inputs (overrides and metric values are
    dated into periods), so every app to the right of kpis can use it."""

    code = models.CharField(max_length=20, unique=True, help_text="e.g. 2026-Q3 or 2026-07")
    start = models.DateField(validators=[validate_sane_date])
    end = models.DateField(help_text="Inclusive.", validators=[validate_sane_date])
    granularity = models.CharField(max_length=7, choices=Granularity, default=Granularity.QUARTER)
    status = models.CharField(max_length=6, choices=PeriodStatus, default=PeriodStatus.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-end"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__gte=FIRST_DAY) & Q(end__lte=LAST_DAY),
                name="period_sane_dates",
                violation_error_message="A period must lie within the years 1900-2200.",
            ),
            models.CheckConstraint(
                condition=Q(start__lte=F("end")),
                name="period_start_before_end",
                violation_error_message="A period's start must be on or before its end.",
            ),
            models.UniqueConstraint(
                fields=["granularity", "start"],
                name="unique_period_start",
                violation_error_message="A period of this granularity already starts that day.",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_open(self) -> bool:
        return self.status == PeriodStatus.OPEN

    def previous(self) -> "Period | None":
        """SCORING.md: same granularity, latest end before this start."""
        return (
            Period.objects.filter(granularity=self.granularity, end__lt=self.start)
            .order_by("-end")
            .first()
        )


def closed_period_message(period_code: str, what: str) -> str:
    """SCORING.md 7, the one wording of the rule (models, API, imports): a closed period's
    inputs are frozen."""
    return (
        f"{what} falls in the closed period {period_code}: its inputs are frozen "
        "(reopen the period to change them)"
    )


def closed_period_containing(day: dt.date) -> Period | None:
    """The closed period (of any granularity) that holds `day`, if any."""
    return (
        Period.objects.filter(status=PeriodStatus.CLOSED, start__lte=day, end__gte=day)
        .order_by("end")
        .first()
    )


def period_open_check(
    *, what: str, day: dt.date | None = None, period: Period | None = None
) -> None:
    """Refuse (ValidationError naming the period) a write to an input of a closed period:
    an input dated `day` (metric values, survey responses) or belonging to `period`
    (overrides, assessments). Every input's create, change and delete calls this."""
    closed = period if period is not None and not period.is_open else None
    if day is not None and closed is None:
        closed = closed_period_containing(day)
    if closed is not None:
        message = closed_period_message(closed.code, what)
        raise ValidationError(message[0].upper() + message[1:] + ".", code="period_closed")


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
    observed_on = models.DateField(validators=[validate_sane_date])
    value = models.FloatField(
        validators=[MinValueValidator(-MAX_ABS_VALUE), MaxValueValidator(MAX_ABS_VALUE)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "kpi", "observed_on"], name="unique_metric_observation"
            ),
            # NaN sorts above every number in PostgreSQL, so this refuses NaN and infinities
            models.CheckConstraint(
                condition=Q(value__gte=-MAX_ABS_VALUE) & Q(value__lte=MAX_ABS_VALUE),
                name="metric_value_finite",
            ),
            models.CheckConstraint(
                condition=Q(observed_on__gte=FIRST_DAY) & Q(observed_on__lte=LAST_DAY),
                name="metric_value_sane_date",
            ),
        ]
        indexes = [models.Index(fields=["observed_on", "kpi"], name="metric_period_idx")]

    def __str__(self) -> str:
        return f"{self.partner_id}/{self.kpi_id}@{self.observed_on}={self.value:g}"

    def clean(self) -> None:
        """SCORING.md 7: neither the new date nor, for a change, the stored one may fall in a
        closed period."""
        days = {self.observed_on} if isinstance(self.observed_on, dt.date) else set()
        if self.pk:
            days |= set(
                MetricValue.objects.filter(pk=self.pk).values_list("observed_on", flat=True)
            )
        try:
            for day in sorted(days):
                period_open_check(day=day, what=f"a metric value dated {day.isoformat()}")
        except ValidationError as exc:
            raise ValidationError({"observed_on": exc.messages}) from None

    def delete_check(self) -> None:
        """Deleting a value dated in a closed period is refused (SCORING.md 7)."""
        period_open_check(
            day=self.observed_on, what=f"a metric value dated {self.observed_on.isoformat()}"
        )


class RecomputeMark(models.Model):
    """A period (or one partner in it) whose scorecards are out of date with their inputs.

    Written in the same transaction as the change (kpis.recompute.request_recompute), deleted
    by the recompute that covered it, so a lost queue message delays the recompute until the
    next sweep but never loses it. `seq` grows with every new change: a recompute deletes only
    the marks it read, unchanged, at its start."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="+")
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, null=True, related_name="+"
    )
    seq = models.BigIntegerField(default=1)
    reason = models.CharField(max_length=200)
    marked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period", "partner"], name="unique_recompute_mark", nulls_distinct=False
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period_id}/{self.partner_id or '*'}: {self.reason}"
