from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcours.directory.models import Organisation
from parcours.lib.forms import DateInput, DateTimeInput

from .models import Appointment, Pool, Schedule
from .models import AvailabilityRule as _Rule

# The free-slot search looks at most this far ahead (agendas open weeks, not years, ahead).
SEARCH_HORIZON_DAYS = 2 * 366


class SlotSearchForm(forms.Form):
    schedule = forms.ModelChoiceField(
        label=_("Agenda"), queryset=Schedule.objects.none(), required=False, empty_label=_("Tous")
    )
    device = forms.ChoiceField(
        label=_("Équipement"), required=False, choices=[("", _("Tous")), *Schedule.Device.choices]
    )
    act = forms.CharField(label=_("Acte"), required=False, max_length=100)
    pool = forms.ChoiceField(
        label=_("Réservation"), required=False, choices=[("", _("Toutes")), *Pool.choices]
    )
    start = forms.DateField(label=_("À partir du"), required=False, widget=DateInput())
    end = forms.DateField(label=_("Jusqu'au"), required=False, widget=DateInput())

    def __init__(self, *args, schedules, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["schedule"].queryset = schedules.select_related("organisation")

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("La fin de la période doit suivre son début."))
        horizon = timezone.localdate() + timedelta(days=SEARCH_HORIZON_DAYS)
        for key in ("start", "end"):
            if data.get(key) and data[key] > horizon:
                # No agenda opens slots this far; 31/12/9999 also overflowed the search.
                self.add_error(
                    key,
                    _("Date trop lointaine : les agendas s'ouvrent au plus deux ans à l'avance."),
                )
        return data


class BookingForm(forms.Form):
    note = forms.CharField(
        label=_("Motif / informations pour l'équipe"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    urgent_reason = forms.CharField(
        label=_("Motif d'urgence"),
        required=False,
        max_length=300,
        help_text=_("Obligatoire pour un créneau réservé aux urgences."),
    )


class PrescriptionBookingForm(BookingForm):
    """Booking an imaging exam: the prescription may be attached for the imaging centre."""

    prescription = forms.FileField(
        label=_("Ordonnance (PDF, JPEG ou PNG)"),
        required=False,
        help_text=_("Visible par le centre d'imagerie."),
    )


class MoveForm(forms.Form):
    slot = forms.IntegerField(
        label=_("Nouveau créneau"),
        error_messages={
            "required": _("Choisissez le nouveau créneau."),
            "invalid": _("Choisissez le nouveau créneau."),
        },
    )
    urgent_reason = forms.CharField(
        label=_("Motif d'urgence"),
        required=False,
        max_length=300,
        help_text=_("Obligatoire si le nouveau créneau est réservé aux urgences."),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Motif de l'annulation"), max_length=300)


class ExceptionForm(forms.Form):
    start = forms.DateTimeField(label=_("Début"), widget=DateTimeInput())
    end = forms.DateTimeField(label=_("Fin"), widget=DateTimeInput())
    reason = forms.CharField(label=_("Motif (congés, formation, maintenance…)"), max_length=200)


class WaitlistForm(forms.Form):
    earliest = forms.DateField(label=_("À partir du"), widget=DateInput())
    latest = forms.DateField(label=_("Jusqu'au"), widget=DateInput())


class ReportForm(forms.Form):
    conclusion = forms.CharField(
        label=_("Conclusion"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )
    accession = forms.CharField(
        label=_("Numéro d'examen sur le serveur d'images"), required=False, max_length=64
    )
    file = forms.FileField(label=_("Compte rendu (PDF)"), required=False)


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class OutcomeForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (Appointment.Status.FULFILLED, _("Honoré")),
            (Appointment.Status.NOSHOW, _("Patient absent")),
        ]
    )


class ActForm(forms.Form):
    name = forms.CharField(label=_("Acte"), max_length=150)
    duration_minutes = forms.IntegerField(
        label=_("Durée (minutes)"), min_value=5, max_value=480, initial=20
    )
    instructions = forms.CharField(
        label=_("À apporter / préparation"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RuleForm(forms.Form):
    weekday = forms.TypedChoiceField(
        label=_("Jour"), coerce=int, choices=_Rule._meta.get_field("weekday").choices or ()
    )
    start_time = forms.TimeField(label=_("Début"), widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(label=_("Fin"), widget=forms.TimeInput(attrs={"type": "time"}))
    act: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Acte"), queryset=None, empty_label=None
    )
    pool = forms.ChoiceField(label=_("Réservation"), choices=Pool.choices)
    partner: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Structure partenaire (si réservée)"), queryset=None, required=False
    )
    valid_from = forms.DateField(label=_("À partir du"), required=False, widget=DateInput())
    valid_until = forms.DateField(label=_("Jusqu'au"), required=False, widget=DateInput())

    def __init__(self, *args, schedule, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["act"].queryset = schedule.acts.all()
        # Partner practices are those whose GPs use the platform (not the whole directory).
        self.fields["partner"].queryset = (
            Organisation.objects.filter(memberships__role="gp").distinct().order_by("name")
        )

    def clean(self):
        data = super().clean()
        if (
            data.get("start_time")
            and data.get("end_time")
            and data["end_time"] <= data["start_time"]
        ):
            self.add_error(None, _("La fin de la plage doit suivre son début."))
        if data.get("pool") == Pool.PARTNER and not data.get("partner"):
            self.add_error("partner", _("Choisissez la structure à qui la plage est réservée."))
        if data.get("pool") != Pool.PARTNER:
            data["partner"] = None
        return data
