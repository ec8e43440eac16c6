"""Admin of the quarterly assessments: rubrics are edited here; assessments are read here
(their ratings and history inline) and changed only through the workflow (the pages, the
API), which checks the period, the rules and asks for the recompute."""

from django.contrib import admin

from assessments.models import Assessment, AssessmentRating, AssessmentTransition, Rubric


@admin.register(Rubric)
class RubricAdmin(admin.ModelAdmin):
    list_display = ["kpi", "level_1", "level_3", "level_5"]
    search_fields = ["kpi__code", "kpi__name"]
    list_select_related = ["kpi"]
    fields = ["kpi", "level_1", "level_2", "level_3", "level_4", "level_5"]


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RatingInline(_ReadOnlyInline):
    model = AssessmentRating
    fields = readonly_fields = ("kpi", "rating", "comment")


class TransitionInline(_ReadOnlyInline):
    model = AssessmentTransition
    fields = readonly_fields = ("at", "from_status", "to_status", "by", "note")
    ordering = ["at", "pk"]


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["partner", "period", "status", "assessor", "updated_at"]
    list_filter = ["status", "period"]
    search_fields = ["partner__code", "partner__name"]
    list_select_related = ["partner", "period", "assessor"]
    show_full_result_count = False
    readonly_fields = [
        "partner",
        "period",
        "status",
        "assessor",
        "summary",
        "partner_response",
        "created_at",
        "updated_at",
    ]
    inlines = [RatingInline, TransitionInline]

    def has_add_permission(self, request):
        return False  # a draft is started on the assessment page or through the API

    def has_change_permission(self, request, obj=None):
        return False  # the workflow changes it (the period's rules, the recompute)

    def has_delete_permission(self, request, obj=None):
        return False
