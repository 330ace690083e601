"""The append-only audit trail of every read and write of patient data.

Tamper-evident: each row stores the SHA-256 of its own content chained to the previous row's
hash, so editing or deleting a row breaks the chain (``audit_verify``). Database triggers
(migration 0002) refuse UPDATE and DELETE on the table, and the admin shows it read-only.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        READ = "read", _("Lecture")
        CREATE = "create", _("Création")
        UPDATE = "update", _("Modification")
        DOWNLOAD = "download", _("Téléchargement")
        SEARCH = "search", _("Recherche")

    at = models.DateTimeField(_("date"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                             related_name="+", verbose_name=_("utilisateur"))
    username = models.CharField(_("identifiant"), max_length=150)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    object_type = models.CharField(_("objet"), max_length=50)
    object_id = models.CharField(_("identifiant de l'objet"), max_length=64, blank=True)
    patient_id = models.BigIntegerField(_("patient"), null=True, blank=True, db_index=True)
    detail = models.CharField(_("détail"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    channel = models.CharField(_("canal"), max_length=10, default="web")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("événement d'audit")
        verbose_name_plural = _("journal d'audit")
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.username} {self.action} {self.object_type}"
