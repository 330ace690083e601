"""Patient identity, after the INS rules (docs/standards.md).

The five INS traits are stored as given at birth; the used name and first name are displayed
next to them as identitovigilance practice requires, never instead of them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parcours.lib.identity import given_key, name_key
from parcours.lib.text import search_key


class Patient(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", _("Féminin")
        MALE = "M", _("Masculin")
        OTHER = "I", _("Indéterminé")

    class Status(models.TextChoices):
        PROVISIONAL = "PROV", _("Provisoire")
        VALIDATED = "VALI", _("Validée")
        RETRIEVED = "RECUP", _("Récupérée")
        QUALIFIED = "QUAL", _("Qualifiée")

    birth_name = models.CharField(_("nom de naissance"), max_length=100)
    birth_given_names = models.CharField(
        _("prénom(s) de naissance"),
        max_length=200,
        help_text=_("Séparés par des espaces, dans l'ordre de l'état civil."),
    )
    birth_date = models.DateField(_("date de naissance"))
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices)
    birthplace_insee = models.CharField(
        _("lieu de naissance (code INSEE)"), max_length=5, blank=True
    )
    ins_nir = models.CharField(_("matricule INS (NIR/NIA)"), max_length=15, blank=True)
    used_name = models.CharField(_("nom utilisé"), max_length=100, blank=True)
    used_first_name = models.CharField(_("prénom utilisé"), max_length=100, blank=True)
    identity_status = models.CharField(
        _("statut de l'identité"), max_length=5, choices=Status.choices, default=Status.PROVISIONAL
    )
    # A NIA is a temporary number given while a NIR is being assigned: it identifies the
    # patient but cannot make a qualified identity (FR Core system INS-NIA, docs/standards.md).
    ins_kind = models.CharField(
        _("type de matricule"), max_length=3, blank=True, choices=[("NIR", "NIR"), ("NIA", "NIA")]
    )
    status_changed_at = models.DateTimeField(_("statut modifié le"), null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("statut modifié par"),
    )
    status_document = models.CharField(_("pièce d'identité contrôlée"), max_length=20, blank=True)
    # A merged identity stays (its history and local numbers point to the survivor) and
    # redirects to it; undoing the merge clears these two fields.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("fusionnée dans"),
    )
    merged_at = models.DateTimeField(_("fusionnée le"), null=True, blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    # The médecin traitant declared on the platform: a care relationship (patients/access.py).
    treating_doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("médecin traitant"),
    )
    # Contact traits: supporting evidence for duplicate candidates only (lib/identity.py) —
    # never used to qualify an identity nor to attach a result (RNIV).
    address_line = models.CharField(
        _("adresse"), max_length=200, blank=True, db_default="", default=""
    )
    postcode = models.CharField(
        _("code postal"), max_length=10, blank=True, db_default="", default=""
    )
    town = models.CharField(_("commune"), max_length=100, blank=True, db_default="", default="")
    # Sent by a connected system (FR Core Patient) and kept as sent (issue 21): the birthplace's
    # town name and country (ISO 3166, e.g. FRA) beside its INSEE code, the FHIR ``use`` of the
    # phone and of the address (home, work, mobile, temp…) and the address's country.
    birthplace_city = models.CharField(_("commune de naissance"), max_length=100, blank=True)
    birthplace_country = models.CharField(_("pays de naissance"), max_length=10, blank=True)
    phone_use = models.CharField(max_length=10, blank=True)
    address_use = models.CharField(max_length=10, blank=True)
    address_country = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("créé par"),
    )
    # Search keys: upper case without accents, so that "Lefèvre" finds "LEFEVRE".
    search_name = models.CharField(max_length=300, db_index=True, editable=False)
    # Blocking keys of the duplicate matcher (lib/identity.py): the sound of the first word of
    # the birth name and of the first given name.
    name_key = models.CharField(max_length=8, blank=True, editable=False)
    given_key = models.CharField(max_length=8, blank=True, editable=False)

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["birth_name", "birth_given_names"]
        indexes = [
            models.Index(fields=["birth_date", "search_name"]),
            # Candidate retrieval of the matcher (patients/matching.py): same sound and
            # a near birth date; same sound of name and first name, any date.
            models.Index(fields=["name_key", "birth_date"], name="patient_block_nd"),
            models.Index(fields=["name_key", "given_key"], name="patient_block_ng"),
        ]
        constraints = [
            # One identity per INS matricule.
            models.UniqueConstraint(
                fields=["ins_nir"], condition=~models.Q(ins_nir=""), name="patient_unique_ins_nir"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def set_keys(self) -> None:
        self.search_name = search_key(f"{self.birth_name} {self.first_given_name}")
        self.name_key = name_key(self.birth_name)
        self.given_key = given_key(self.birth_given_names)

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    @property
    def first_given_name(self) -> str:
        return self.birth_given_names.split(" ")[0] if self.birth_given_names else ""

    @property
    def display_name(self) -> str:
        """Birth name first, then the used name, as identitovigilance guidance shows them."""
        name = f"{self.birth_name.upper()} {self.first_given_name}"
        if self.used_name and self.used_name.upper() != self.birth_name.upper():
            name += f" (nom utilisé : {self.used_name.upper()})"
        if self.used_first_name and self.used_first_name != self.first_given_name:
            name += f" (prénom utilisé : {self.used_first_name})"
        return name


class CareLink(models.Model):
    """A care relationship the platform recorded outside of a request or an appointment: the
    professional created the identity, received a message or a letter about the patient, was
    the prescriber of a lab report attached to them, sent their hospital summary, or is their
    declared médecin traitant. It opens the patient's data (patients/access.py)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care_links")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_links"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lien de soin")
        verbose_name_plural = _("liens de soin")
        constraints = [models.UniqueConstraint(fields=["patient", "user"], name="carelink_unique")]

    def __str__(self) -> str:
        return f"{self.user} → {self.patient}"


class IdentityLink(models.Model):
    """A professional found a known identity by its traits (creation form, ``POST Patient``):
    they may *use* the identity — send a request, book, write a message, which records a care
    relationship — but this link opens none of the data others recorded (issue 12: matching
    never grants access)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("identité retrouvée")
        verbose_name_plural = _("identités retrouvées")
        constraints = [
            models.UniqueConstraint(fields=["patient", "user"], name="identitylink_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} ~ {self.patient}"


class EmergencyAccess(models.Model):
    """« Bris de glace »: a professional opened a patient's data without a recorded care
    relationship, in an emergency, with a reason. Limited in time
    (``settings.EMERGENCY_ACCESS_HOURS``), audited, and shown on the patient page to the
    patient's treating professionals."""

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="emergency_accesses"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("motif"), max_length=500)
    opened_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("accès en urgence (bris de glace)")
        verbose_name_plural = _("accès en urgence (bris de glace)")
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["user", "patient", "expires_at"], name="emergency_user_patient")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.patient} ({self.opened_at:%Y-%m-%d %H:%M})"


class PatientIdentifier(models.Model):
    """A local number of a patient (a hospital's IPP, a care network's file number), attached
    to the one regional identity. A number is unique within its system."""

    class Kind(models.TextChoices):
        IPP = "IPP", _("IPP (numéro patient d'un établissement)")
        NETWORK = "NETWORK", _("numéro de dossier d'un réseau")
        OLD_INS = "INS", _("ancien matricule INS (NIA)")
        OTHER = "OTHER", _("autre")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="local_identifiers")
    system = models.CharField(_("système"), max_length=200)
    value = models.CharField(_("valeur"), max_length=100)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.IPP)
    organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation émettrice"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("identifiant local")
        verbose_name_plural = _("identifiants locaux")
        ordering = ["system", "value"]
        constraints = [
            models.UniqueConstraint(fields=["system", "value"], name="patientidentifier_unique")
        ]
        # identifier=value with no system (FHIR search, $match) looks the value up alone.
        indexes = [models.Index(fields=["value"], name="patientidentifier_value")]

    def __str__(self) -> str:
        return f"{self.system}|{self.value}"


class IdentityStatusChange(models.Model):
    """Who moved an identity's status, when, from what, to what, on which document."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=5)
    to_status = models.CharField(max_length=5)
    document = models.CharField(max_length=20, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.patient_id}: {self.from_status} → {self.to_status}"


class DuplicateCandidate(models.Model):
    """A pair of identities the matcher thinks may be one person, waiting for a person's
    decision (the identitovigilance review queue). ``low`` is the older identity."""

    class State(models.TextChoices):
        OPEN = "open", _("à examiner")
        MERGED = "merged", _("fusionnées")
        SEPARATE = "separate", _("personnes distinctes")

    low = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    high = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    grade = models.CharField(max_length=16)
    reasons = models.JSONField(default=list)
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.OPEN, db_index=True
    )
    source = models.CharField(max_length=20)  # creation | scan
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["low", "high"], name="duplicate_unique_pair"),
            models.CheckConstraint(
                condition=models.Q(low__lt=models.F("high")), name="duplicate_ordered_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.low_id} ~ {self.high_id} ({self.grade})"


class PatientMerge(models.Model):
    """One merge, with what it moved, so that it can be undone exactly."""

    survivor = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    candidate = models.ForeignKey(
        DuplicateCandidate, on_delete=models.SET_NULL, null=True, blank=True, related_name="merges"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reason = models.CharField(max_length=300, blank=True)
    # {"moved": {"app.model.field": [ids]}, "care_links": [ids], "survivor": {field: old}, ...}
    undo = models.JSONField(default=dict)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.survivor_id}"


class HospitalSummaryImport(models.Model):
    """One hospital record summary received (FHIR transaction or import-summary)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    channel = models.CharField(max_length=10)  # api | file
    bundle_id = models.CharField(max_length=100, blank=True)
    item_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.source_id} → {self.patient_id} ({self.at:%Y-%m-%d})"


class HospitalRecordItem(models.Model):
    """One item of the synthetic view of a hospital record: a stay, a problem, an allergy, a
    treatment or a document, dated and attributed to the organisation that sent it."""

    class Kind(models.TextChoices):
        STAY = "stay", _("Séjour")
        PROBLEM = "problem", _("Problème")
        ALLERGY = "allergy", _("Allergie")
        TREATMENT = "treatment", _("Traitement")
        DOCUMENT = "document", _("Document")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="record_items")
    source = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("source"),
    )
    received = models.ForeignKey(
        HospitalSummaryImport, on_delete=models.PROTECT, related_name="items"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    external_id = models.CharField(max_length=100)  # the resource id in the sender's system
    title = models.CharField(max_length=300)
    detail = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=40, blank=True)
    date = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)
    resource = models.JSONField(default=dict)

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["patient", "kind", "date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "external_id"], name="recorditem_unique_source_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} : {self.title}"
