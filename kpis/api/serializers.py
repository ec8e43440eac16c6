import copy
from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from kpis.imports.results import API_FIELD_OF, API_FIELDS
from kpis.imports.rules import api_row_errors
from kpis.models import (
    KPI,
    MetricValue,
    ModelLine,
    Period,
    ScoringModel,
    ScoringModelVersion,
    TargetOverride,
    Tier,
    TierRequirement,
    check_thresholds,
    period_open_check,
    target_override_check,
)
from partners.api.serializers import VisiblePartnerField
from partnerscore.api import validation_error_detail

BULK_MAX_ROWS = 10_000


def _current(serializer: serializers.Serializer, attrs: dict, name: str, default=None):
    """The value a write will leave: the new one if sent, else the instance's (PATCH)."""
    if name in attrs:
        return attrs[name]
    return getattr(serializer.instance, name, default)


class KPISerializer(serializers.ModelSerializer):
    class Meta:
        model = KPI
        fields = [
            "id",
            "code",
            "name",
            "category",
            "unit",
            "direction",
            "source",
            "aggregation",
            "formula",
            "stale_after_days",
            "description",
        ]

    def validate(self, attrs: dict) -> dict:
        code = _current(self, attrs, "code")
        if self.instance is not None and code != self.instance.code:
            raise serializers.ValidationError(
                {"code": "A KPI's code cannot change: formulas and imports refer to it."}
            )
        kpi = copy.copy(self.instance) if self.instance is not None else KPI()
        for name, value in attrs.items():
            setattr(kpi, name, value)
        try:  # the model's rules (KPI.clean: the formula) and constraints, as in the admin
            kpi.full_clean(validate_unique=False)  # the code's UniqueValidator ran already
        except DjangoValidationError as exc:
            raise serializers.ValidationError(validation_error_detail(exc)) from None
        attrs["formula"] = kpi.formula  # as clean() left it (stripped)
        return attrs


# -- scoring models (read-only) ----------------------------------------------------------------


class ModelLineSerializer(serializers.ModelSerializer):
    kpi = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ModelLine
        fields = ["kpi", "weight", "floor", "target", "stretch"]


class TierRequirementSerializer(serializers.ModelSerializer):
    kpi = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = TierRequirement
        fields = ["kpi", "min_kpi_score"]


class TierSerializer(serializers.ModelSerializer):
    requirements = TierRequirementSerializer(
        many=True,
        read_only=True,
        help_text="SCORING.md 14: the tier is earned only with each of these KPI scores.",
    )

    class Meta:
        model = Tier
        fields = ["name", "min_score", "requirements"]


class ScoringModelVersionSerializer(serializers.ModelSerializer):
    published_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    lines = ModelLineSerializer(many=True, read_only=True)
    tiers = TierSerializer(many=True, read_only=True)

    class Meta:
        model = ScoringModelVersion
        fields = [
            "id",
            "number",
            "status",
            "missing_policy",
            "min_coverage",
            "amber_from",
            "demotion_grace",
            "tier_changes_need_approval",
            "note",
            "created_at",
            "published_at",
            "published_by",
            "lines",
            "tiers",
        ]


class ScoringModelSerializer(serializers.ModelSerializer):
    partner_type = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="Empty: the default model."
    )
    versions = ScoringModelVersionSerializer(many=True, read_only=True)

    class Meta:
        model = ScoringModel
        fields = ["id", "code", "name", "partner_type", "is_default", "versions"]


# -- partner data: overrides and metric values ------------------------------------------------


class TargetOverrideSerializer(serializers.ModelSerializer):
    partner = VisiblePartnerField(help_text="Partner code.")
    kpi = serializers.SlugRelatedField(slug_field="code", queryset=KPI.objects.all())
    period = serializers.SlugRelatedField(slug_field="code", queryset=Period.objects.all())

    class Meta:
        model = TargetOverride
        fields = ["id", "partner", "kpi", "period", "floor", "target", "stretch", "reason"]

    def validate(self, attrs: dict) -> dict:
        try:
            check_thresholds(
                direction=_current(self, attrs, "kpi").direction,
                floor=_current(self, attrs, "floor"),
                target=_current(self, attrs, "target"),
                stretch=_current(self, attrs, "stretch"),
            )
            target_override_check(  # SCORING.md 1 and 7: a line of the model, an open period
                partner=_current(self, attrs, "partner"),
                kpi=_current(self, attrs, "kpi"),
                period=_current(self, attrs, "period"),
                stored=self.instance,
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(validation_error_detail(exc)) from None
        return attrs


class MetricValueSerializer(serializers.ModelSerializer):
    partner = VisiblePartnerField(help_text="Partner code.")
    kpi = serializers.SlugRelatedField(slug_field="code", queryset=KPI.objects.all())

    class Meta:
        model = MetricValue
        fields = ["id", "partner", "kpi", "observed_on", "value", "updated_at"]

    def to_internal_value(self, data):
        """The import's rules first (kpis.imports.rules), so one value written here is refused
        with the very messages a file or a bulk row gets; then the fields read the values."""
        if isinstance(data, Mapping):
            row = {name: data.get(name, self._stored(name)) for name in API_FIELDS}
            errors: dict[str, list[str]] = {}
            for error in api_row_errors(row, user=self.context["request"].user):
                errors.setdefault(API_FIELD_OF[error.field], []).append(error.message)
            if errors:
                raise serializers.ValidationError(errors)
            data = {  # the rules read cells with stray spaces stripped: so do the fields
                name: value.strip() if isinstance(value, str) else value
                for name, value in data.items()
            }
        return super().to_internal_value(data)

    def validate(self, attrs: dict) -> dict:
        """The import's rules refused a new date in a closed period; a change must not move a
        value out of one either (SCORING.md 7)."""
        if self.instance is not None:
            day = self.instance.observed_on
            try:
                period_open_check(day=day, what=f"a metric value dated {day.isoformat()}")
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"observed_on": exc.messages}) from None
        return attrs

    def _stored(self, name: str):
        """A field a partial update leaves as it is, as the API shows it."""
        if self.instance is None or not self.partial:
            return None
        return self.fields[name].to_representation(getattr(self.instance, name))


# -- bulk upsert (documentation of the body; kpis.imports validates the rows) ------------------


class BulkRowSerializer(serializers.Serializer):
    partner = serializers.CharField(help_text="Partner code.")
    kpi = serializers.CharField(help_text="KPI code.")
    observed_on = serializers.DateField()
    value = serializers.FloatField()


class BulkResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField(help_text="Rows received.")
    written = serializers.IntegerField(help_text="Rows inserted or changed.")
    unchanged = serializers.IntegerField(help_text="Rows whose stored value was already equal.")
    preview = serializers.BooleanField(help_text="True: nothing was written.")
    new = serializers.IntegerField(required=False, help_text="Preview only: rows to insert.")
    replaced = serializers.IntegerField(required=False, help_text="Preview only: rows to change.")


class BulkRowErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(
        allow_null=True, help_text="0-based index of the row; null for the whole request."
    )
    field = serializers.CharField(
        allow_blank=True, help_text="partner, kpi, observed_on, value, or '' for the row."
    )
    message = serializers.CharField()


class BulkErrorsSerializer(serializers.Serializer):
    errors = BulkRowErrorSerializer(many=True)
    error_count = serializers.IntegerField(help_text="All errors, also those not listed.")
