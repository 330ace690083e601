from django.contrib import admin

from .models import (
    ContactEdit,
    HospitalService,
    ImportRun,
    Organisation,
    Practitioner,
    PractitionerRole,
    ServiceDelay,
)


class ServiceInline(admin.TabularInline):
    model = HospitalService
    extra = 0
    fields = ["name", "specialty", "accepts_requests", "sla_hours", "sla_working_days"]
    show_change_link = True


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "town", "finess", "source", "active"]
    list_filter = ["kind", "source", "active"]
    search_fields = ["name", "town", "finess", "=structure_id"]
    inlines = [ServiceInline]


class DelayInline(admin.TabularInline):
    model = ServiceDelay
    extra = 0


@admin.register(HospitalService)
class HospitalServiceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "hospital",
        "specialty",
        "sla_hours",
        "sla_working_days",
        "accepts_requests",
    ]
    list_filter = ["hospital", "accepts_requests"]
    search_fields = ["name", "specialty", "hospital__name"]
    autocomplete_fields = ["head"]
    inlines = [DelayInline]


class RoleInline(admin.TabularInline):
    model = PractitionerRole
    extra = 0
    autocomplete_fields = ["organisation", "service"]
    exclude = ["import_key"]


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "specialty", "rpps", "source", "active"]
    list_filter = ["source", "active"]
    search_fields = ["last_name", "=rpps", "=national_id"]
    readonly_fields = ["national_id", "imported_phone", "imported_email", "source"]
    inlines = [RoleInline]
    autocomplete_fields = ["user"]


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "file_name",
        "status",
        "encoding",
        "rows_read",
        "rows_rejected",
        "practitioners_added",
        "practitioners_changed",
        "practitioners_gone",
        "organisations_added",
        "roles_added",
    ]
    list_filter = ["status"]
    readonly_fields = [f.name for f in ImportRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ContactEdit)
class ContactEditAdmin(admin.ModelAdmin):
    list_display = [
        "edited_at",
        "edited_by",
        "practitioner",
        "service",
        "field",
        "old_value",
        "new_value",
    ]
    list_select_related = ["edited_by", "practitioner", "service"]
    raw_id_fields = ["practitioner", "service", "edited_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
