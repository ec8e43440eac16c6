from django.contrib import admin

from partners.models import Partner, PartnerType, PortalUser, Region


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
    list_display = ["user", "partner"]
    search_fields = ["user__username", "partner__code", "partner__name"]
    autocomplete_fields = ["user", "partner"]
    list_select_related = ["user", "partner"]
