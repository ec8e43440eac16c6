from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from kpis.forms import KPIForm
from kpis.models import (
    KPI,
    ImportJob,
    ImportProfile,
    MetricValue,
    ModelLine,
    ScoringModel,
    ScoringModelVersion,
    TargetOverride,
    Tier,
    TierRequirement,
    VersionStatus,
)
from kpis.recompute import request_recompute_of_dates
from kpis.services import (
    target_override_changed,
    version_draft_create,
    version_publish,
)


@admin.register(KPI)
class KPIAdmin(admin.ModelAdmin):
    form = KPIForm
    list_display = ["code", "name", "category", "unit", "direction", "source", "aggregation"]
    list_filter = ["category", "direction", "source", "aggregation"]
    search_fields = ["code", "name"]


class DraftOnlyInline(admin.TabularInline):
    """Published versions are history: only a draft's lines and tiers can change."""

    extra = 0

    def _editable(self, obj) -> bool:
        return obj is None or obj.status == VersionStatus.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class ModelLineInline(DraftOnlyInline):
    model = ModelLine
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


class TierInline(DraftOnlyInline):
    model = Tier
    formset = TierFormSet


@admin.register(ScoringModel)
class ScoringModelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "partner_type", "is_default"]
    search_fields = ["code", "name"]
    actions = ["create_draft"]

    @admin.action(description="Edit: create a draft version (copy of the active one)")
    def create_draft(self, request, queryset):
        for model in queryset:
            draft = version_draft_create(model=model)
            messages.info(request, f"{model.code}: draft v{draft.number} is ready to edit.")


@admin.register(ScoringModelVersion)
class ScoringModelVersionAdmin(admin.ModelAdmin):
    list_display = [
        "model",
        "number",
        "status",
        "missing_policy",
        "min_coverage",
        "amber_from",
        "demotion_grace",
        "tier_changes_need_approval",
        "published_at",
    ]
    list_filter = ["status", "model"]
    inlines = [ModelLineInline, TierInline]
    actions = ["publish"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != VersionStatus.DRAFT:
            return [
                "model",
                "number",
                "status",
                "missing_policy",
                "min_coverage",
                "amber_from",
                "demotion_grace",
                "tier_changes_need_approval",
                "note",
                "published_at",
                "published_by",
            ]
        return ["status", "published_at", "published_by"]

    @admin.action(description="Publish the selected draft (activates it; recomputes open periods)")
    def publish(self, request, queryset):
        for version in queryset:
            try:
                version_publish(version=version, user=request.user)
            except ValidationError as exc:
                messages.error(request, f"{version}: " + " ".join(exc.messages))
            else:
                messages.success(request, f"{version.model.code} v{version.number} is active.")


def tier_label(tier: Tier) -> str:
    return f"{tier.version.model.code} v{tier.version.number}: {tier.name} (>= {tier.min_score:g})"


class DraftTierField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Tier) -> str:
        return tier_label(obj)


class TierRequirementForm(forms.ModelForm):
    """TierRequirement.clean() refuses a KPI outside the version's lines and the entry tier."""

    tier = DraftTierField(
        queryset=Tier.objects.filter(version__status=VersionStatus.DRAFT).select_related(
            "version__model"
        ),
        help_text="A tier of a draft version (published versions are history).",
    )

    class Meta:
        model = TierRequirement
        fields = ["tier", "kpi", "min_kpi_score"]


@admin.register(TierRequirement)
class TierRequirementAdmin(admin.ModelAdmin):
    form = TierRequirementForm
    list_display = ["tier_label", "kpi", "min_kpi_score"]
    list_filter = ["tier__version__model", "tier__version__status"]
    autocomplete_fields = ["kpi"]
    list_select_related = ["tier__version__model", "kpi"]

    @admin.display(description="tier", ordering="tier__version")
    def tier_label(self, obj: TierRequirement) -> str:
        return tier_label(obj.tier)

    def has_change_permission(self, request, obj=None):
        draft = obj is None or obj.tier.version.status == VersionStatus.DRAFT
        return draft and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        draft = obj is None or obj.tier.version.status == VersionStatus.DRAFT
        return draft and super().has_delete_permission(request, obj)


class FrozenInClosedPeriods(admin.ModelAdmin):
    """SCORING.md 7: the delete page and the "delete selected" action list the rows of closed
    periods as what stands in the way (named by their period), and delete nothing."""

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for obj in objs:
            try:
                obj.delete_check()
            except ValidationError as exc:
                protected = [*protected, f"{obj}: {' '.join(exc.messages)}"]
        return deleted, counts, perms_needed, protected


@admin.register(TargetOverride)
class TargetOverrideAdmin(FrozenInClosedPeriods):
    list_display = ["partner", "kpi", "period", "floor", "target", "stretch"]
    list_filter = ["period", "kpi"]
    search_fields = ["partner__code", "partner__name", "kpi__code"]
    autocomplete_fields = ["partner", "kpi"]
    list_select_related = ["partner", "kpi", "period"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        target_override_changed(override=obj)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        target_override_changed(override=obj)


@admin.register(MetricValue)
class MetricValueAdmin(FrozenInClosedPeriods):
    list_display = ["partner", "kpi", "observed_on", "value", "updated_at"]
    list_filter = ["kpi"]
    search_fields = ["partner__code", "kpi__code"]
    date_hierarchy = "observed_on"
    autocomplete_fields = ["partner", "kpi"]
    list_select_related = ["partner", "kpi"]
    show_full_result_count = False  # millions of rows: skip the COUNT(*)

    def _recompute(self, obj):
        request_recompute_of_dates(
            first_day=obj.observed_on,
            last_day=obj.observed_on,
            reason="manual edit",
            partner_id=obj.partner_id,
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._recompute(obj)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._recompute(obj)


@admin.register(ImportProfile)
class ImportProfileAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "partner_column",
        "partner_match",
        "date_column",
        "date_format",
        "decimal",
        "same_day_rows",
    ]
    search_fields = ["name"]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["original_name", "kind", "status", "user", "rows", "written", "created_at"]
    list_filter = ["status", "kind"]
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    def has_add_permission(self, request):
        return False
