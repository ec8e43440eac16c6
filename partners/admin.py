from django.contrib import admin

from partners.models import (
    AccessEvent,
    Invitation,
    ManagerProfile,
    Partner,
    PartnerType,
    PortalUser,
    Region,
)


@admin.register(PartnerType)
class PartnerTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


class PortalUserInline(admin.TabularInline):
    model = PortalUser
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "partner_type", "region", "manager", "is_active"]
    list_filter = ["partner_type", "region", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["partner_type", "region", "manager"]
    autocomplete_fields = ["manager"]
    inlines = [PortalUserInline]


@admin.register(PortalUser)
class PortalUserAdmin(admin.ModelAdmin):
    list_display = ["user", "partner", "is_partner_admin"]
    list_filter = ["is_partner_admin"]
    search_fields = ["user__username", "partner__code", "partner__name"]
    autocomplete_fields = ["user", "partner"]
    list_select_related = ["user", "partner"]


@admin.register(ManagerProfile)
class ManagerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "sees_all_partners"]
    list_filter = ["sees_all_partners"]
    search_fields = ["user__username"]
    autocomplete_fields = ["user"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only: invitations are sent from the portal (the token is only stored hashed)."""

    list_display = ["email", "partner", "invited_by", "created_at", "expires_at", "used_at"]
    list_filter = ["used_at"]
    search_fields = ["email", "partner__code"]
    list_select_related = ["partner", "invited_by"]
    exclude = ["token_hash"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AccessEvent)
class AccessEventAdmin(admin.ModelAdmin):
    """Sign-ins, invitations, password resets and exports: who, what, when. Read-only."""

    list_display = ["at", "kind", "username", "what", "ip_address"]
    list_filter = ["kind", "at"]
    search_fields = ["username", "what"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
