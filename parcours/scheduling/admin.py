from django.contrib import admin

from .models import Act, AvailabilityRule, Schedule, ScheduleException


class ActInline(admin.TabularInline):
    model = Act
    extra = 0


class RuleInline(admin.TabularInline):
    model = AvailabilityRule
    extra = 0
    autocomplete_fields = ["partner"]


class ExceptionInline(admin.TabularInline):
    model = ScheduleException
    extra = 0
    exclude = ["created_by"]


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    """Agendas are set up here by the territory administrator (rules, acts, pools); day-to-day
    work (closures, bookings, reports) happens on the agenda pages. Appointments are not
    editable here: they change only through the services (locks, notifications, audit)."""

    list_display = ["name", "kind", "device", "organisation", "service", "active"]
    list_filter = ["kind", "device", "active"]
    search_fields = ["name", "organisation__name"]
    autocomplete_fields = ["organisation", "service", "practitioner"]
    inlines = [ActInline, RuleInline, ExceptionInline]
