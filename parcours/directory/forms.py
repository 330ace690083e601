from django import forms
from django.utils.translation import gettext_lazy as _

from .models import HospitalService, Practitioner
from .mssante import domains_label, is_secure_address
from .services import PRACTITIONER_CONTACT_FIELDS, SERVICE_CONTACT_FIELDS

PHONE_CHARS = set("0123456789 +.()-")


def _clean_phone(value: str) -> str:
    value = value.strip()
    if value and (not set(value) <= PHONE_CHARS or sum(c.isdigit() for c in value) < 4):
        raise forms.ValidationError(_("Numéro de téléphone invalide."))
    return value


class PractitionerContactForm(forms.ModelForm):
    class Meta:
        model = Practitioner
        fields = list(PRACTITIONER_CONTACT_FIELDS)
        help_texts = {"phone": _("Laisser vide pour afficher celui de l'annuaire national.")}

    def clean_phone(self):
        return _clean_phone(self.cleaned_data["phone"])

    def clean_mssante(self):
        """Only a secure-messaging address (settings.MSSANTE_DOMAINS): the mailbox sends
        health data to it (issue 14, bug 8)."""
        value = self.cleaned_data["mssante"].strip().lower()
        if value and not is_secure_address(value):
            raise forms.ValidationError(
                _(
                    "Ce n'est pas une adresse de messagerie sécurisée de santé (MSSanté) : "
                    "les adresses acceptées se terminent par %(d)s."
                )
                % {"d": domains_label()}
            )
        return value


class ServiceContactForm(forms.ModelForm):
    class Meta:
        model = HospitalService
        fields = list(SERVICE_CONTACT_FIELDS)

    def clean_senior_line(self):
        return _clean_phone(self.cleaned_data["senior_line"])

    def clean_phone(self):
        return _clean_phone(self.cleaned_data["phone"])


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Nom"), required=False, max_length=100)
    specialty = forms.CharField(label=_("Spécialité"), required=False, max_length=100)
    place = forms.CharField(label=_("Commune ou code postal"), required=False, max_length=100)
    organisation = forms.CharField(label=_("Structure"), required=False, max_length=100)
