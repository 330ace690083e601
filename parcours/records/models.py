"""Care networks' shared patient record (issue 17, seed 004).

A **network** is a directory organisation of kind ``network`` with its own **profiles**
(coordinator, GP, nurse, social worker…) and **members** (a user with one profile, over a
period). A network designs **forms** (``RecordForm``), each with numbered **versions**: a
published version is frozen, editing makes a draft. A profile's **right per section** of a form
(none/read/write) lives on the form, not the version, with its history, so that a right taken
away applies to old responses too and "who could see this section on date D" is answerable.

A patient's **record** in a network hangs from the one regional identity
(``patients.Patient``) and exists only under a recorded **consent**; its **care circle** lists
the members who may open it; **responses** keep the version they were filled with and every
change as a revision.

Periods (``since``/``until``) are half-open ``[since, until)``, timezone-aware; ``until``
NULL = still current.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Network(models.Model):
    """A care network (réseau de santé): the directory organisation plus its record's settings."""

    organisation = models.OneToOneField(
        "directory.Organisation",
        on_delete=models.PROTECT,
        related_name="care_network",
        limit_choices_to={"kind": "network"},
        verbose_name=_("organisation"),
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("réseau de santé")
        verbose_name_plural = _("réseaux de santé")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.organisation.name


class Profile(models.Model):
    """A profile the network defines (not an ``accounts.Role``): what its members may do."""

    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, related_name="profiles", verbose_name=_("réseau")
    )
    code = models.SlugField(_("code"), max_length=40)
    label = models.CharField(_("libellé"), max_length=100)
    # Manages members, forms, rights, enrolments and care circles of the network.
    coordinates = models.BooleanField(_("coordonne le réseau"), default=False)

    class Meta:
        verbose_name = _("profil")
        verbose_name_plural = _("profils")
        ordering = ["network", "label"]
        constraints = [
            models.UniqueConstraint(fields=["network", "code"], name="records_profile_unique")
        ]

    def __str__(self) -> str:
        return self.label


class Member(models.Model):
    """A user's membership of a network with one profile, over ``[since, until)``.

    Changing a member's profile ends the row and opens a new one (the history of who had
    which profile when is what "who could see what on date D" reads)."""

    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, related_name="members", verbose_name=_("réseau")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="network_memberships",
        verbose_name=_("utilisateur"),
    )
    profile = models.ForeignKey(
        Profile, on_delete=models.PROTECT, related_name="members", verbose_name=_("profil")
    )
    since = models.DateTimeField(_("depuis"))
    until = models.DateTimeField(_("jusqu'au"), null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("membre")
        verbose_name_plural = _("membres")
        constraints = [
            # One current membership per user and network.
            models.UniqueConstraint(
                fields=["network", "user"],
                condition=Q(until__isnull=True),
                name="records_member_current_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.profile}"


class RecordForm(models.Model):
    """A form a network designs (« Bilan social », « Suivi médecin »…), with its versions."""

    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, related_name="forms", verbose_name=_("réseau")
    )
    code = models.SlugField(_("code"), max_length=60)
    title = models.CharField(_("titre"), max_length=200)
    # The canonical URL of the FHIR Questionnaire (Questionnaire.url), stable across versions.
    url = models.CharField(_("URL canonique"), max_length=255, unique=True)
    created_at = models.DateTimeField(_("créé le"))

    class Meta:
        verbose_name = _("formulaire")
        verbose_name_plural = _("formulaires")
        ordering = ["network", "title"]
        constraints = [
            models.UniqueConstraint(fields=["network", "code"], name="records_form_unique")
        ]

    def __str__(self) -> str:
        return self.title


class FormVersion(models.Model):
    """One version of a form. ``definition`` follows ``formdef`` (sections and items).

    A published version never changes (services refuse, and responses point to it with
    PROTECT); at most one draft per form."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        PUBLISHED = "active", _("Publiée")
        RETIRED = "retired", _("Retirée")

    form = models.ForeignKey(
        RecordForm, on_delete=models.CASCADE, related_name="versions", verbose_name=_("formulaire")
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    definition = models.JSONField(_("définition"), default=list)
    created_at = models.DateTimeField(_("créée le"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    published_at = models.DateTimeField(_("publiée le"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("version de formulaire")
        verbose_name_plural = _("versions de formulaire")
        ordering = ["form", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["form", "number"], name="records_version_unique"),
            models.UniqueConstraint(
                fields=["form"], condition=Q(status="draft"), name="records_one_draft"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.form} v{self.number}"


class Right(models.TextChoices):
    NONE = "none", _("Aucun accès")
    READ = "read", _("Lecture")
    WRITE = "write", _("Lecture et écriture")


class SectionRight(models.Model):
    """A profile's right on one section (top-level linkId) of a form, over ``[since, until)``.

    No current row = no access ("a profile without read on a section does not learn its
    content exists"). Changing a right ends the row and opens a new one."""

    form = models.ForeignKey(RecordForm, on_delete=models.CASCADE, related_name="rights")
    section = models.CharField(_("section"), max_length=64)
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="rights")
    level = models.CharField(_("droit"), max_length=5, choices=Right.choices)
    since = models.DateTimeField(_("depuis"))
    until = models.DateTimeField(_("jusqu'au"), null=True, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("droit sur une section")
        verbose_name_plural = _("droits sur les sections")
        constraints = [
            models.UniqueConstraint(
                fields=["form", "section", "profile"],
                condition=Q(until__isnull=True),
                name="records_right_current_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.profile} — {self.section} : {self.level}"


class Record(models.Model):
    """A patient's record in one network (dossier patient partagé), with its enrolment stage.

    Stages follow the seed's journey (admission request → assessments → coordination meeting →
    active follow-up → discharge); FHIR EpisodeOfCare.status: planned, waitlist, active,
    finished."""

    class Stage(models.TextChoices):
        ADMISSION = "admission", _("Demande d'admission")
        ASSESSMENT = "assessment", _("Évaluations")
        MEETING = "meeting", _("Réunion de coordination")
        ACTIVE = "active", _("Suivi actif")
        DISCHARGED = "discharged", _("Sortie")

    network = models.ForeignKey(
        Network, on_delete=models.PROTECT, related_name="records", verbose_name=_("réseau")
    )
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        related_name="network_records",
        verbose_name=_("patient"),
    )
    stage = models.CharField(
        _("étape"), max_length=12, choices=Stage.choices, default=Stage.ADMISSION
    )
    opened_at = models.DateTimeField(_("ouvert le"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("dossier de réseau")
        verbose_name_plural = _("dossiers de réseau")
        constraints = [
            models.UniqueConstraint(fields=["network", "patient"], name="records_record_unique")
        ]

    def __str__(self) -> str:
        return f"{self.patient} — {self.network}"


class StageChange(models.Model):
    """One move of a record's enrolment stage (old, new, who, when)."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="stage_changes")
    old = models.CharField(max_length=12, blank=True)
    new = models.CharField(max_length=12)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"{self.old} → {self.new}"


class Consent(models.Model):
    """The patient's consent to the network's record: who collected it, when, how, scope.

    Without a current consent (``withdrawn_at`` NULL) the record is closed to everyone; the
    audit trail keeps what happened before."""

    class Method(models.TextChoices):
        WRITTEN = "written", _("Écrit signé")
        ORAL = "oral", _("Oral, tracé par le professionnel")
        REPRESENTATIVE = (
            "representative",
            _("Par le représentant légal ou la personne de confiance"),
        )

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="consents")
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    collected_at = models.DateTimeField(_("recueilli le"))
    method = models.CharField(_("modalité"), max_length=16, choices=Method.choices)
    scope = models.CharField(_("portée"), max_length=500)
    document = models.FileField(_("document"), upload_to="records/consents/%Y/%m/", blank=True)
    recorded_at = models.DateTimeField(_("enregistré le"))
    withdrawn_at = models.DateTimeField(_("retiré le"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawal_reason = models.CharField(_("motif du retrait"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("consentement")
        verbose_name_plural = _("consentements")
        constraints = [
            models.UniqueConstraint(
                fields=["record"],
                condition=Q(withdrawn_at__isnull=True),
                name="records_one_current_consent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} — {self.collected_at:%d/%m/%Y}"


class CareCircle(models.Model):
    """A member of the patient's care circle (cercle de soins) in the network, over a period:
    who may open the record (FHIR CareTeam.participant)."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="circle")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    since = models.DateTimeField(_("depuis"))
    until = models.DateTimeField(_("jusqu'au"), null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("membre du cercle de soins")
        verbose_name_plural = _("cercle de soins")
        constraints = [
            models.UniqueConstraint(
                fields=["record", "user"],
                condition=Q(until__isnull=True),
                name="records_circle_current_unique",
            )
        ]

    def __str__(self) -> str:
        return str(self.user)


class Response(models.Model):
    """A filled form in a record: answers with the version they were filled with.

    ``answers`` follows ``formdef`` (validated by the server); ``revision`` counts the saves
    (each in a ``ResponseRevision``), and is what a save compares to refuse a lost update."""

    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="responses")
    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="responses")
    answers = models.JSONField(default=dict)
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("réponse")
        verbose_name_plural = _("réponses")
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["record", "-updated_at"], name="records_resp_record")]

    def __str__(self) -> str:
        return f"{self.version} #{self.pk}"


class ResponseRevision(models.Model):
    """Every saved state of a response: who, when, which version, which sections changed."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="+")
    answers = models.JSONField(default=dict)
    sections = models.JSONField(default=list)  # the section linkIds this save changed
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["response", "number"]
        constraints = [
            models.UniqueConstraint(fields=["response", "number"], name="records_revision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.response} r{self.number}"
