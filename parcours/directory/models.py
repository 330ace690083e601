"""The directory of the territory: organisations, hospital services, practitioners.

Enough for the referral pathway: hospitals and their services (with the pathway desk that
triages for them, their head and their response-time settings), practices and MSPs, imaging
centres, and practitioners with their contact modalities. FHIR: Organization,
HealthcareService, Practitioner, PractitionerRole.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HospitalService(models.Model):
    """A hospital service that receives requests (HealthcareService)."""

    hospital = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="services",
                                 limit_choices_to={"kind": Organisation.Kind.HOSPITAL},
                                 verbose_name=_("établissement"))
    name = models.CharField(_("nom"), max_length=200)
    specialty = models.CharField(_("spécialité"), max_length=100)
    description = models.TextField(_("présentation"), blank=True)
    phone = models.CharField(_("secrétariat"), max_length=30, blank=True)
    senior_line = models.CharField(_("ligne directe d'un médecin senior"), max_length=30,
                                   blank=True)
    senior_line_hours = models.CharField(_("horaires de la ligne senior"), max_length=100,
                                         blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    head = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="headed_services",
                             verbose_name=_("chef de service"))
    accepts_requests = models.BooleanField(_("reçoit des demandes"), default=True)
    sla_hours = models.PositiveIntegerField(_("délai de réponse (heures)"), default=48)
    sla_working_days = models.BooleanField(
        _("délai compté en jours ouvrés"), default=False,
        help_text=_("Hors week-ends et jours fériés français."))

    class Meta:
        verbose_name = _("service hospitalier")
        verbose_name_plural = _("services hospitaliers")
        ordering = ["hospital__name", "name"]

    def __str__(self) -> str:
        return f"{self.name} — {self.hospital.name}"


class ServiceDelay(models.Model):
    """A response delay for one kind of request, overriding the service's default."""

    service = models.ForeignKey(HospitalService, on_delete=models.CASCADE, related_name="delays",
                                verbose_name=_("service"))
    kind = models.CharField(_("type de demande"), max_length=20,
                            choices=[("ADVICE", _("Avis spécialisé")),
                                     ("ADMISSION", _("Hospitalisation")),
                                     ("CONSULTATION", _("Consultation")),
                                     ("EXAM", _("Examen complémentaire"))])
    hours = models.PositiveIntegerField(_("délai (heures)"))
    working_days = models.BooleanField(_("jours ouvrés"), default=False)

    class Meta:
        verbose_name = _("délai par type de demande")
        verbose_name_plural = _("délais par type de demande")
        constraints = [models.UniqueConstraint(fields=["service", "kind"],
                                               name="service_delay_unique")]

    def __str__(self) -> str:
        return f"{self.service} — {self.get_kind_display()} : {self.hours} h"


class Practitioner(models.Model):
    """A health professional of the territory (FHIR Practitioner), with or without an account."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="practitioner",
                                verbose_name=_("compte"))
    rpps = models.CharField(_("RPPS"), max_length=11, blank=True, db_index=True)
    title = models.CharField(_("titre"), max_length=20, blank=True, default="Dr")
    last_name = models.CharField(_("nom"), max_length=100)
    first_name = models.CharField(_("prénom"), max_length=100)
    profession = models.CharField(_("profession"), max_length=100, default="Médecin")
    specialty = models.CharField(_("spécialité"), max_length=100, blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    mssante = models.EmailField(_("messagerie sécurisée (MSSanté)"), blank=True)
    preferred_channel = models.CharField(_("canal préféré"), max_length=100, blank=True)
    contact_hours = models.CharField(_("horaires de contact"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("professionnel de santé")
        verbose_name_plural = _("professionnels de santé")
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return f"{self.title} {self.first_name} {self.last_name.upper()}".strip()


class PractitionerRole(models.Model):
    """Where a practitioner works (FHIR PractitionerRole)."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="roles",
                                     verbose_name=_("professionnel"))
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="practitioner_roles",
                                     verbose_name=_("organisation"))
    service = models.ForeignKey(HospitalService, on_delete=models.CASCADE, null=True,
                                blank=True, related_name="practitioner_roles",
                                verbose_name=_("service"))
    function = models.CharField(_("fonction"), max_length=100, blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("activité")
        verbose_name_plural = _("activités")

    def __str__(self) -> str:
        return f"{self.practitioner} — {self.service or self.organisation}"
