from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from parcours.accounts.models import Role
from parcours.directory.mssante import check_external
from parcours.lib.forms import MultipleFileField


def professionals(exclude=None):
    """Who can be written to: active users with a professional role, but ``exclude`` (the
    sender: nobody is offered as her own recipient)."""
    qs = get_user_model().objects.filter(is_active=True, memberships__isnull=False)
    if exclude is not None and exclude.pk:
        qs = qs.exclude(pk=exclude.pk)
    return qs.distinct().order_by("last_name", "first_name")


class UserChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class UserSingleField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class ComposeForm(forms.Form):
    to = UserChoiceField(
        label=_("Destinataires"),
        queryset=professionals(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    cc = UserChoiceField(
        label=_("Copie à"),
        queryset=professionals(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    external = forms.CharField(
        label=_("Adresses de messagerie sécurisée externes"),
        required=False,
        max_length=1000,
        help_text=_(
            "Adresses MSSanté uniquement, séparées par des virgules, par ex. "
            "dr.martin@medecin.mssante.fr"
        ),
    )
    subject = forms.CharField(label=_("Objet"), max_length=200)
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 10}),
        required=False,
        max_length=100_000,
    )
    files = MultipleFileField(  # type: ignore[assignment]  # a declared field, not BaseForm.files
        label=_("Pièces jointes (PDF, JPEG, PNG ; 10 Mo max. chacune)")
    )

    def __init__(self, *args, sender=None, search_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        # Fresh querysets per form: users created after start-up are offered too; never the
        # sender herself.
        for name in ("to", "cc"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelMultipleChoiceField)  # declared above
            field.queryset = professionals(exclude=sender)
        if search_url:
            # recipients.js turns each list into a search-as-you-type picker.
            self.fields["to"].widget.attrs.update(
                {
                    "data-recipient-search": search_url,
                    "data-picker-label": _("Rechercher un destinataire"),
                    "data-picker-proposed": _("Destinataires proposés"),
                    "data-picker-chosen": _("Destinataires choisis"),
                }
            )
            self.fields["cc"].widget.attrs.update(
                {
                    "data-recipient-search": search_url,
                    "data-picker-label": _("Rechercher une personne à mettre en copie"),
                    "data-picker-proposed": _("Personnes proposées en copie"),
                    "data-picker-chosen": _("En copie"),
                }
            )
            self.fields["external"].widget.attrs["data-recipient-external"] = "1"

    def clean_external(self):
        """The addresses, each checked: well formed and on a secure-messaging domain
        (``addresses.check_external``); every refusal is listed."""
        raw = self.cleaned_data["external"]
        out, errors = [], []
        for address in [a.strip() for a in raw.replace(";", ",").split(",") if a.strip()]:
            try:
                out.append(check_external(address))
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return list(dict.fromkeys(out))


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Réponse"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=100_000,
    )
    files = MultipleFileField(  # type: ignore[assignment]  # a declared field, not BaseForm.files
        label=_("Pièces jointes")
    )


class FolderForm(forms.Form):
    name = forms.CharField(label=_("Nouveau dossier"), max_length=60)


class LetterDeclareForm(forms.Form):
    service: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Service"), queryset=None)
    recipient = UserSingleField(label=_("Médecin traitant"), queryset=None)
    admitted_on = forms.DateField(
        label=_("Entrée le"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    discharged_at = forms.DateTimeField(
        label=_("Sortie le"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
    )
    body = forms.CharField(
        label=_("Lettre (facultatif : vous pourrez l'écrire ensuite)"),
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        max_length=100_000,
    )
    files = MultipleFileField(  # type: ignore[assignment]  # a declared field, not BaseForm.files
        label=_("Ou la lettre en PDF")
    )

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services
        self.fields["recipient"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, memberships__role=Role.GP)
            .distinct()
            .order_by("last_name", "first_name")
        )


class LetterWriteForm(forms.Form):
    body = forms.CharField(
        label=_("Lettre"),
        widget=forms.Textarea(attrs={"rows": 12}),
        required=False,
        max_length=100_000,
    )
    files = MultipleFileField(  # type: ignore[assignment]  # a declared field, not BaseForm.files
        label=_("Ou la lettre en PDF")
    )
