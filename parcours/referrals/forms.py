"""Forms of the referral pages: they parse and show errors; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.directory.models import HospitalService
from parcours.lib.forms import DateInput, DateTimeInput, MultipleFileField

from .workflow import AnswerKind, Kind, Status


def service_choices_queryset():
    return (
        HospitalService.objects.filter(accepts_requests=True, hospital__active=True)
        .select_related("hospital")
        .order_by("hospital__name", "name")
    )


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.hospital.name} — {obj.name}"


class ReferralForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Type de demande"), choices=Kind.choices, widget=forms.RadioSelect
    )
    service = ServiceChoiceField(
        label=_("Service hospitalier"),
        queryset=HospitalService.objects.none(),
        empty_label=_("— choisir un service —"),
    )
    question = forms.CharField(
        label=_("Question clinique"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )
    context = forms.CharField(
        label=_("Contexte (antécédents, traitements, examens déjà faits)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=10000,
    )
    wished_from = forms.DateField(
        label=_("Souhaité à partir du"), required=False, widget=DateInput()
    )
    wished_until = forms.DateField(label=_("Au plus tard le"), required=False, widget=DateInput())
    files = MultipleFileField(  # type: ignore[assignment]  # a declared field, not BaseForm.files
        label=_("Pièces jointes (PDF, JPEG, PNG ; 10 Mo max. chacune)")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = service_choices_queryset()


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10000
    )
    files = MultipleFileField(  # type: ignore[assignment]  # a declared field, not BaseForm.files
        label=_("Pièces jointes")
    )


class RequestInfoForm(forms.Form):
    question = forms.CharField(
        label=_("Information attendue du médecin de ville"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )


class AssignForm(forms.Form):
    doctor: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Médecin du service"), queryset=None, empty_label=_("— choisir —")
    )

    def __init__(self, *args, doctors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["doctor"].queryset = doctors
        self.fields["doctor"].label_from_instance = lambda u: u.display_name


class RedirectForm(forms.Form):
    service = ServiceChoiceField(
        label=_("Nouveau service"),
        queryset=HospitalService.objects.none(),
        empty_label=_("— choisir —"),
    )
    reason = forms.CharField(
        label=_("Motif de la réorientation"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )

    def __init__(self, *args, exclude_service_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = service_choices_queryset().exclude(pk=exclude_service_id)


class AnswerForm(forms.Form):
    answer_kind = forms.ChoiceField(
        label=_("Type de réponse"), choices=AnswerKind.choices, widget=forms.RadioSelect
    )
    text = forms.CharField(
        label=_("Réponse au médecin de ville"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10000,
    )
    proposed_at = forms.DateTimeField(
        label=_("Date proposée (consultation, examen ou hospitalisation)"),
        required=False,
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
    )
    files = MultipleFileField(  # type: ignore[assignment]  # a declared field, not BaseForm.files
        label=_("Pièces jointes")
    )


class TakeInChargeForm(forms.Form):
    note = forms.CharField(
        label=_("Commentaire (facultatif)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )


class InboxFilterForm(forms.Form):
    service = forms.ModelChoiceField(
        label=_("Service"),
        queryset=HospitalService.objects.none(),
        required=False,
        empty_label=_("Tous les services"),
    )
    kind = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Tous les types")), *Kind.choices]
    )
    status = forms.ChoiceField(
        label=_("Statut"), required=False, choices=[("", _("À traiter")), *Status.choices]
    )

    def __init__(self, *args, hospital_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        # The labels name the hospital (HospitalService.__str__): one query, not one per service.
        self.fields["service"].queryset = (
            HospitalService.objects.filter(hospital_id__in=hospital_ids)
            .select_related("hospital")
            .order_by("name")
        )


class AcknowledgeForm(forms.Form):
    """No field: the desk says it has the request in hand."""


class GpListFilterForm(forms.Form):
    """The GP's list: by status, and by patient (name in any case or accent, birth date)."""

    q = forms.CharField(
        label=_("Patient"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Nom du patient")}),
    )
    born = forms.DateField(
        label=_("Né(e) le"),
        required=False,
        widget=DateInput(),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    status = forms.ChoiceField(
        label=_("Statut"), required=False, choices=[("", _("Tous")), *Status.choices]
    )
