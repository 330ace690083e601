from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.referrals.forms import DateInput

from .models import Patient, PatientIdentifier


class PatientForm(forms.Form):
    birth_name = forms.CharField(label=_("Nom de naissance"), max_length=100)
    birth_given_names = forms.CharField(label=_("Prénom(s) de naissance"), max_length=200,
                                        help_text=_("Tous les prénoms de l'état civil, dans "
                                                    "l'ordre, séparés par des espaces."))
    birth_date = forms.DateField(label=_("Date de naissance"), widget=DateInput())
    sex = forms.ChoiceField(label=_("Sexe"), choices=Patient.Sex.choices,
                            widget=forms.RadioSelect)
    birthplace_insee = forms.CharField(label=_("Lieu de naissance (code INSEE)"), max_length=5,
                                       required=False,
                                       help_text=_("5 caractères ; 99xxx pour l'étranger."))
    ins_nir = forms.CharField(label=_("Matricule INS (NIR), 15 caractères"), max_length=21,
                              required=False)
    used_name = forms.CharField(label=_("Nom utilisé"), max_length=100, required=False)
    used_first_name = forms.CharField(label=_("Prénom utilisé"), max_length=100,
                                      required=False)
    phone = forms.CharField(label=_("Téléphone"), max_length=30, required=False)
    address_line = forms.CharField(label=_("Adresse"), max_length=200, required=False,
                                   help_text=_("Facultatif : aide à repérer un doublon, ne "
                                               "qualifie jamais une identité."))
    postcode = forms.CharField(label=_("Code postal"), max_length=10, required=False)
    town = forms.CharField(label=_("Commune"), max_length=100, required=False)


class PatientSearchForm(forms.Form):
    q = forms.CharField(label=_("Nom"), required=False, max_length=100)
    birth_date = forms.DateField(label=_("Date de naissance"), required=False,
                                 widget=DateInput())


class StatusForm(forms.Form):
    """Change an identity's status (rules in services.patient_set_status)."""

    status = forms.ChoiceField(label=_("Nouveau statut"), choices=Patient.Status.choices)
    document = forms.ChoiceField(label=_("Pièce d'identité contrôlée"), required=False,
                                 choices=[("", "—")])
    insi = forms.BooleanField(label=_("INS récupérée par le téléservice INSi"), required=False)
    reason = forms.CharField(label=_("Motif"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        from .services import IDENTITY_DOCUMENTS

        super().__init__(*args, **kwargs)
        self.fields["document"].choices = [("", "—"), *IDENTITY_DOCUMENTS.items()]


class IdentifierForm(forms.Form):
    """A local number of the patient in one of the user's organisations (IPP, network file)."""

    organisation = forms.ModelChoiceField(label=_("Organisation émettrice"), queryset=None,
                                          empty_label=None)
    kind = forms.ChoiceField(label=_("Type"), choices=[
        (PatientIdentifier.Kind.IPP, PatientIdentifier.Kind.IPP.label),
        (PatientIdentifier.Kind.NETWORK, PatientIdentifier.Kind.NETWORK.label),
        (PatientIdentifier.Kind.OTHER, PatientIdentifier.Kind.OTHER.label)])
    value = forms.CharField(label=_("Numéro"), max_length=100)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations

    def clean_value(self):
        value = "".join(self.cleaned_data["value"].split())
        if not value.isprintable() or len(value) < 2:
            raise forms.ValidationError(_("Numéro invalide."))
        return value


class EmergencyAccessForm(forms.Form):
    """« Bris de glace »: the reason is mandatory (services.emergency_access_open)."""

    reason = forms.CharField(label=_("Motif de l'accès en urgence"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Une phrase : la situation qui impose de consulter le "
                                         "dossier sans relation de soin enregistrée. L'accès "
                                         "est limité dans le temps, tracé et signalé aux "
                                         "professionnels qui suivent le patient."))


class MergeForm(forms.Form):
    """Merge two identities: which one to keep, why, and a confirmation (checked again in
    services.patient_merge)."""

    # Not required by the form: « personnes distinctes » posts the same form without it; the
    # merge checks it (views.duplicate_detail, services.patient_merge).
    survivor = forms.ChoiceField(label=_("Identité à conserver"), choices=(), required=False,
                                 widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Motif de la décision"), max_length=300, required=False,
                             help_text=_("Ce qui montre qu'il s'agit de la même personne "
                                         "(pièce d'identité, INS…) ou de deux personnes "
                                         "distinctes (jumeaux, homonymes…)."))
    confirm = forms.BooleanField(label=_("J'ai comparé les traits des deux identités et je "
                                         "confirme qu'il s'agit de la même personne."),
                                 required=False)

    def __init__(self, *args, pair, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survivor"].choices = [(str(p.pk), self.survivor_label(p))
                                           for p in (pair.low, pair.high)]

    @staticmethod
    def survivor_label(p) -> str:
        """The identity as the reviewer must tell it from the other: every birth given name,
        the birth date and the INS — ``display_name`` shows only the first given name, so a
        pair differing by a given name read « BERNARD PAUL » twice."""
        label = f"n° {p.pk} — {p.birth_name.upper()} {p.birth_given_names.upper()}".rstrip()
        if p.used_name and p.used_name.upper() != p.birth_name.upper():
            label += _(" (nom utilisé : %(n)s)") % {"n": p.used_name.upper()}
        if p.birth_date:
            label += _(", né(e) le %(d)s") % {"d": p.birth_date.strftime("%d/%m/%Y")}
        label += _(", INS %(ins)s") % {"ins": p.ins_nir} if p.ins_nir else _(", sans INS")
        return f"{label} ({p.get_identity_status_display()})"
