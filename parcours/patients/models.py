"""Patient identity, after the INS rules (docs/standards.md).

The five INS traits are stored as given at birth; the used name and first name are displayed
next to them as identitovigilance practice requires, never instead of them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
    birth_given_names = models.CharField(_("prénom(s) de naissance"), max_length=200,
                                         help_text=_("Séparés par des espaces, dans l'ordre "
                                                     "de l'état civil."))
    birth_date = models.DateField(_("date de naissance"))
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices)
    birthplace_insee = models.CharField(_("lieu de naissance (code INSEE)"), max_length=5,
                                        blank=True)
    ins_nir = models.CharField(_("matricule INS (NIR/NIA)"), max_length=15, blank=True)
    used_name = models.CharField(_("nom utilisé"), max_length=100, blank=True)
    used_first_name = models.CharField(_("prénom utilisé"), max_length=100, blank=True)
    identity_status = models.CharField(_("statut de l'identité"), max_length=5,
                                       choices=Status.choices, default=Status.PROVISIONAL)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("créé par"))
    # Search keys: upper case without accents, so that "Lefèvre" finds "LEFEVRE".
    search_name = models.CharField(max_length=300, db_index=True, editable=False)

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["birth_name", "birth_given_names"]
        indexes = [models.Index(fields=["birth_date", "search_name"])]
        constraints = [
            # One identity per INS matricule.
            models.UniqueConstraint(fields=["ins_nir"], condition=~models.Q(ins_nir=""),
                                    name="patient_unique_ins_nir"),
        ]

    def __str__(self) -> str:
        return self.display_name

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
    """Why a professional may see a patient outside of a referral (they created or found it)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care_links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="care_links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lien de soin")
        verbose_name_plural = _("liens de soin")
        constraints = [models.UniqueConstraint(fields=["patient", "user"],
                                               name="carelink_unique")]

    def __str__(self) -> str:
        return f"{self.user} → {self.patient}"
