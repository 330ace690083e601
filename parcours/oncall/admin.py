from django.contrib import admin

from .models import Roster, RosterMember, ShiftTemplate


class MemberInline(admin.TabularInline):
    model = RosterMember
    extra = 0
    autocomplete_fields = ["practitioner"]


class TemplateInline(admin.TabularInline):
    model = ShiftTemplate
    extra = 0


@admin.register(Roster)
class RosterAdmin(admin.ModelAdmin):
    """Rosters are set up here (line, periods, doctors of the rota, managers); day-to-day work
    (generation, assignments, replacements, swaps, publication) happens on the roster pages,
    through the services (locks, history, notifications)."""

    list_display = ["name", "kind", "mode", "sector", "service", "active"]
    list_filter = ["kind", "mode", "active"]
    search_fields = ["name", "sector", "service__name"]
    autocomplete_fields = ["service"]
    filter_horizontal = ["managers"]
    inlines = [TemplateInline, MemberInline]
