"""The spaces in the Django admin: for the territory's administrators to look, not to moderate
(owners and moderators do that in the spaces themselves). Versions are read-only, never
deleted."""

from django.contrib import admin

from .models import PageVersion, Space, SpaceMember


class MemberInline(admin.TabularInline):
    model = SpaceMember
    extra = 0
    fields = ("user", "role", "state", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)


@admin.register(Space)
class SpaceAdmin(admin.ModelAdmin):
    list_display = ("name", "policy", "created_by", "created_at")
    list_filter = ("policy",)
    search_fields = ("name",)
    readonly_fields = ("created_by", "created_at")
    inlines = [MemberInline]


@admin.register(PageVersion)
class PageVersionAdmin(admin.ModelAdmin):
    list_display = ("page", "number", "author", "created_at", "note")
    search_fields = ("page__title",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
