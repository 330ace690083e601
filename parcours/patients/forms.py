from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from parcours.lib.forms import DateInput

from .cog import cog_year, is_code, resolve_birthplace
from .models import Patient, PatientIdentifier
from .services import IDENTITY_DOCUMENTS


class PatientForm(forms.Form):
    birth_name = forms.CharField(label=_("Nom de naissance"), max_length=100)
    birth_given_names = forms.CharField(
        label=_("Prénom(s) de naissance"),
        max_length=200,
        help_text=_("Tous les prénoms de l'état civil, dans l'ordre, séparés par des espaces."),
    )
    birth_date = forms.DateField(label=_("Date de naissance"), widget=DateInput())
    sex = forms.ChoiceField(label=_("Sexe"), choices=Patient.Sex.choices, widget=forms.RadioSelect)
    birthplace_insee = forms.CharField(
        label=_("Lieu de naissance (commune)"),
        max_length=120,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "data-commune-url": "", "spellcheck": "false"}
        ),
    )
    ins_nir = forms.CharField(
        label=_("Matricule INS (NIR), 15 caractères"), max_length=21, required=False
    )
    used_name = forms.CharField(label=_("Nom utilisé"), max_length=100, required=False)
    used_first_name = forms.CharField(label=_("Prénom utilisé"), max_length=100, required=False)
    phone = forms.CharField(label=_("Téléphone"), max_length=30, required=False)
    address_line = forms.CharField(
        label=_("Adresse"),
        max_length=200,
        required=False,
        help_text=_("Facultatif : aide à repérer un doublon, ne qualifie jamais une identité."),
    )
    postcode = forms.CharField(label=_("Code postal"), max_length=10, required=False)
    town = forms.CharField(label=_("Commune"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):

        super().__init__(*args, **kwargs)
        field = self.fields["birthplace_insee"]
        field.widget.attrs["data-commune-url"] = reverse("patients:communes")
        field.help_text = _(
            "Tapez le nom de la commune puis choisissez-la dans la liste (ou "
            "saisissez son code INSEE). Naissance à l'étranger : code du pays, "
            "99xxx. Communes du Code officiel géographique %(year)s (INSEE), "
            "anciennes communes fusionnées comprises."
        ) % {"year": cog_year()}

    def clean_birthplace_insee(self) -> str:
        """The INSEE code of the birthplace typed or chosen (commune name or code); a clear
        error when the name is ambiguous or the code unknown to the COG."""
        value = self.cleaned_data.get("birthplace_insee", "").strip()
        if not value:
            return ""
        code, candidates = resolve_birthplace(value)
        if code:
            return code
        if is_code(value.upper()):
            raise forms.ValidationError(
                _(
                    "Le code INSEE %(code)s n'existe pas dans le Code officiel géographique "
                    "%(year)s : vérifiez-le, ou tapez le nom de la commune."
                )
                % {"code": value.upper(), "year": cog_year()}
            )
        if candidates:
            raise forms.ValidationError(
                _(
                    "Plusieurs lieux correspondent à « %(value)s » : choisissez dans la liste, "
                    "ou saisissez le code INSEE. Par exemple : %(examples)s."
                )
                % {
                    "value": value,
                    "examples": " ; ".join(f"{c.label} → {c.code}" for c in candidates[:4]),
                }
            )
        raise forms.ValidationError(
            _(
                "Aucune commune « %(value)s » dans le Code officiel géographique %(year)s : "
                "vérifiez l'orthographe ou saisissez le code INSEE (99xxx pour l'étranger)."
            )
            % {"value": value, "year": cog_year()}
        )


class PatientSearchForm(forms.Form):
    q = forms.CharField(label=_("Nom"), required=False, max_length=100)
    birth_date = forms.DateField(label=_("Date de naissance"), required=False, widget=DateInput())


class StatusForm(forms.Form):
    """Change an identity's status (rules in services.patient_set_status)."""

    status = forms.ChoiceField(label=_("Nouveau statut"), choices=Patient.Status.choices)
    document = forms.ChoiceField(
        label=_("Pièce d'identité contrôlée"), required=False, choices=[("", "—")]
    )
    insi = forms.BooleanField(label=_("INS récupérée par le téléservice INSi"), required=False)
    reason = forms.CharField(label=_("Motif"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].choices = [("", "—"), *IDENTITY_DOCUMENTS.items()]


class IdentifierForm(forms.Form):
    """A local number of the patient in one of the user's organisations (IPP, network file)."""

    organisation: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Organisation émettrice"), queryset=None, empty_label=None
    )
    kind = forms.ChoiceField(
        label=_("Type"),
        choices=[
            (PatientIdentifier.Kind.IPP, PatientIdentifier.Kind.IPP.label),
            (PatientIdentifier.Kind.NETWORK, PatientIdentifier.Kind.NETWORK.label),
            (PatientIdentifier.Kind.OTHER, PatientIdentifier.Kind.OTHER.label),
        ],
    )
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

    reason = forms.CharField(
        label=_("Motif de l'accès en urgence"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Une phrase : la situation qui impose de consulter le "
            "dossier sans relation de soin enregistrée. L'accès "
            "est limité dans le temps, tracé et signalé aux "
            "professionnels qui suivent le patient."
        ),
    )


class MergeForm(forms.Form):
    """Merge two identities: which one to keep, why, and a confirmation (checked again in
    services.patient_merge)."""

    # Not required by the form: « personnes distinctes » posts the same form without it; the
    # merge checks it (views.duplicate_detail, services.patient_merge).
    survivor = forms.ChoiceField(
        label=_("Identité à conserver"), choices=(), required=False, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Motif de la décision"),
        max_length=300,
        required=False,
        help_text=_(
            "Ce qui montre qu'il s'agit de la même personne "
            "(pièce d'identité, INS…) ou de deux personnes "
            "distinctes (jumeaux, homonymes…)."
        ),
    )
    confirm = forms.BooleanField(
        label=_(
            "J'ai comparé les traits des deux identités et je "
            "confirme qu'il s'agit de la même personne."
        ),
        required=False,
    )

    def __init__(self, *args, pair, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survivor"].choices = [
            (str(p.pk), self.survivor_label(p)) for p in (pair.low, pair.high)
        ]

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
