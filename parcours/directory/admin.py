from django.contrib import admin

from .models import HospitalService, Organisation, Practitioner, PractitionerRole, ServiceDelay


class ServiceInline(admin.TabularInline):
    model = HospitalService
    extra = 0
    fields = ["name", "specialty", "accepts_requests", "sla_hours", "sla_working_days"]
    show_change_link = True


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "town", "finess", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "town", "finess"]
    inlines = [ServiceInline]


class DelayInline(admin.TabularInline):
    model = ServiceDelay
    extra = 0


@admin.register(HospitalService)
class HospitalServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "hospital", "specialty", "sla_hours", "sla_working_days",
                    "accepts_requests"]
    list_filter = ["hospital", "accepts_requests"]
    search_fields = ["name", "specialty", "hospital__name"]
    autocomplete_fields = ["head"]
    inlines = [DelayInline]


class RoleInline(admin.TabularInline):
    model = PractitionerRole
    extra = 0
    autocomplete_fields = ["organisation", "service"]


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "specialty", "rpps"]
    search_fields = ["last_name", "first_name", "rpps", "specialty"]
    inlines = [RoleInline]
    autocomplete_fields = ["user"]
