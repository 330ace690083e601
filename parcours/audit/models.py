"""The append-only audit trail of every read and write of patient data.

An audited request appends its rows with a plain INSERT (no lock, no read of another row).
The sealer (worker job ``audit_seal``) then chains the committed rows, in the order it finds
them, into ``AuditLink`` rows and signs an ``AuditCheckpoint`` (count, head digest, time) per
batch, as a transparency log does (RFC 6962 §3.5 signed tree heads; here a hash chain, which
is enough for one verifier reading the whole log). Checkpoints are also appended outside the
database (file, syslog). Database triggers (migrations 0002, 0003) refuse UPDATE and DELETE on
the three tables; the application's database role has neither TRUNCATE nor ownership
(``audit_roles``); ``audit_verify`` checks rows, links and checkpoints against each other and
against the external copy. The admin shows the trail read-only.
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
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("utilisateur"),
    )
    username = models.CharField(_("identifiant"), max_length=150)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    object_type = models.CharField(_("objet"), max_length=50)
    object_id = models.CharField(_("identifiant de l'objet"), max_length=64, blank=True)
    patient_id = models.BigIntegerField(_("patient"), null=True, blank=True, db_index=True)
    # Never cut (issue 13: a search of 100 resources listed 68 of them).
    detail = models.TextField(_("détail"), blank=True)
    # Every id a list or a search showed, as strings (``audit_log(object_ids=…)``).
    object_ids = models.JSONField(_("objets montrés"), default=list, blank=True)
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    channel = models.CharField(_("canal"), max_length=10, default="web")
    # The per-row hash chain of rows written before migration 0003 (empty on later rows):
    # still verified by ``audit_verify``; those rows were sealed in the first checkpoint.
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("événement d'audit")
        verbose_name_plural = _("journal d'audit")
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.username} {self.action} {self.object_type}"


class AuditLink(models.Model):
    """One sealed row: its place in the chain and the chained digest over its content.

    ``digest`` = SHA-256(previous link's digest + canonical JSON of the row), see
    ``parcours.audit.sealing.row_digest``. ``event_id`` is a plain integer, not a foreign key,
    so that a deleted row shows as a dangling link instead of being prevented only by a
    constraint its owner may drop.
    """

    position = models.BigIntegerField(primary_key=True)
    event_id = models.BigIntegerField(unique=True)
    digest = models.CharField(max_length=64)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"#{self.position} → {self.event_id}"


class AuditCheckpoint(models.Model):
    """A signed statement "the first ``count`` links end with ``head``", made at ``at``.

    ``at`` is when the sealing run started: every row committed before it (above the run's
    floor) is in this checkpoint or an earlier one. ``max_event_id`` is the highest row id
    sealed so far (the next runs' floor). ``signature``: Ed25519 (RFC 8032) over
    ``parcours.audit.sealing.checkpoint_message``, base64.
    """

    seq = models.BigIntegerField(primary_key=True)
    count = models.BigIntegerField()
    head = models.CharField(max_length=64)
    at = models.DateTimeField()
    max_event_id = models.BigIntegerField()
    key_id = models.CharField(max_length=16)
    signature = models.CharField(max_length=100)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"checkpoint {self.seq}: {self.count} rows"
