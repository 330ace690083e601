from django.contrib import admin

from .models import AuditCheckpoint, AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is never edited from the application."""

    list_display = [
        "at",
        "username",
        "action",
        "object_type",
        "object_id",
        "patient_id",
        "channel",
        "ip",
    ]
    list_filter = ["action", "object_type", "channel"]
    search_fields = ["username", "object_id", "detail"]
    readonly_fields = ["object_ids"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(_ReadOnly):
    """The sealer's signed checkpoints, read-only."""

    list_display = ["seq", "count", "at", "head", "key_id"]
