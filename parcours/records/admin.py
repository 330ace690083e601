"""The territory administration creates care networks (an organisation of kind « réseau de
santé » plus its profiles); everything else is run by the network's coordinators in the app.
Patient data (records, consents, responses) is not shown here."""

from django.contrib import admin

from .models import Member, Network, Profile


class ProfileInline(admin.TabularInline):
    model = Profile
    extra = 1


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ("organisation", "code")
    inlines = [ProfileInline]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("user", "network", "profile", "since", "until")
    list_filter = ("network",)
    raw_id_fields = ("user",)
