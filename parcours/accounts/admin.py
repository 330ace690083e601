from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import ApiToken, Membership, User
from .services import api_tokens_revoke


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["organisation", "service"]


@admin.register(User)
class ParcoursUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "last_name", "first_name", "email", "is_active"]
    search_fields = ["username", "last_name", "first_name", "email", "rpps"]
    fieldsets = tuple(UserAdmin.fieldsets or ()) + (
        ("Parcours", {"fields": ("title", "rpps", "phone", "email_notifications")}),
    )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "organisation", "service"]
    list_filter = ["role", "organisation"]
    autocomplete_fields = ["user", "organisation", "service"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by ``parcours token USERNAME`` (shown once); here they are only
    listed and revoked, never created or read back."""

    list_display = [
        "prefix",
        "user",
        "name",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "prefix", "name"]
    # Revocation is final: revoked_at is set by the action or the command, never edited back.
    readonly_fields = ["user", "prefix", "created_at", "last_used_at", "revoked_at"]
    fields = ["user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Révoquer les jetons sélectionnés")
    def revoke(self, request, queryset):
        count = api_tokens_revoke(token_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} jeton(s) révoqué(s).")
