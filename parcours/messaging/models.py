"""Secure messaging between professionals, discharge letters, and the external gateway.

Texts and attachments are stored encrypted (``parcours.lib.crypto``: Fernet with rotation); each
message carries its sender's Ed25519 signature over a digest of its content, which every view
checks. Search runs on blind tokens (keyed hashes of words), never on clear text.

A message is delivered by *mailbox entries*: one per participant (the sender's in "sent", each
recipient's in "inbox"), which carry the folder and the read time (the read receipt).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SigningKey(models.Model):
    """A signing key pair. The private half is encrypted at rest like the mail; the platform
    signs on behalf of the authenticated sender (a server-held key, as MSSanté operators do).
    ``user`` is empty for the platform's own key (lab results, gateway)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signing_keys",
    )
    public_key = models.BinaryField()
    private_enc = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"], name="signingkey_user")]

    def __str__(self) -> str:
        return f"clé {self.pk} ({self.user_id or 'plateforme'})"


class Folder(models.Model):
    """A personal folder; the system folders (inbox, sent, archive, trash) are not rows."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_folders"
    )
    name = models.CharField(_("nom"), max_length=60)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="mailfolder_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Thread(models.Model):
    subject_enc = models.TextField()
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mail_threads",
    )
    created_at = models.DateTimeField()
    last_message_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["patient", "-last_message_at"], name="thread_patient")]

    def __str__(self) -> str:
        return f"fil {self.pk}"


class Message(models.Model):
    class Kind(models.TextChoices):
        MAIL = "mail", _("Message")
        LETTER = "letter", _("Lettre de liaison")
        LAB = "lab", _("Résultats de biologie")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MAIL)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sent_messages",
    )
    # Who sent it when not a Parcours user: the lab's name, or an external address.
    sender_label = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField()
    body_enc = models.TextField()
    # External recipients (the gateway's outbox rows hold their delivery state).
    external_to = models.JSONField(default=list, blank=True)
    # The digest signed: recomputed from the decrypted content on every view.
    signing_key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="+")
    signature = models.CharField(max_length=100)
    search_tokens = models.TextField(blank=True)
    # Internet Message-ID of a message received by the gateway (no duplicate on retry).
    external_id = models.CharField(max_length=250, null=True, blank=True, unique=True)
    lab_report = models.ForeignKey(
        "labs.LabReport", on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["thread", "sent_at"], name="message_thread")]

    def __str__(self) -> str:
        return f"message {self.pk}"


def attachment_path(instance, filename: str) -> str:
    # Encrypted bytes under a random name: neither the user's file name nor its content on disk.
    return f"mail/{uuid.uuid4().hex}.bin"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(_("nom"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)  # of the clear content, part of the signature
    file = models.FileField(upload_to=attachment_path)

    def __str__(self) -> str:
        return self.name


class MailboxEntry(models.Model):
    class Box(models.TextChoices):
        INBOX = "inbox", _("Boîte de réception")
        SENT = "sent", _("Envoyés")
        ARCHIVE = "archive", _("Archives")
        TRASH = "trash", _("Corbeille")

    class Role(models.TextChoices):
        FROM = "from", _("expéditeur")
        TO = "to", _("destinataire")
        CC = "cc", _("copie")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="entries")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mailbox_entries"
    )
    role = models.CharField(max_length=4, choices=Role.choices)
    box = models.CharField(max_length=8, choices=Box.choices)
    folder = models.ForeignKey(
        Folder, on_delete=models.SET_NULL, null=True, blank=True, related_name="entries"
    )
    read_at = models.DateTimeField(null=True, blank=True)
    # Copied from the message so the mailbox list is one index scan.
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="mailboxentry_unique")
        ]
        indexes = [
            models.Index(fields=["user", "box", "-sent_at"], name="mailbox_list"),
            models.Index(fields=["user", "read_at"], name="mailbox_unread"),
            models.Index(fields=["user", "thread"], name="mailbox_thread"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.message_id}"


class OutboundMail(models.Model):
    """The gateway's outbox: one row per external address; the worker sends it by SMTP and
    retries with back-off, so nothing is lost while the relay is down."""

    class State(models.TextChoices):
        PENDING = "pending", _("En attente")
        SENT = "sent", _("Envoyé")
        FAILED = "failed", _("Échec définitif")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="outbound")
    to_address = models.EmailField(max_length=254)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="outbound_due")]

    def __str__(self) -> str:
        return self.to_address


class DischargeLetter(models.Model):
    """The letter a hospital service owes the treating doctor after a stay: due 48 h after
    discharge; sent through the mailbox; acknowledged by the treating doctor."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="discharge_letters"
    )
    service = models.ForeignKey(
        "directory.HospitalService",
        on_delete=models.PROTECT,
        related_name="discharge_letters",
        verbose_name=_("service"),
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="received_letters",
        verbose_name=_("médecin traitant"),
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    admitted_on = models.DateField(_("entrée le"), null=True, blank=True)
    discharged_at = models.DateTimeField(_("sortie le"))
    due_at = models.DateTimeField(_("à envoyer avant"))
    alert_at = models.DateTimeField()
    message = models.OneToOneField(
        Message, on_delete=models.PROTECT, null=True, blank=True, related_name="discharge_letter"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("reçue le"), null=True, blank=True)
    at_risk_notified_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-discharged_at", "-id"]
        indexes = [
            models.Index(fields=["service", "-discharged_at"], name="letter_service"),
            # The escalation sweep: letters not sent yet, by due time.
            models.Index(fields=["sent_at", "due_at"], name="letter_due"),
        ]

    def __str__(self) -> str:
        return f"lettre {self.pk}"

    @property
    def state(self) -> str:
        if self.sent_at is None:
            return "late" if timezone.now() > self.due_at else "pending"
        if self.acknowledged_at:
            return "acknowledged"
        return "on_time" if self.sent_at <= self.due_at else "sent_late"

    @property
    def on_time(self) -> bool | None:
        return None if self.sent_at is None else self.sent_at <= self.due_at
