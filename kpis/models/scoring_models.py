"""How a partner type is scored: models, versions, lines, tiers, target overrides."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from kpis.models.measures import KPI, Direction, Period, period_open_check


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


MAX_DEMOTION_GRACE = 12


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
    demotion_grace = models.PositiveSmallIntegerField(
        default=0,
        db_default=0,
        validators=[MaxValueValidator(MAX_DEMOTION_GRACE)],
        help_text="Periods a partner keeps its tier after it stops earning it (SCORING.md 14).",
    )
    tier_changes_need_approval = models.BooleanField(
        default=False,
        db_default=False,
        help_text="A computed tier change becomes the partner's official tier only when a "
        "manager approves it (SCORING.md 15).",
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
            models.CheckConstraint(
                condition=Q(demotion_grace__lte=MAX_DEMOTION_GRACE),
                name="demotion_grace_bounded",
                violation_error_message=(
                    f"Demotion grace is at most {MAX_DEMOTION_GRACE} periods."
                ),
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
        return f"{self.kpi.code}: weight {self.weight:g}"

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

    def clean(self) -> None:
        if self.pk and self.min_score == 0:
            required = list(self.requirements.values_list("kpi__code", flat=True))
            if required:
                raise ValidationError(
                    {
                        "min_score": f"The entry tier (min score 0) has no requirements: remove "
                        f"its requirement(s) on {', '.join(sorted(required))} first."
                    }
                )


MAX_KPI_SCORE = 120.0


class TierRequirement(models.Model):
    """SCORING.md 14: a tier is earned only when each of its requirements is met, i.e. the
    KPI's line has a value whose KPI score is at least `min_kpi_score`."""

    tier = models.ForeignKey(Tier, on_delete=models.CASCADE, related_name="requirements")
    kpi = models.ForeignKey(KPI, on_delete=models.PROTECT, related_name="tier_requirements")
    min_kpi_score = models.FloatField(
        validators=[MinValueValidator(0.0), MaxValueValidator(MAX_KPI_SCORE)],
        help_text="The KPI score (0-120) the partner needs at least on this KPI.",
    )

    class Meta:
        ordering = ["tier", "kpi__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["tier", "kpi"],
                name="unique_tier_requirement",
                violation_error_message="This tier already has a requirement on this KPI.",
            ),
            models.CheckConstraint(
                condition=Q(min_kpi_score__gte=0) & Q(min_kpi_score__lte=MAX_KPI_SCORE),
                name="requirement_score_0_120",
                violation_error_message="A required KPI score lies between 0 and 120.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi.code} scores at least {self.min_kpi_score:g}"

    def clean(self) -> None:
        if self.tier_id and self.kpi_id:
            problem = requirement_problem(
                tier_name=self.tier.name,
                tier_min_score=self.tier.min_score,
                kpi_code=self.kpi.code,
                line_kpi_codes=set(
                    ModelLine.objects.filter(version_id=self.tier.version_id).values_list(
                        "kpi__code", flat=True
                    )
                ),
            )
            if problem:
                field = "tier" if self.tier.min_score == 0 else "kpi"
                raise ValidationError({field: problem})


def requirement_problem(
    *, tier_name: str, tier_min_score: float, kpi_code: str, line_kpi_codes: set[str]
) -> str | None:
    """SCORING.md 14, the one home of the rule: a requirement names a KPI that is a line of
    the tier's version, and the entry tier (min score 0) has none."""
    if tier_min_score == 0:
        return (
            f"{tier_name} is the entry tier (min score 0): it cannot have requirements "
            f"(got one on {kpi_code})."
        )
    if kpi_code not in line_kpi_codes:
        return (
            f"{tier_name} cannot require {kpi_code}: it is not a KPI line of this version "
            f"(lines: {', '.join(sorted(line_kpi_codes)) or 'none'})."
        )
    return None


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

    def __str__(self) -> str:
        return f"{self.partner.code} {self.kpi.code} in {self.period.code}: target {self.target:g}"

    def clean(self) -> None:
        if self.kpi_id and None not in (self.floor, self.target):
            check_thresholds(
                direction=self.kpi.direction,
                floor=self.floor,
                target=self.target,
                stretch=self.stretch,
            )
        if self.partner_id and self.kpi_id and self.period_id:
            stored = TargetOverride.objects.filter(pk=self.pk).first() if self.pk else None
            target_override_check(
                partner=self.partner, kpi=self.kpi, period=self.period, stored=stored
            )

    def delete_check(self) -> None:
        """Deleting an override of a closed period is refused (SCORING.md 7)."""
        period_open_check(period=self.period, what="this target override")


def active_version_for(partner) -> ScoringModelVersion | None:
    """The version a partner is scored with now: its type's model's active version, else the
    default model's (SCORING.md 1)."""
    candidates = ScoringModelVersion.objects.filter(status=VersionStatus.ACTIVE).filter(
        Q(model__partner_type_id=partner.partner_type_id) | Q(model__is_default=True)
    )
    by_type = {v.model.partner_type_id: v for v in candidates.select_related("model")}
    return by_type.get(partner.partner_type_id) or next(
        (v for v in by_type.values() if v.model.is_default), None
    )


def target_override_check(*, partner, kpi, period, stored=None) -> None:
    """SCORING.md 1 and 7, for every way an override is written (admin, API): its KPI is a
    line of the partner's scoring model, and neither its period nor, for a change, the period
    it was in is closed. Raises ValidationError naming the problem."""
    for when in {period, stored.period} if stored is not None else {period}:
        period_open_check(period=when, what="this target override")
    version = active_version_for(partner)
    if version is None:
        raise ValidationError(
            {"partner": f"{partner.code} has no active scoring model: it has no KPI to override."}
        )
    lines = set(version.lines.values_list("kpi__code", flat=True))
    if kpi.code not in lines:
        raise ValidationError(
            {
                "kpi": f"{kpi.code} is not a KPI line of {partner.code}'s scoring model "
                f"({version.model.code} v{version.number}: {', '.join(sorted(lines))}); an "
                "override applies only to a KPI the partner is scored on."
            }
        )
