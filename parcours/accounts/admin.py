from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["organisation", "service"]


@admin.register(User)
class ParcoursUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "last_name", "first_name", "email", "is_active"]
    search_fields = ["username", "last_name", "first_name", "email", "rpps"]
    fieldsets = UserAdmin.fieldsets + (
        ("Parcours", {"fields": ("title", "rpps", "phone", "email_notifications")}),
    )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "organisation", "service"]
    list_filter = ["role", "organisation"]
    autocomplete_fields = ["user", "organisation", "service"]
