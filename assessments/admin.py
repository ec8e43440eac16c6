from django.contrib import admin, messages
from django.db import transaction

from assessments.models import OfficialTier, RecomputeRun, Scorecard, TierChange, TierProposal
from assessments.services import period_close, period_reopen
from kpis.models import Period, PeriodStatus
from kpis.recompute import request_recompute


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ["code", "start", "end", "granularity", "status"]
    list_filter = ["granularity", "status"]
    search_fields = ["code"]
    readonly_fields = ["status", "closed_at"]  # changed only by the close/reopen actions
    actions = ["recompute", "close", "reopen"]

    @admin.action(description="Close the selected periods (freeze their scorecards)")
    def close(self, request, queryset):
        for period in queryset.filter(status=PeriodStatus.OPEN):
            period_close(period=period)
            messages.info(request, f"{period.code} is closed; its scorecards are frozen.")

    @admin.action(description="Reopen the selected closed periods (they will be recomputed)")
    def reopen(self, request, queryset):
        for period in queryset.filter(status=PeriodStatus.CLOSED):
            period_reopen(period=period)
            messages.warning(request, f"{period.code} is open again and will be recomputed.")

    @admin.action(description="Recompute scorecards of the selected open periods")
    def recompute(self, request, queryset):
        ids = list(queryset.filter(status=PeriodStatus.OPEN).values_list("pk", flat=True))
        with transaction.atomic():
            request_recompute(period_ids=ids, reason=f"admin:{request.user.username}")
        messages.info(request, f"Recompute enqueued for {len(ids)} open period(s).")


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = ["partner", "period", "score", "tier", "status", "rank", "percentile"]
    list_filter = ["period", "status", "tier", "partner_type"]
    search_fields = ["partner__code", "partner__name"]
    list_select_related = ["partner", "period"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # written by the recompute only

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RecomputeRun)
class RecomputeRunAdmin(admin.ModelAdmin):
    list_display = [
        "period",
        "trigger",
        "status",
        "started_at",
        "duration",
        "scorecards",
        "lines",
        "metric_values",
    ]
    list_filter = ["status", "period"]
    readonly_fields = [f.name for f in RecomputeRun._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(TierChange)
class TierChangeAdmin(admin.ModelAdmin):
    list_display = ["partner", "period", "from_tier", "to_tier", "direction", "detected_at"]
    list_filter = ["period", "direction"]
    search_fields = ["partner__code", "partner__name"]
    list_select_related = ["partner", "period"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written by the recompute and assessments.approvals (decisions need a reason and a
    manager, SCORING.md 15): the admin lists them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TierProposal)
class TierProposalAdmin(ReadOnlyAdmin):
    list_display = ["partner", "period", "from_tier", "to_tier", "status", "decided_by"]
    list_filter = ["status", "period"]
    search_fields = ["partner__code", "partner__name"]
    list_select_related = ["partner", "period", "decided_by"]


@admin.register(OfficialTier)
class OfficialTierAdmin(ReadOnlyAdmin):
    list_display = ["partner", "tier", "since_period", "approved_by", "changed_at"]
    list_filter = ["tier"]
    search_fields = ["partner__code", "partner__name"]
    list_select_related = ["partner", "since_period", "approved_by"]


from assessments import admin_reviews  # noqa: E402, F401  (rubrics and assessments)
