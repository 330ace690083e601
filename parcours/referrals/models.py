"""Requests from a GP to a hospital service (FHIR ServiceRequest + Task), their history,
exchange thread and attachments."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .workflow import AWAITING_ANSWER, TO_HANDLE, Action, AnswerKind, Clock, Kind, Status


class Referral(models.Model):
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("patient"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="referrals_written",
        verbose_name=_("demandeur"),
    )
    author_organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cabinet du demandeur"),
    )
    service = models.ForeignKey(
        "directory.HospitalService",
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("service"),
    )
    # Denormalised from service.hospital so the desk inbox filters on one indexed column.
    hospital = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        related_name="referrals_received",
        verbose_name=_("établissement"),
    )
    kind = models.CharField(_("type de demande"), max_length=20, choices=Kind.choices)
    question = models.TextField(_("question clinique"))
    context = models.TextField(_("contexte"), blank=True)
    wished_from = models.DateField(_("souhaité à partir du"), null=True, blank=True)
    wished_until = models.DateField(_("souhaité au plus tard le"), null=True, blank=True)

    status = models.CharField(
        _("statut"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_assigned",
        verbose_name=_("médecin en charge"),
    )

    submitted_at = models.DateTimeField(_("envoyée le"), default=timezone.now)
    due_at = models.DateTimeField(_("réponse attendue avant"))
    at_risk_at = models.DateTimeField(_("alerte à partir de"))
    paused_at = models.DateTimeField(null=True, blank=True)
    at_risk_notified_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(_("répondue le"), null=True, blank=True)
    closed_at = models.DateTimeField(_("clôturée le"), null=True, blank=True)

    answer_kind = models.CharField(
        _("type de réponse"), max_length=20, choices=AnswerKind.choices, blank=True
    )
    answer_text = models.TextField(_("réponse"), blank=True)
    answer_date = models.DateTimeField(_("date proposée"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("répondue par"),
    )
    # When the requesting GP first opened the answer: the GP's list puts unread answers first.
    answer_read_at = models.DateTimeField(_("réponse lue le"), null=True, blank=True)
    close_reason = models.TextField(_("motif"), blank=True)
    # What a connected system sent with a ServiceRequest and the web form does not ask for,
    # kept and returned as sent (issue 21, "no silent loss"): its own identifier of the
    # request, the coded request (ServiceRequest.code), the codings of the clinical question
    # (reasonCode.coding) and the wished occurrence as sent (occurrenceDateTime or
    # occurrencePeriod with times; wished_from / wished_until keep its days for the pages).
    identifier_system = models.CharField(max_length=200, blank=True)
    identifier_value = models.CharField(max_length=100, blank=True, db_index=True)
    code = models.JSONField(default=dict, blank=True)
    reason_codings = models.JSONField(default=list, blank=True)
    occurrence = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("demande")
        verbose_name_plural = _("demandes")
        indexes = [
            # The desk inbox: open requests of a hospital, by time left.
            models.Index(fields=["hospital", "status", "due_at"], name="referral_inbox"),
            # The inbox's default view (all open statuses, by time left): an IN over three
            # statuses cannot read referral_inbox in due_at order, so PostgreSQL sorted every
            # open request of the hospital to show 50 (~70 ms at 20,000); this partial index
            # gives them already ordered and the first page reads 50 index entries.
            models.Index(
                fields=["hospital", "due_at", "id"],
                name="referral_inbox_open",
                condition=models.Q(status__in=TO_HANDLE),
            ),
            models.Index(fields=["service", "status", "due_at"], name="referral_service"),
            models.Index(fields=["assigned_to", "status"], name="referral_assignee"),
            models.Index(fields=["author", "-submitted_at"], name="referral_author"),
            # The escalation sweep: requests still awaiting an answer, by their alert times.
            models.Index(fields=["status", "at_risk_at"], name="referral_sweep_risk"),
            models.Index(fields=["status", "due_at"], name="referral_sweep_due"),
        ]

    def __str__(self) -> str:
        return f"Demande n° {self.pk} — {self.get_kind_display()}"

    @property
    def reference(self) -> str:
        return f"D-{self.pk:06d}"

    def clock(self, now=None) -> str:
        if self.status not in AWAITING_ANSWER:
            return Clock.PAUSED if self.status == Status.INFO_REQUESTED else Clock.DONE
        now = now or timezone.now()
        if now >= self.due_at:
            return Clock.OVERDUE
        if now >= self.at_risk_at:
            return Clock.AT_RISK
        return Clock.ON_TIME

    def get_clock_display(self) -> str:
        return str(Clock(self.clock()).label)

    def time_left(self, now=None):
        return self.due_at - (now or timezone.now())

    @property
    def answered_on_time(self) -> bool | None:
        if self.answered_at is None:
            return None
        return self.answered_at <= self.due_at


class ReferralEvent(models.Model):
    """One step of a referral's timeline: who, when, what changed (Oscar's OrderStatusChange)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["referral", "at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.at:%d/%m/%Y %H:%M})"


class ReferralMessage(models.Model):
    """A message of the request's exchange thread."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Message {self.pk} sur la demande {self.referral_id}"


def attachment_path(instance, filename: str) -> str:
    # Never the user's file name on disk: a random name under the referral's folder.
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    return f"referrals/{instance.referral_id}/{instance.sha256[:16]}-{stamp}"


class ReferralAttachment(models.Model):
    class Part(models.TextChoices):
        REQUEST = "request", _("Demande")
        ANSWER = "answer", _("Réponse")
        MESSAGE = "message", _("Échange")

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        ReferralMessage, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    part = models.CharField(max_length=10, choices=Part.choices, default=Part.REQUEST)
    file = models.FileField(upload_to=attachment_path)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name
