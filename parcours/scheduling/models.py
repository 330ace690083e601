"""Shared agendas: schedules, their recurring availability, materialised slots and bookings.

Availability is described once (weekly rules per act and pool, exceptions, public holidays)
and *materialised* as Slot rows a few weeks ahead (``slots_generate``). Rows make the free-slot
search a plain indexed range scan, give each slot a stable id for FHIR (``Slot/42``) and a row
to lock when two GPs book it at the same instant.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def _ical_token() -> str:
    return secrets.token_urlsafe(24)


class Pool(models.TextChoices):
    OPEN = "open", _("Ouvert à tous les médecins partenaires")
    PARTNER = "partner", _("Réservé à une structure partenaire")
    URGENT = "urgent", _("Réservé aux urgences")


class Schedule(models.Model):
    """The agenda of a practitioner, a hospital service or a device (ultrasound, CT, MRI)."""

    class Kind(models.TextChoices):
        PRACTITIONER = "practitioner", _("Praticien")
        SERVICE = "service", _("Service")
        DEVICE = "device", _("Équipement d'imagerie")

    class Device(models.TextChoices):
        ULTRASOUND = "ultrasound", _("Échographie")
        CT = "ct", _("Scanner")
        MRI = "mri", _("IRM")
        XRAY = "xray", _("Radiographie")

    name = models.CharField(_("nom"), max_length=150)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    device = models.CharField(_("équipement"), max_length=20, choices=Device.choices, blank=True)
    organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        related_name="schedules",
        verbose_name=_("organisation"),
    )
    service = models.ForeignKey(
        "directory.HospitalService",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="schedules",
        verbose_name=_("service"),
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="schedules",
        verbose_name=_("praticien"),
    )
    active = models.BooleanField(_("actif"), default=True)
    # Release rule: a reserved slot (partner or urgent pool) still free this many hours before
    # it starts goes back to the open pool, so reserved capacity is not lost.
    release_hours = models.PositiveIntegerField(
        _("libération des créneaux réservés (heures avant)"), default=48
    )
    horizon_weeks = models.PositiveIntegerField(_("créneaux ouverts sur (semaines)"), default=8)
    ical_token = models.CharField(max_length=40, unique=True, default=_ical_token, editable=False)

    class Meta:
        verbose_name = _("agenda")
        verbose_name_plural = _("agendas")
        ordering = ["organisation__name", "name"]

    def __str__(self) -> str:
        return f"{self.name} — {self.organisation.name}"

    @property
    def is_imaging(self) -> bool:
        return self.kind == self.Kind.DEVICE


class Act(models.Model):
    """What is booked (a consultation, a thyroid ultrasound…): its length and what to bring."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="acts")
    name = models.CharField(_("acte"), max_length=150)
    duration_minutes = models.PositiveIntegerField(_("durée (minutes)"), default=20)
    instructions = models.TextField(_("à apporter / préparation"), blank=True)

    class Meta:
        verbose_name = _("acte")
        verbose_name_plural = _("actes")
        ordering = ["schedule_id", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.duration_minutes} min)"


class AvailabilityRule(models.Model):
    """A recurring weekly opening: e.g. Tuesdays 8:30–12:30, thyroid ultrasound, MSP pool."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="rules")
    weekday = models.PositiveSmallIntegerField(
        _("jour"),
        choices=[
            (0, _("lundi")),
            (1, _("mardi")),
            (2, _("mercredi")),
            (3, _("jeudi")),
            (4, _("vendredi")),
            (5, _("samedi")),
            (6, _("dimanche")),
        ],
    )
    start_time = models.TimeField(_("début"))
    end_time = models.TimeField(_("fin"))
    act = models.ForeignKey(
        Act, on_delete=models.CASCADE, related_name="rules", verbose_name=_("acte")
    )
    pool = models.CharField(
        _("réservation"), max_length=10, choices=Pool.choices, default=Pool.OPEN
    )
    partner = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("structure partenaire"),
    )
    valid_from = models.DateField(_("à partir du"), null=True, blank=True)
    valid_until = models.DateField(_("jusqu'au"), null=True, blank=True)

    class Meta:
        verbose_name = _("plage récurrente")
        verbose_name_plural = _("plages récurrentes")
        ordering = ["schedule_id", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")), name="rule_end_after_start"
            ),
            models.CheckConstraint(
                condition=~models.Q(pool="partner") | models.Q(partner__isnull=False),
                name="rule_partner_pool_has_partner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class ScheduleException(models.Model):
    """A closure: leave, training, device maintenance. No slot is opened inside it."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="exceptions")
    start = models.DateTimeField(_("début"))
    end = models.DateTimeField(_("fin"))
    reason = models.CharField(_("motif"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("fermeture")
        verbose_name_plural = _("fermetures")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="exception_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.reason


class Slot(models.Model):
    class Status(models.TextChoices):
        FREE = "free", _("Libre")
        BUSY = "busy", _("Réservé")
        BLOCKED = "blocked", _("Fermé")

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="slots")
    act = models.ForeignKey(Act, on_delete=models.PROTECT, related_name="slots")
    start = models.DateTimeField(_("début"))
    end = models.DateTimeField(_("fin"))
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.FREE)
    pool = models.CharField(
        _("réservation"), max_length=10, choices=Pool.choices, default=Pool.OPEN
    )
    partner = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The pool the rule gave the slot, kept after a release (fill-rate indicators).
    reserved_pool = models.CharField(max_length=10, choices=Pool.choices, default=Pool.OPEN)
    released_at = models.DateTimeField(null=True, blank=True)
    # A slot the hospital proposed in answer to a request: held for the requesting GP's
    # practice until they confirm it (or the release rule returns it to everyone).
    held_for = models.ForeignKey(
        "referrals.Referral",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposed_slots",
    )

    class Meta:
        verbose_name = _("créneau")
        verbose_name_plural = _("créneaux")
        ordering = ["start", "id"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "start"], name="slot_unique_start"),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="slot_end_after_start"
            ),
        ]
        indexes = [
            # The free-slot search: free slots by time, then filtered by schedule and pool.
            models.Index(fields=["status", "start"], name="slot_status_start"),
            models.Index(fields=["schedule", "status", "start"], name="slot_sched_status_start"),
        ]

    def __str__(self) -> str:
        return f"{self.schedule.name} {self.start:%d/%m/%Y %H:%M}"


class Appointment(models.Model):
    """A booking of one slot for one patient.

    ``schedule``, ``start`` and ``end`` are copied from the slot so PostgreSQL can refuse two
    active appointments overlapping on one schedule (exclusion constraint, migration 0002),
    whatever code path wrote them.
    """

    class Status(models.TextChoices):
        BOOKED = "booked", _("Réservé")
        FULFILLED = "fulfilled", _("Honoré")
        NOSHOW = "noshow", _("Patient absent")
        CANCELLED = "cancelled", _("Annulé")

    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="appointments")
    schedule = models.ForeignKey(Schedule, on_delete=models.PROTECT, related_name="appointments")
    start = models.DateTimeField(_("début"))
    end = models.DateTimeField(_("fin"))
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("patient"),
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments_booked"
    )
    # The GP the appointment is for (the prescriber): the booker, or the requesting GP when the
    # hospital books from a request.
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments_prescribed"
    )
    referral = models.ForeignKey(
        "referrals.Referral",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
    )
    status = models.CharField(
        _("statut"), max_length=12, choices=Status.choices, default=Status.BOOKED
    )
    note = models.TextField(_("motif / note"), blank=True)
    urgent_reason = models.CharField(_("motif d'urgence"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(max_length=300, blank=True)
    moved_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    # The prescription (« ordonnance ») of an imaging booking, for the imaging centre: a PDF or
    # an image, type- and size-checked like every upload (lib.uploads).
    prescription = models.FileField(_("ordonnance"), upload_to="prescriptions/%Y/%m/", blank=True)
    prescription_name = models.CharField(max_length=200, blank=True)
    prescription_type = models.CharField(max_length=50, blank=True)
    prescription_sha256 = models.CharField(max_length=64, blank=True)
    # What a connected system sent with the booking (FHIR Appointment, GAP guide), kept and
    # returned as sent (issue 21, "no silent loss"): its own identifier of the appointment,
    # the priority (0 = undefined, 1 = highest: FHIR R4 Appointment.priority), the period the
    # patient asked for, the coded reason of a cancellation, the other participants named and
    # the codings of the reason (its text is ``urgent_reason``).
    identifier_system = models.CharField(max_length=200, blank=True)
    identifier_value = models.CharField(max_length=100, blank=True, db_index=True)
    priority = models.PositiveSmallIntegerField(null=True, blank=True)
    requested_start = models.DateTimeField(null=True, blank=True)
    requested_end = models.DateTimeField(null=True, blank=True)
    cancel_reason_system = models.CharField(max_length=200, blank=True)
    cancel_reason_code = models.CharField(max_length=50, blank=True)
    cancel_reason_display = models.CharField(max_length=200, blank=True)
    participants = models.JSONField(default=list, blank=True)
    reason_codings = models.JSONField(default=list, blank=True)  # reasonCode.coding as sent

    class Meta:
        verbose_name = _("rendez-vous")
        verbose_name_plural = _("rendez-vous")
        ordering = ["start", "id"]
        constraints = [
            # Portable guard (SQLite too): one live appointment per slot.
            models.UniqueConstraint(
                fields=["slot"],
                condition=~models.Q(status="cancelled"),
                name="appointment_one_live_per_slot",
            ),
        ]
        indexes = [
            models.Index(fields=["prescriber", "start"], name="appt_prescriber_start"),
            models.Index(fields=["schedule", "start"], name="appt_schedule_start"),
            models.Index(fields=["status", "reminded_at", "start"], name="appt_reminders"),
        ]

    def __str__(self) -> str:
        return f"RDV {self.pk} {self.start:%d/%m/%Y %H:%M}"

    @property
    def reference(self) -> str:
        return f"R-{self.pk:06d}"

    @property
    def is_live(self) -> bool:
        return self.status != self.Status.CANCELLED


class AppointmentMove(models.Model):
    """One move of an appointment to another slot: the appointment keeps its id and reference
    (what the patient and the GP were told), this row keeps where it was and who moved it."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="moves")
    from_slot = models.ForeignKey(Slot, on_delete=models.SET_NULL, null=True, related_name="+")
    from_start = models.DateTimeField(_("ancien horaire"))
    to_start = models.DateTimeField(_("nouvel horaire"))
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    urgent_reason = models.CharField(_("motif d'urgence"), max_length=300, blank=True)
    moved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("déplacement de rendez-vous")
        verbose_name_plural = _("déplacements de rendez-vous")
        ordering = ["moved_at", "id"]

    def __str__(self) -> str:
        return f"{self.appointment_id}: {self.from_start:%d/%m %H:%M} → {self.to_start:%d/%m %H:%M}"


class WaitlistEntry(models.Model):
    """A GP waiting for a slot of a schedule (optionally one act) between two dates."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="waitlist")
    act = models.ForeignKey(
        Act,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acte"),
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    earliest = models.DateField(_("à partir du"))
    latest = models.DateField(_("jusqu'au"))
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("liste d'attente")
        verbose_name_plural = _("listes d'attente")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["schedule", "closed_at"], name="waitlist_open")]

    def __str__(self) -> str:
        return f"{self.schedule.name} {self.earliest}–{self.latest}"


class ImagingReport(models.Model):
    """The radiologist's report of an imaging appointment, and where its images are."""

    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="report")
    conclusion = models.TextField(_("conclusion"))
    file = models.FileField(_("compte rendu (PDF)"), upload_to="imaging/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    # Accession number of the study on the imaging centre's result server (PACS viewer).
    accession = models.CharField(_("numéro d'examen (serveur d'images)"), max_length=64, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("compte rendu d'imagerie")
        verbose_name_plural = _("comptes rendus d'imagerie")

    def __str__(self) -> str:
        return f"CR {self.appointment_id}"


class AppointmentMessage(models.Model):
    """The prescriber–radiologist (or prescriber–service) opinion thread of an appointment."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"message {self.pk}"
