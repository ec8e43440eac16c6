"""Admin of feedback threads (replies inline), meetings and improvement plans (actions inline).
The pages and the API are where the rules apply; the admin is for support staff."""

from django.contrib import admin

from feedback.models import FeedbackReply, FeedbackThread, ImprovementPlan, Meeting, PlanAction


class ReplyInline(admin.TabularInline):
    model = FeedbackReply
    extra = 0
    raw_id_fields = ["author"]
    readonly_fields = ["created_at"]


@admin.register(FeedbackThread)
class FeedbackThreadAdmin(admin.ModelAdmin):
    list_display = ["subject", "partner", "direction", "topic", "status", "updated_at"]
    list_filter = ["status", "direction", "topic"]
    search_fields = ["subject", "partner__code", "partner__name"]
    raw_id_fields = ["partner", "created_by"]
    list_select_related = ["partner"]
    inlines = [ReplyInline]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["partner", "period", "kind", "held_on"]
    list_filter = ["kind", "period"]
    search_fields = ["partner__code", "partner__name", "notes", "decisions"]
    raw_id_fields = ["partner", "assessment", "created_by"]
    list_select_related = ["partner", "period"]


class ActionInline(admin.TabularInline):
    model = PlanAction
    extra = 0
    raw_id_fields = ["owner", "kpi"]
    fields = ["title", "owner", "due_on", "status", "kpi", "aim_value", "baseline_value", "done_at"]


@admin.register(ImprovementPlan)
class ImprovementPlanAdmin(admin.ModelAdmin):
    list_display = ["partner", "period", "signed_off_at", "signed_off_by"]
    list_filter = ["period"]
    search_fields = ["partner__code", "partner__name", "goal"]
    raw_id_fields = ["partner", "created_by", "signed_off_by"]
    list_select_related = ["partner", "period", "signed_off_by"]
    inlines = [ActionInline]
