"""The directory of the territory: organisations, hospital services, practitioners.

Hospitals and their services (with the pathway desk that triages for them, their head and their
response-time settings), practices and MSPs, imaging centres, and practitioners with their
contact modalities. FHIR: Organization, HealthcareService, Practitioner, PractitionerRole.

Rows come from two sources: created here (``source = local``: the demo, the admin) or imported
from the national Annuaire Santé extract (``source = annuaire``, ``import_annuaire.py``). An
import writes only the *imported* columns; the contact modalities people edit here live in
separate *local* columns it never names, so a re-import cannot overwrite them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .keys import family_words, fold, practitioner_key

# The four kinds of request are the referral workflow's (a constants module, no models).
from .kinds import Kind


class Source(models.TextChoices):
    LOCAL = "local", _("saisie locale")
    ANNUAIRE = "annuaire", _("Annuaire Santé")


class Organisation(models.Model):
    class Kind(models.TextChoices):
        HOSPITAL = "hospital", _("Établissement de santé")
        PRACTICE = "practice", _("Cabinet médical")
        MSP = "msp", _("Maison de santé pluriprofessionnelle")
        IMAGING = "imaging", _("Centre d'imagerie")
        NETWORK = "network", _("Réseau de santé")

    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    finess = models.CharField(_("FINESS"), max_length=9, blank=True, db_index=True)
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    postcode = models.CharField(_("code postal"), max_length=5, blank=True)
    town = models.CharField(_("commune"), max_length=100, blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    # From the Annuaire Santé extract (empty for organisations created here).
    source = models.CharField(
        _("origine"), max_length=10, choices=Source.choices, default=Source.LOCAL
    )
    structure_id = models.CharField(
        _("identifiant technique de la structure"),
        max_length=30,
        null=True,
        blank=True,
        unique=True,
    )
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    finess_legal = models.CharField(_("FINESS juridique"), max_length=9, blank=True)
    sector = models.CharField(_("secteur d'activité"), max_length=150, blank=True)
    # Folded name (no accents, upper case): what name search compares (trigram index on
    # PostgreSQL, migration 0002).
    search_key = models.CharField(max_length=200, blank=True, editable=False)
    town_key = models.CharField(max_length=100, blank=True, editable=False, db_index=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        indexes = [models.Index(fields=["postcode"], name="directory_org_postcode")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # Derived search keys, kept with the row they fold (the importer writes them itself).
        self.search_key = fold(self.name)
        self.town_key = fold(self.town)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_key", "town_key"}
        super().save(*args, **kwargs)
        # The activities' copies of the place (PractitionerRole.postcode/town_key).
        self.practitioner_roles.exclude(postcode=self.postcode, town_key=self.town_key).update(
            postcode=self.postcode, town_key=self.town_key
        )


class HospitalService(models.Model):
    """A hospital service that receives requests (HealthcareService)."""

    hospital = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="services",
        limit_choices_to={"kind": Organisation.Kind.HOSPITAL},
        verbose_name=_("établissement"),
    )
    name = models.CharField(_("nom"), max_length=200)
    specialty = models.CharField(_("spécialité"), max_length=100)
    description = models.TextField(_("présentation"), blank=True)
    phone = models.CharField(_("secrétariat"), max_length=30, blank=True)
    senior_line = models.CharField(
        _("ligne directe d'un médecin senior"), max_length=30, blank=True
    )
    senior_line_hours = models.CharField(
        _("horaires de la ligne senior"), max_length=100, blank=True
    )
    email = models.EmailField(_("e-mail"), blank=True)
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="headed_services",
        verbose_name=_("chef de service"),
    )
    accepts_requests = models.BooleanField(_("reçoit des demandes"), default=True)
    sla_hours = models.PositiveIntegerField(_("délai de réponse (heures)"), default=48)
    sla_working_days = models.BooleanField(
        _("délai compté en jours ouvrés"),
        default=False,
        help_text=_("Hors week-ends et jours fériés français."),
    )

    class Meta:
        verbose_name = _("service hospitalier")
        verbose_name_plural = _("services hospitaliers")
        ordering = ["hospital__name", "name"]

    def __str__(self) -> str:
        return f"{self.name} — {self.hospital.name}"


class ServiceDelay(models.Model):
    """A response delay for one kind of request, overriding the service's default."""

    service = models.ForeignKey(
        HospitalService, on_delete=models.CASCADE, related_name="delays", verbose_name=_("service")
    )
    kind = models.CharField(_("type de demande"), max_length=20, choices=Kind.choices)
    hours = models.PositiveIntegerField(_("délai (heures)"))
    working_days = models.BooleanField(_("jours ouvrés"), default=False)

    class Meta:
        verbose_name = _("délai par type de demande")
        verbose_name_plural = _("délais par type de demande")
        constraints = [
            models.UniqueConstraint(fields=["service", "kind"], name="service_delay_unique")
        ]

    def __str__(self) -> str:
        return f"{self.service} — {self.get_kind_display()} : {self.hours} h"


class Practitioner(models.Model):
    """A health professional of the territory (FHIR Practitioner), with or without an account."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="practitioner",
        verbose_name=_("compte"),
    )
    # Identification nationale PP: "8" + RPPS or "0" + ADELI; the import's key.
    national_id = models.CharField(
        _("identifiant national"), max_length=20, null=True, blank=True, unique=True
    )
    rpps = models.CharField(_("RPPS"), max_length=11, blank=True, db_index=True)
    adeli = models.CharField(_("ADELI"), max_length=9, blank=True)
    title = models.CharField(_("titre"), max_length=20, blank=True, default="Dr")
    last_name = models.CharField(_("nom"), max_length=100)
    first_name = models.CharField(_("prénom"), max_length=100)
    profession = models.CharField(_("profession"), max_length=100, default="Médecin")
    specialty = models.CharField(_("spécialité"), max_length=100, blank=True, db_index=True)
    # The national codes of the Annuaire Santé extract (« Code profession », ANS TRE_G15, and
    # « Code savoir-faire », TRE_R38 for the ordinal specialties SM…/SCD…): FHIR codings.
    profession_code = models.CharField(max_length=10, blank=True, db_default="", default="")
    specialty_code = models.CharField(max_length=10, blank=True, db_default="", default="")
    # Local contact modalities: written by people here (the practitioner, the territory
    # admin), never by an import.
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    mssante = models.EmailField(_("messagerie sécurisée (MSSanté)"), blank=True)
    preferred_channel = models.CharField(_("canal préféré"), max_length=100, blank=True)
    contact_hours = models.CharField(_("horaires de contact"), max_length=200, blank=True)
    # Imported contact: the coordinates of the practitioner's first activity site in the
    # national extract (it has no personal phone); shown when no local value is set.
    imported_phone = models.CharField(_("téléphone (annuaire national)"), max_length=30, blank=True)
    imported_email = models.CharField(_("e-mail (annuaire national)"), max_length=254, blank=True)
    source = models.CharField(
        _("origine"), max_length=10, choices=Source.choices, default=Source.LOCAL
    )
    active = models.BooleanField(_("actif"), default=True)
    # "LAST FIRST" folded (no accents, upper case, hyphens as spaces): what name search
    # compares (trigram index on PostgreSQL, migration 0002).
    search_key = models.CharField(max_length=220, blank=True, editable=False)
    # The family name alone, folded: the typo-tolerant fallback compares it (trigram
    # similarity over a short string prunes far better than word similarity over the key).
    family_key = models.CharField(max_length=100, blank=True, editable=False)

    class Meta:
        verbose_name = _("professionnel de santé")
        verbose_name_plural = _("professionnels de santé")
        ordering = ["last_name", "first_name"]
        # The typo-tolerant search finds similar names in FamilyName, then their bearers here.
        indexes = [models.Index(fields=["family_key"], name="practitioner_family")]

    def __str__(self) -> str:
        return f"{self.title} {self.first_name} {self.last_name.upper()}".strip()

    # What the card and the API show: the local value when someone set one, else the
    # national extract's.
    def save(self, *args, **kwargs):
        self.search_key = practitioner_key(self.last_name, self.first_name)
        self.family_key = fold(self.last_name)[:100]
        fields = kwargs.get("update_fields")
        if fields is not None:
            kwargs["update_fields"] = {*fields, "search_key", "family_key"}
        super().save(*args, **kwargs)
        if fields is not None and not {"last_name", "first_name"} & set(fields):
            return
        FamilyName.objects.bulk_create(
            [FamilyName(word=w, key=self.family_key) for w in family_words(self.family_key)],
            ignore_conflicts=True,
        )
        # The activities' copy of the name key orders place searches (PractitionerRole).
        self.roles.exclude(name_key=self.search_key).update(name_key=self.search_key)

    @property
    def contact_phone(self) -> str:
        return self.phone or self.imported_phone

    @property
    def contact_email(self) -> str:
        return self.email or self.imported_email


class FamilyName(models.Model):
    """Each folded family name of the directory once, under the whole name and under each
    word of a compound name (``keys.family_words``): the typo-tolerant search compares the
    query's words with ``word`` (a narrow table whose indexes and rows stay in memory), then
    reads the bearers of the matching ``key`` through ``Practitioner.family_key``. Filled by
    the import and by ``Practitioner.save``; a name nobody bears any more is removed by the
    next import."""

    word = models.CharField(max_length=100)
    key = models.CharField(max_length=100)

    class Meta:
        verbose_name = _("nom de famille")
        verbose_name_plural = _("noms de famille")
        constraints = [models.UniqueConstraint(fields=["word", "key"], name="familyname_word_key")]

    def __str__(self) -> str:
        return self.key


class PractitionerRole(models.Model):
    """Where a practitioner works (FHIR PractitionerRole)."""

    practitioner = models.ForeignKey(
        Practitioner,
        on_delete=models.CASCADE,
        related_name="roles",
        verbose_name=_("professionnel"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="practitioner_roles",
        verbose_name=_("organisation"),
    )
    service = models.ForeignKey(
        HospitalService,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="practitioner_roles",
        verbose_name=_("service"),
    )
    function = models.CharField(_("fonction"), max_length=100, blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    # From the national extract: one row per activity line of the file.
    source = models.CharField(
        _("origine"), max_length=10, choices=Source.choices, default=Source.LOCAL
    )
    # national id | structure | profession | skill | mode: identifies an activity line
    # across imports.
    import_key = models.CharField(
        max_length=120, null=True, blank=True, unique=True, editable=False
    )
    profession = models.CharField(_("profession"), max_length=100, blank=True)
    specialty = models.CharField(_("spécialité"), max_length=100, blank=True)
    profession_code = models.CharField(max_length=10, blank=True, db_default="", default="")
    specialty_code = models.CharField(max_length=10, blank=True, db_default="", default="")
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # Copies of the practitioner's name key and the site's postcode and folded town, so that
    # "practitioners in this town/postcode, by name" is one index range over the activities
    # instead of a join over two million rows (docs/benchmarks.md, Directory). Kept by the
    # import and by save().
    name_key = models.CharField(max_length=220, blank=True, editable=False)
    postcode = models.CharField(max_length=5, blank=True, editable=False)
    town_key = models.CharField(max_length=100, blank=True, editable=False)

    class Meta:
        verbose_name = _("activité")
        verbose_name_plural = _("activités")
        # Ending with the practitioner: "who works here, in name order" and its count are
        # index-only scans.
        indexes = [
            models.Index(
                fields=["postcode", "name_key", "practitioner"],
                condition=models.Q(active=True),
                name="role_postcode_name",
            ),
            models.Index(
                fields=["town_key", "name_key", "practitioner"],
                condition=models.Q(active=True),
                name="role_town_name",
            ),
            models.Index(
                fields=["organisation", "name_key", "practitioner"],
                condition=models.Q(active=True),
                name="role_org_name",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} — {self.service or self.organisation}"

    def save(self, *args, **kwargs):
        self.name_key = self.practitioner.search_key
        # An activity entered here without a specialty practises the practitioner's (search
        # by specialty and place reads the activity's).
        self.specialty = self.specialty or self.practitioner.specialty
        self.postcode = self.organisation.postcode
        self.town_key = self.organisation.town_key
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {
                *kwargs["update_fields"],
                "name_key",
                "postcode",
                "town_key",
                "specialty",
            }
        super().save(*args, **kwargs)


class ImportRun(models.Model):
    """One run of ``parcours import-annuaire``: what it read and what it changed."""

    class Status(models.TextChoices):
        RUNNING = "running", _("en cours")
        DONE = "done", _("terminé")
        FAILED = "failed", _("échec")

    started_at = models.DateTimeField(_("début"), auto_now_add=True)
    finished_at = models.DateTimeField(_("fin"), null=True, blank=True)
    file_name = models.CharField(_("fichier"), max_length=500)
    file_size = models.BigIntegerField(_("taille (octets)"), default=0)
    encoding = models.CharField(_("encodage"), max_length=40, blank=True)
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    rows_read = models.PositiveIntegerField(_("lignes lues"), default=0)
    rows_rejected = models.PositiveIntegerField(_("lignes rejetées"), default=0)
    practitioners_added = models.PositiveIntegerField(_("professionnels ajoutés"), default=0)
    practitioners_changed = models.PositiveIntegerField(_("professionnels modifiés"), default=0)
    practitioners_gone = models.PositiveIntegerField(_("professionnels disparus"), default=0)
    organisations_added = models.PositiveIntegerField(_("structures ajoutées"), default=0)
    organisations_changed = models.PositiveIntegerField(_("structures modifiées"), default=0)
    organisations_gone = models.PositiveIntegerField(_("structures disparues"), default=0)
    roles_added = models.PositiveIntegerField(_("activités ajoutées"), default=0)
    roles_changed = models.PositiveIntegerField(_("activités modifiées"), default=0)
    roles_gone = models.PositiveIntegerField(_("activités disparues"), default=0)
    # [{"line": 12, "error": "…"}], the first IMPORT_MAX_ERRORS_KEPT of them.
    errors = models.JSONField(_("erreurs"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("import de l'annuaire")
        verbose_name_plural = _("imports de l'annuaire")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.started_at:%Y-%m-%d %H:%M})"

    @property
    def duration(self):
        return self.finished_at - self.started_at if self.finished_at else None


class ContactEdit(models.Model):
    """Who changed which locally editable contact field of a directory entry, and when."""

    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, null=True, blank=True, related_name="contact_edits"
    )
    service = models.ForeignKey(
        HospitalService,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="contact_edits",
    )
    field = models.CharField(_("champ"), max_length=50)
    old_value = models.CharField(_("ancienne valeur"), max_length=254, blank=True)
    new_value = models.CharField(_("nouvelle valeur"), max_length=254, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("par"),
    )
    edited_at = models.DateTimeField(_("le"), auto_now_add=True)

    class Meta:
        verbose_name = _("modification de coordonnées")
        verbose_name_plural = _("modifications de coordonnées")
        ordering = ["-edited_at", "-id"]

    def __str__(self) -> str:
        return f"{self.field} : {self.old_value} → {self.new_value}"
