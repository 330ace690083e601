from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from parcours.accounts.models import Role
from parcours.referrals.forms import MultipleFileField


def professionals():
    """Who can be written to: active users with a professional role."""
    return (get_user_model().objects.filter(is_active=True, memberships__isnull=False)
            .distinct().order_by("last_name", "first_name"))


class UserChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class UserSingleField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class ComposeForm(forms.Form):
    to = UserChoiceField(label=_("Destinataires"), queryset=professionals(), required=False,
                         widget=forms.SelectMultiple(attrs={"size": 6}))
    cc = UserChoiceField(label=_("Copie à"), queryset=professionals(), required=False,
                         widget=forms.SelectMultiple(attrs={"size": 4}))
    external = forms.CharField(
        label=_("Adresses de messagerie sécurisée externes"), required=False, max_length=1000,
        help_text=_("Séparées par des virgules, par ex. dr.martin@medecin.mssante.fr"))
    subject = forms.CharField(label=_("Objet"), max_length=200)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 10}),
                           required=False, max_length=100_000)
    files = MultipleFileField(label=_("Pièces jointes (PDF, JPEG, PNG ; 10 Mo max. chacune)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Fresh querysets per form: users created after start-up are offered too.
        self.fields["to"].queryset = professionals()
        self.fields["cc"].queryset = professionals()

    def clean_external(self):
        raw = self.cleaned_data["external"]
        return [a.strip() for a in raw.replace(";", ",").split(",") if a.strip()]


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Réponse"), widget=forms.Textarea(attrs={"rows": 5}),
                           required=False, max_length=100_000)
    files = MultipleFileField(label=_("Pièces jointes"))


class FolderForm(forms.Form):
    name = forms.CharField(label=_("Nouveau dossier"), max_length=60)


class LetterDeclareForm(forms.Form):
    service = forms.ModelChoiceField(label=_("Service"), queryset=None)
    recipient = UserSingleField(label=_("Médecin traitant"), queryset=None)
    admitted_on = forms.DateField(label=_("Entrée le"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    discharged_at = forms.DateTimeField(
        label=_("Sortie le"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                         format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"])
    body = forms.CharField(label=_("Lettre (facultatif : vous pourrez l'écrire ensuite)"),
                           widget=forms.Textarea(attrs={"rows": 8}), required=False,
                           max_length=100_000)
    files = MultipleFileField(label=_("Ou la lettre en PDF"))

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services
        self.fields["recipient"].queryset = (
            get_user_model().objects.filter(is_active=True, memberships__role=Role.GP)
            .distinct().order_by("last_name", "first_name"))


class LetterWriteForm(forms.Form):
    body = forms.CharField(label=_("Lettre"), widget=forms.Textarea(attrs={"rows": 12}),
                           required=False, max_length=100_000)
    files = MultipleFileField(label=_("Ou la lettre en PDF"))
