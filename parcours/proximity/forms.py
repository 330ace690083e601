"""Forms of the Service Médical de Proximité pages: they parse; the services decide."""

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcours.accounts.models import Role, User
from parcours.lib.forms import DateInput
from parcours.patients.forms import PatientForm
from parcours.scheduling.models import Appointment, Slot

from .models import Consultation, Episode, Site

CRITERIA_FIELDS = ("ald", "pregnancy", "css_ame", "fragility", "recent_discharge")
CRITERIA_LABELS = {
    "ald": _("Affection de longue durée (ALD)"),
    "pregnancy": _("Grossesse en cours"),
    "css_ame": _("Complémentaire santé solidaire (CSS) ou AME"),
    "fragility": _("Fragilité (isolement, handicap, perte d'autonomie)"),
    "recent_discharge": _("Sortie d'hospitalisation de moins d'un mois"),
}


class _WhenField(forms.ModelChoiceField):
    """A slot or an appointment, shown as its local date, time and agenda."""

    def label_from_instance(self, obj) -> str:
        return f"{timezone.localtime(obj.start):%d/%m/%Y %H:%M} — {obj.schedule.name}"


def _set_queryset(form: forms.Form, name: str, queryset: QuerySet) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


def _criteria_fields(form: forms.Form) -> None:
    for name in CRITERIA_FIELDS:
        form.fields[name] = forms.BooleanField(label=CRITERIA_LABELS[name], required=False)


class SignupForm(PatientForm):
    """The identity (patients' own form: traits, contact) and the sign-up."""

    site: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Site"), queryset=Site.objects.none()
    )
    source = forms.ChoiceField(label=_("Inscrit par"), choices=Episode.Source.choices)
    referrer = forms.CharField(
        label=_("Nom de l'adresseur"),
        max_length=150,
        required=False,
        help_text=_("Le proche, le médecin partant, le service hospitalier ou la CPAM."),
    )
    reason = forms.ChoiceField(label=_("Motif"), choices=Episode.Reason.choices)
    no_doctor_since = forms.DateField(
        label=_("Sans médecin traitant depuis"), required=False, widget=DateInput()
    )

    def __init__(self, *args, sites: QuerySet[Site], **kwargs):
        super().__init__(*args, **kwargs)
        _set_queryset(self, "site", sites)
        _criteria_fields(self)

    IDENTITY = (
        "birth_name",
        "birth_given_names",
        "birth_date",
        "sex",
        "birthplace_insee",
        "ins_nir",
        "used_name",
        "used_first_name",
        "phone",
        "address_line",
        "postcode",
        "town",
    )

    def identity(self) -> dict:
        return {k: self.cleaned_data[k] for k in self.IDENTITY if k in self.cleaned_data}

    def criteria(self) -> dict[str, bool]:
        return {k: self.cleaned_data[k] for k in CRITERIA_FIELDS}


class PriorityForm(forms.Form):
    reason = forms.CharField(label=_("Raison du changement"), max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _criteria_fields(self)

    def criteria(self) -> dict[str, bool]:
        return {k: self.cleaned_data[k] for k in CRITERIA_FIELDS}


class BookForm(forms.Form):
    slot: forms.ModelChoiceField = _WhenField(label=_("Créneau"), queryset=Slot.objects.none())
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, slots: QuerySet[Slot], **kwargs):
        super().__init__(*args, **kwargs)
        _set_queryset(self, "slot", slots)


class ConsultationForm(forms.Form):
    appointment: forms.ModelChoiceField = _WhenField(
        label=_("Rendez-vous"), queryset=Appointment.objects.none(), required=False
    )
    reason = forms.CharField(label=_("Motif de consultation"), max_length=300)
    notes = forms.CharField(label=_("Observations"), widget=forms.Textarea, required=False)
    conclusion = forms.CharField(label=_("Conclusion"), widget=forms.Textarea, required=False)
    intern_consent = forms.BooleanField(
        label=_("Le patient accepte d'être vu par un interne"), required=False
    )
    avoided_emergency = forms.BooleanField(
        label=_("Sans cette consultation, le patient serait allé aux urgences"), required=False
    )

    def __init__(self, *args, appointments: QuerySet[Appointment], **kwargs):
        super().__init__(*args, **kwargs)
        _set_queryset(self, "appointment", appointments)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Relecture"),
        choices=[
            (Consultation.Review.REVIEWED, _("Relue, rien à signaler")),
            (Consultation.Review.TO_DISCUSS, _("À discuter avec l'interne")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=_("Commentaire"), widget=forms.Textarea, required=False)


class DeclareForm(forms.Form):
    doctor: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Médecin traitant"), queryset=User.objects.none()
    )

    def __init__(self, *args, doctors: QuerySet[User], **kwargs):
        super().__init__(*args, **kwargs)
        _set_queryset(self, "doctor", doctors)


class HandoverForm(forms.Form):
    new_doctor = forms.ModelChoiceField(
        label=_("Nouveau médecin traitant"),
        queryset=User.objects.filter(memberships__role=Role.GP).distinct().order_by("last_name"),
    )
    summary = forms.CharField(
        label=_("Synthèse pour le nouveau médecin"), widget=forms.Textarea, max_length=5000
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Raison"), max_length=300)


class RegistryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("État"), choices=Episode.Status.choices, required=False, initial="waitlist"
    )
    overdue = forms.BooleanField(label=_("En retard seulement"), required=False)


class PrescriptionForm(forms.Form):
    lines = forms.CharField(
        label=_("Prescription"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        help_text=_("Une ligne par médicament ou examen (posologie, durée)."),
    )
