"""Service Médical de Proximité (SMP, seed 001, issue 18): patients without a treating doctor.

- ``Site``: a place of the SMP (its main site or an antenna in another town), with its agendas
  (scheduling.Schedule of the SMP organisation, one per doctor).
- ``StaffMember``: a person of the SMP and what the role alone does not say: the site, the
  intern's supervisor, the doctor's agenda and availability. The role itself is a
  ``accounts.Membership`` (proximity_coordinator, retired_gp, intern, proximity_assistant).
- ``Episode`` (FHIR EpisodeOfCare): one patient's stay with the SMP, from the waiting list to
  the hand-over to a new treating doctor. One open episode per patient and SMP (a duplicate
  sign-up is refused by the database).
- ``EpisodeChange``: the history row of every status or priority change (who, when, why).
- ``Consultation`` (FHIR Encounter): what a doctor of the SMP did with the patient; an
  intern's consultation enters their supervisor's review queue.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Site(models.Model):
    """A site of the SMP: the main one or an antenna (issue 18: antennas opened in 2022)."""

    organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        related_name="proximity_sites",
        verbose_name=_("structure"),
    )
    name = models.CharField(_("nom"), max_length=150)
    town = models.CharField(_("commune"), max_length=100, blank=True)
    antenna = models.BooleanField(_("antenne"), default=False)

    class Meta:
        verbose_name = _("site SMP")
        verbose_name_plural = _("sites SMP")
        ordering = ["antenna", "name"]

    def __str__(self) -> str:
        return self.name


class StaffMember(models.Model):
    """What the SMP needs to know of one of its people, beyond their role."""

    class Kind(models.TextChoices):
        COORDINATOR = "coordinator", _("Médecin coordinateur")
        RETIRED_GP = "retired_gp", _("Médecin généraliste retraité")
        INTERN = "intern", _("Interne (SASPAS)")
        ASSISTANT = "assistant", _("Assistant(e)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="proximity_staff",
        verbose_name=_("personne"),
    )
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="staff", verbose_name=_("site")
    )
    kind = models.CharField(_("fonction"), max_length=20, choices=Kind.choices)
    # SASPAS: an intern works in supervised autonomy under a named senior doctor.
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("superviseur"),
    )
    schedule = models.ForeignKey(
        "scheduling.Schedule",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agenda"),
    )
    availability = models.CharField(_("disponibilités"), max_length=200, blank=True)
    semester_start = models.DateField(_("début du semestre"), null=True, blank=True)
    active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("membre du SMP")
        verbose_name_plural = _("membres du SMP")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="proximity_staff_once"),
            models.CheckConstraint(
                condition=~Q(kind="intern") | Q(supervisor__isnull=False),
                name="proximity_intern_has_supervisor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_kind_display()}"


# The documented priority criteria (issue 18 « Registry and waiting list »), in the order shown.
CRITERIA_LABELS = {
    "ald": _("affection de longue durée (ALD)"),
    "age_70": _("70 ans ou plus"),
    "pregnancy": _("grossesse"),
    "css_ame": _("CSS ou AME"),
    "fragility": _("fragilité"),
    "recent_discharge": _("sortie d'hospitalisation récente"),
}
CRITERIA = tuple(CRITERIA_LABELS)


class Episode(models.Model):
    """One patient's stay with the SMP (FHIR EpisodeOfCare: waitlist → active → finished)."""

    class Status(models.TextChoices):
        WAITLIST = "waitlist", _("En attente")
        ACTIVE = "active", _("Suivi par le SMP")
        HANDOVER = "handover", _("Passage de relais en cours")
        FINISHED = "finished", _("Terminé")
        CANCELLED = "cancelled", _("Annulé")

    class Source(models.TextChoices):
        PATIENT = "patient", _("Le patient (accueil)")
        PHONE = "phone", _("Le patient (téléphone)")
        RELATIVE = "relative", _("Un proche")
        RETIRING_GP = "retiring_gp", _("Un médecin partant à la retraite")
        HOSPITAL = "hospital", _("Une sortie d'hôpital")
        CPAM = "cpam", _("La CPAM")

    class Reason(models.TextChoices):
        DOCTOR_LEFT = "doctor_left", _("Plus de médecin traitant (départ, retraite)")
        NEWCOMER = "newcomer", _("Nouvel arrivant sur le territoire")
        NEVER = "never", _("N'a jamais eu de médecin traitant")

    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        related_name="proximity_episodes",
        verbose_name=_("patient"),
    )
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="episodes", verbose_name=_("site")
    )
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.WAITLIST
    )
    source = models.CharField(_("inscrit par"), max_length=12, choices=Source.choices)
    referrer = models.CharField(_("nom de l'adresseur"), max_length=150, blank=True)
    reason = models.CharField(_("motif"), max_length=12, choices=Reason.choices)
    no_doctor_since = models.DateField(_("sans médecin traitant depuis"), null=True, blank=True)
    # The criteria, each documented (issue 18); age ≥ 70 is computed from the birth date.
    ald = models.BooleanField(_("affection de longue durée (ALD)"), default=False)
    age_70 = models.BooleanField(_("70 ans ou plus"), default=False)
    pregnancy = models.BooleanField(_("grossesse"), default=False)
    css_ame = models.BooleanField(_("CSS ou AME"), default=False)
    fragility = models.BooleanField(_("fragilité"), default=False)
    recent_discharge = models.BooleanField(_("sortie d'hospitalisation récente"), default=False)
    priority = models.PositiveSmallIntegerField(_("priorité"), default=0)
    registered_at = models.DateTimeField(_("inscrit le"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The waiting clock: the date by which a first consultation is due (PRIORITY_DELAYS).
    due_at = models.DateTimeField(_("première consultation attendue avant le"))
    first_seen_at = models.DateTimeField(_("première consultation le"), null=True, blank=True)
    declared_doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("médecin traitant déclaré (SMP)"),
    )
    declared_at = models.DateTimeField(_("déclaré le"), null=True, blank=True)
    handover_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("nouveau médecin traitant"),
    )
    handover_sent_at = models.DateTimeField(_("relais envoyé le"), null=True, blank=True)
    handover_message = models.ForeignKey(
        "messaging.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("épisode SMP")
        verbose_name_plural = _("épisodes SMP")
        # One open episode per patient and SMP is checked by episode_register under a lock on
        # the patient row, not by a unique constraint: an identity merge (patients.patient_merge
        # moves every row to the survivor) must never be refused because both identities were
        # signed up; the survivor then shows both episodes, and the team closes one.
        indexes = [
            # The waiting list: one SMP's waiting patients by priority, then oldest first.
            models.Index(
                fields=["organisation", "status", "-priority", "registered_at"],
                name="proximity_waitlist_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"SMP-{self.pk}"

    @property
    def reference(self) -> str:
        return f"SMP-{self.pk}"

    def criteria(self) -> list[str]:
        """The labels of the criteria this episode meets, in CRITERIA order."""
        return [str(CRITERIA_LABELS[c]) for c in CRITERIA if getattr(self, c)]


class EpisodeChange(models.Model):
    """A status or priority change of an episode (Oscar's OrderStatusChange)."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="changes")
    what = models.CharField(max_length=10)  # status | priority
    old = models.CharField(max_length=100)
    new = models.CharField(max_length=100)
    reason = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.what} {self.old} → {self.new}"


class Consultation(models.Model):
    """A consultation at the SMP (FHIR Encounter)."""

    class Review(models.TextChoices):
        NOT_NEEDED = "not_needed", _("Sans supervision")
        PENDING = "pending", _("À relire")
        REVIEWED = "reviewed", _("Relue")
        TO_DISCUSS = "to_discuss", _("À discuter")

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="consultations")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="consultations")
    appointment = models.OneToOneField(
        "scheduling.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proximity_consultation",
    )
    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    doctor_kind = models.CharField(max_length=20, choices=StaffMember.Kind.choices)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    start = models.DateTimeField(_("date"))
    reason = models.CharField(_("motif"), max_length=300)
    notes = models.TextField(_("observations"), blank=True)
    conclusion = models.TextField(_("conclusion"), blank=True)
    intern_consent = models.BooleanField(_("accord du patient pour être vu par un interne"))
    # Recorded when the patient came to the SMP instead of the emergency department (a proxy
    # for emergency avoidance, issue 18 « Indicators »).
    avoided_emergency = models.BooleanField(_("aurait sinon consulté aux urgences"), default=False)
    review = models.CharField(
        _("supervision"), max_length=12, choices=Review.choices, default=Review.NOT_NEEDED
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("relue le"), null=True, blank=True)
    review_comment = models.TextField(_("commentaire de relecture"), blank=True)
    # SHA-256 of what was reviewed (notes, conclusion), the reviewer and the time: a later
    # edit of the record no longer matches the signature.
    review_signature = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("consultation SMP")
        verbose_name_plural = _("consultations SMP")
        ordering = ["-start", "-id"]
        indexes = [
            # The supervision queue and dashboard: one supervisor's consultations by state.
            models.Index(fields=["supervisor", "review", "start"], name="proximity_review_idx"),
            models.Index(fields=["doctor", "start"], name="proximity_doctor_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(doctor_kind="intern")
                | (Q(intern_consent=True) & Q(supervisor__isnull=False)),
                name="proximity_intern_consent_and_supervisor",
            ),
        ]

    def __str__(self) -> str:
        return f"Consultation {self.pk}"


class ConsultationDocument(models.Model):
    """A document issued during a consultation: a prescription as PDF (proximity/documents.py).
    An intern's carries the intern's and the supervisor's RPPS and the structure's FINESS."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.PROTECT, related_name="documents"
    )
    title = models.CharField(_("titre"), max_length=150)
    file = models.FileField(upload_to="proximity/%Y/%m/")
    sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("document SMP")
        verbose_name_plural = _("documents SMP")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title
