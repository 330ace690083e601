"""Admin: the SMP's sites and staff are configured here (territory administrator); episodes
and consultations are patient data, read and written through the SMP pages only."""

from django.contrib import admin

from .models import Site, StaffMember


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation", "town", "antenna")
    list_filter = ("antenna",)


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "site", "supervisor", "active")
    list_filter = ("kind", "active", "site")
    raw_id_fields = ("user", "supervisor", "schedule")
