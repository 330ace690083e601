from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from . import services
from .models import ApiToken, Membership, OAuthClient, PscIdentity, User
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


class PscLinkFilter(admin.SimpleListFilter):
    title = "compte"
    parameter_name = "compte"

    def lookups(self, request, model_admin):
        return [("sans", "sans compte (à inviter)"), ("avec", "rattachée à un compte")]

    def queryset(self, request, queryset):
        if self.value() == "sans":
            return queryset.filter(user__isnull=True)
        if self.value() == "avec":
            return queryset.filter(user__isnull=False)
        return queryset


@admin.register(PscIdentity)
class PscIdentityAdmin(admin.ModelAdmin):
    """Pro Santé Connect identities. One without account is a professional who signed in
    through PSC and whom Parcours did not know: choosing the account here invites them (their
    next PSC login opens it). Rows are made by PSC logins only."""

    list_display = ["subject_name_id", "family_name", "given_name", "user", "last_login_at"]
    list_filter = [PscLinkFilter]
    search_fields = ["subject_name_id", "family_name", "given_name", "user__username"]
    autocomplete_fields = ["user"]
    fields = [
        "subject_name_id",
        "given_name",
        "family_name",
        "user",
        "first_seen_at",
        "last_login_at",
        "linked_at",
    ]
    readonly_fields = [
        "subject_name_id",
        "given_name",
        "family_name",
        "first_seen_at",
        "last_login_at",
        "linked_at",
    ]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        services.psc_identity_link(identity=obj, user=obj.user)


@admin.register(OAuthClient)
class OAuthClientAdmin(admin.ModelAdmin):
    """Systems using OAuth 2 client credentials (fhir/oauth.py). Registered with
    ``parcours oauth_client NAME USERNAME`` (the secret is shown once); here they are listed
    and deactivated."""

    list_display = ["name", "client_id", "user", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "client_id", "user__username"]
    fields = ["name", "client_id", "user", "active", "created_at"]
    readonly_fields = ["client_id", "user", "created_at"]

    def has_add_permission(self, request):
        return False
