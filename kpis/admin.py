from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from kpis.models import (
    KPI,
    MetricValue,
    ModelLine,
    ScoringModel,
    ScoringModelVersion,
    TargetOverride,
    Tier,
)


@admin.register(KPI)
class KPIAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category", "unit", "direction", "source", "aggregation"]
    list_filter = ["category", "direction", "source", "aggregation"]
    search_fields = ["code", "name"]


class ModelLineInline(admin.TabularInline):
    model = ModelLine
    extra = 0
    autocomplete_fields = ["kpi"]


class TierFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [
            f.cleaned_data
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        if kept and not any(row.get("min_score") == 0 for row in kept):
            raise ValidationError("The tiers must include one with min score 0 (the entry tier).")


class TierInline(admin.TabularInline):
    model = Tier
    formset = TierFormSet
    extra = 0


@admin.register(ScoringModel)
class ScoringModelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "partner_type", "is_default"]
    search_fields = ["code", "name"]


@admin.register(ScoringModelVersion)
class ScoringModelVersionAdmin(admin.ModelAdmin):
    list_display = [
        "model",
        "number",
        "status",
        "missing_policy",
        "min_coverage",
        "amber_from",
        "published_at",
    ]
    list_filter = ["status", "model"]
    inlines = [ModelLineInline, TierInline]


@admin.register(TargetOverride)
class TargetOverrideAdmin(admin.ModelAdmin):
    list_display = ["partner", "kpi", "period", "floor", "target", "stretch"]
    list_filter = ["period", "kpi"]
    search_fields = ["partner__code", "partner__name", "kpi__code"]
    autocomplete_fields = ["partner", "kpi"]
    list_select_related = ["partner", "kpi", "period"]


@admin.register(MetricValue)
class MetricValueAdmin(admin.ModelAdmin):
    list_display = ["partner", "kpi", "observed_on", "value", "updated_at"]
    list_filter = ["kpi"]
    search_fields = ["partner__code", "kpi__code"]
    date_hierarchy = "observed_on"
    autocomplete_fields = ["partner", "kpi"]
    list_select_related = ["partner", "kpi"]
    show_full_result_count = False  # millions of rows: skip the COUNT(*)
