"""Forms of the collaborative spaces: they parse and check input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.lib.forms import DateInput, DateTimeInput

from .models import Page, Space, Visibility

NO_PATIENT = _("Aucune donnée de patient dans les espaces collaboratifs.")


class SpaceForm(forms.Form):
    name = forms.CharField(label=_("Nom de l'espace"), max_length=150)
    description = forms.CharField(
        label=_("Présentation"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    policy = forms.ChoiceField(
        label=_("Adhésion"), choices=Space.Policy.choices, widget=forms.RadioSelect
    )


class InviteForm(forms.Form):
    who = forms.CharField(
        label=_("Inviter (adresse e-mail ou identifiant du compte)"), max_length=150
    )


class PageForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=Page.Kind.choices, widget=forms.RadioSelect)
    title = forms.CharField(label=_("Titre"), max_length=200)
    body = forms.CharField(
        label=_("Texte"),
        widget=forms.Textarea(attrs={"rows": 12}),
        required=False,
        help_text=NO_PATIENT,
    )
    upload = forms.FileField(
        label=_("Fichier (documents : PDF, images, ODT, DOCX, XLSX…)"), required=False
    )
    folder = forms.ChoiceField(label=_("Dossier"), required=False)
    new_folder = forms.CharField(label=_("ou nouveau dossier"), max_length=120, required=False)
    visibility = forms.ChoiceField(
        label=_("Visible par"), choices=Visibility.choices, initial=Visibility.DRAFT
    )

    def __init__(self, *args, folders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["folder"].choices = [("", _("(aucun)"))] + [
            (str(f.pk), f.name) for f in folders
        ]


class PageEditForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=200)
    body = forms.CharField(
        label=_("Texte"),
        widget=forms.Textarea(attrs={"rows": 16}),
        required=False,
        help_text=NO_PATIENT,
    )
    upload = forms.FileField(label=_("Nouvelle version du fichier"), required=False)
    note = forms.CharField(label=_("Note de version"), max_length=200, required=False)
    base_version = forms.IntegerField(widget=forms.HiddenInput)


class VisibilityForm(forms.Form):
    visibility = forms.ChoiceField(label=_("Visible par"), choices=Visibility.choices)


class EntryForm(forms.Form):
    provider = forms.CharField(label=_("Prestataire"), max_length=150)
    area = forms.CharField(label=_("Secteur desservi"), max_length=200, required=False)
    days = forms.CharField(label=_("Jours de livraison"), max_length=120, required=False)
    meals_per_week = forms.IntegerField(
        label=_("Repas par semaine"), min_value=0, max_value=21, required=False
    )
    price = forms.DecimalField(
        label=_("Prix (€)"),
        min_value=0,
        max_digits=8,
        decimal_places=2,
        required=False,
        localize=True,
    )
    price_unit = forms.CharField(label=_("Unité du prix"), max_length=40, required=False)
    price_valid_on = forms.DateField(
        label=_("Tarif vérifié le"), widget=DateInput(), required=False
    )
    phone = forms.CharField(label=_("Téléphone"), max_length=30, required=False)
    source = forms.CharField(label=_("Source"), max_length=200, required=False)
    notes = forms.CharField(
        label=_("Remarques"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class EventForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=200)
    start = forms.DateTimeField(label=_("Début"), widget=DateTimeInput())
    end = forms.DateTimeField(label=_("Fin"), widget=DateTimeInput())
    location = forms.CharField(label=_("Lieu"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    frequency = forms.ChoiceField(
        label=_("Répéter"),
        required=False,
        choices=[
            ("", _("Non")),
            ("daily", _("Chaque jour")),
            ("weekly", _("Chaque semaine")),
            ("monthly", _("Chaque mois")),
        ],
    )
    interval = forms.IntegerField(
        label=_("Tous les… (1 = chaque)"), min_value=1, max_value=12, initial=1, required=False
    )
    count = forms.IntegerField(label=_("Nombre de fois"), min_value=1, required=False)
    until = forms.DateField(label=_("ou jusqu'au"), widget=DateInput(), required=False)
    visibility = forms.ChoiceField(
        label=_("Visible par"),
        choices=[c for c in Visibility.choices if c[0] != Visibility.DRAFT],
        initial=Visibility.MEMBERS,
    )


class TopicForm(forms.Form):
    title = forms.CharField(label=_("Sujet"), max_length=200)
    body = forms.CharField(
        label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}), help_text=NO_PATIENT
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Votre réponse"), widget=forms.Textarea(attrs={"rows": 4}), help_text=NO_PATIENT
    )


class HideForm(forms.Form):
    reason = forms.CharField(label=_("Raison"), max_length=200)
