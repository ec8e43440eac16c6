"""Admin of feedback's alerts: alerts are read-only (raised by the recompute and reminders;
each user reads and marks their own on /alerts/); notification settings are editable."""

from django.contrib import admin

from feedback.models import Alert, NotificationSettings


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "kind",
        "user",
        "partner",
        "period",
        "created_at",
        "read_at",
        "emailed_at",
    ]
    list_filter = ["kind", "period", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "key", "user__username", "partner__code", "partner__name"]
    list_select_related = ["user", "partner", "period"]
    readonly_fields = [f.name for f in Alert._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "email_alerts"]
    list_filter = ["email_alerts"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]
