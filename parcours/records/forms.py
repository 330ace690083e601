"""The forms of the network pages (the filled forms themselves are built from the network's
definition: ``formdef.parse_post`` and the ``records/_fill.html`` template)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.lib.forms import DateTimeInput

from . import formdef
from .builder import groups_of
from .models import Consent, Profile, Record, Right

OPERATOR_CHOICES = [
    ("=", _("est égal à / contient")),
    ("!=", _("est différent de")),
    (">", _("est supérieur à")),
    ("<", _("est inférieur à")),
    (">=", _("est au moins")),
    ("<=", _("est au plus")),
    ("exists", _("est renseigné (true/false)")),
]


class MemberForm(forms.Form):
    username = forms.CharField(
        label=_("Identifiant Parcours de la personne"),
        max_length=150,
        help_text=_("L'identifiant exact de son compte (ex. : infirmier.geronto)."),
    )
    profile = forms.ModelChoiceField(label=_("Profil"), queryset=Profile.objects.none())

    def __init__(self, *args, network, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profile"].queryset = Profile.objects.filter(network=network)


class FormCreateForm(forms.Form):
    title = forms.CharField(label=_("Titre du formulaire"), max_length=200)


class ItemForm(forms.Form):
    parent = forms.ChoiceField(label=_("Dans"), required=False)
    type = forms.ChoiceField(
        label=_("Type"), choices=[(k, _(v)) for k, v in formdef.ITEM_TYPES.items()]
    )
    text = forms.CharField(label=_("Libellé"), max_length=300)
    link_id = forms.CharField(
        label=_("Identifiant (facultatif)"),
        max_length=64,
        required=False,
        help_text=_("Lettres, chiffres, _ ou - ; fait à partir du libellé si vide."),
    )
    required = forms.BooleanField(label=_("Réponse obligatoire"), required=False)
    repeats = forms.BooleanField(label=_("Groupe répétable (plusieurs lignes)"), required=False)
    help = forms.CharField(label=_("Texte d'aide"), max_length=500, required=False)
    unit = forms.CharField(label=_("Unité"), max_length=20, required=False)
    min = forms.CharField(label=_("Minimum"), max_length=20, required=False)
    max = forms.CharField(label=_("Maximum"), max_length=20, required=False)
    options = forms.CharField(
        label=_("Réponses possibles"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Une par ligne : code | libellé | points (points pour un score)."),
    )
    when_question = forms.ChoiceField(label=_("Afficher seulement si"), required=False)
    when_operator = forms.ChoiceField(
        label=_("Condition"), choices=OPERATOR_CHOICES, required=False
    )
    when_answer = forms.CharField(label=_("Valeur"), max_length=100, required=False)
    sources = forms.CharField(
        label=_("Score : questions additionnées"),
        required=False,
        help_text=_("Identifiants séparés par des virgules (questions à choix avec points)."),
    )
    levels = forms.CharField(
        label=_("Score : niveaux"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Un par ligne : minimum | libellé."),
    )

    def __init__(self, *args, definition, **kwargs):
        super().__init__(*args, **kwargs)
        groups = [(link_id, label) for link_id, label in groups_of(definition)]
        self.fields["parent"].choices = [("", _("(nouvelle section)"))] + groups
        questions = [
            (item["linkId"], item.get("text") or item["linkId"])
            for item, _parents in formdef.walk(definition)
            if item.get("type") in formdef.ANSWERED_TYPES
        ]
        self.fields["when_question"].choices = [("", "—")] + questions


class ImportForm(forms.Form):
    questionnaire = forms.CharField(
        label=_("Questionnaire FHIR (JSON)"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Une ressource Questionnaire R4 ; elle remplace le brouillon."),
    )


class ConsentForm(forms.Form):
    method = forms.ChoiceField(label=_("Modalité du recueil"), choices=Consent.Method.choices)
    scope = forms.CharField(
        label=_("Portée"),
        max_length=500,
        initial=_("Partage du dossier entre les professionnels du cercle de soins du réseau"),
    )
    collected_at = forms.DateTimeField(
        label=_("Recueilli le"), widget=DateTimeInput(), required=False
    )
    document = forms.FileField(label=_("Document signé (PDF, image)"), required=False)


class EnrolForm(ConsentForm):
    patient = forms.IntegerField(widget=forms.HiddenInput)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Motif ou forme du retrait"), max_length=500)


class CircleForm(forms.Form):
    user = forms.ChoiceField(label=_("Membre du réseau"))

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [
            (str(m.user_id), f"{m.user.display_name} — {m.profile.label}") for m in members
        ]


class StageForm(forms.Form):
    stage = forms.ChoiceField(label=_("Nouvelle étape"), choices=Record.Stage.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class VisibilityForm(forms.Form):
    at = forms.DateTimeField(label=_("À la date du"), widget=DateTimeInput())


class RightsForm(forms.Form):
    """One select per (section, profile), named ``right-<section>-<profile id>``."""

    def __init__(self, *args, sections, profiles, current, **kwargs):
        super().__init__(*args, **kwargs)
        self.cells = []
        for section_id, text in sections:
            row = []
            for profile in profiles:
                name = f"right-{section_id}-{profile.pk}"
                self.fields[name] = forms.ChoiceField(
                    label=f"{text} — {profile.label}",
                    choices=Right.choices,
                    initial=current.get((section_id, profile.pk), Right.NONE),
                )
                row.append(name)
            self.cells.append((text, [self[name] for name in row]))

    def levels(self, sections, profiles) -> dict:
        """``{(section linkId, profile id): level}`` from the cleaned data."""
        return {
            (section_id, profile.pk): self.cleaned_data[f"right-{section_id}-{profile.pk}"]
            for section_id, _text in sections
            for profile in profiles
        }
