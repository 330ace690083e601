from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.referrals.forms import DateInput, DateTimeInput

from .models import Appointment, Pool, Schedule


class SlotSearchForm(forms.Form):
    schedule = forms.ModelChoiceField(label=_("Agenda"), queryset=Schedule.objects.none(),
                                      required=False, empty_label=_("Tous"))
    device = forms.ChoiceField(label=_("Équipement"), required=False,
                               choices=[("", _("Tous")), *Schedule.Device.choices])
    act = forms.CharField(label=_("Acte"), required=False, max_length=100)
    pool = forms.ChoiceField(label=_("Réservation"), required=False,
                             choices=[("", _("Toutes")), *Pool.choices])
    start = forms.DateField(label=_("À partir du"), required=False, widget=DateInput())
    end = forms.DateField(label=_("Jusqu'au"), required=False, widget=DateInput())

    def __init__(self, *args, schedules, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["schedule"].queryset = schedules.select_related("organisation")

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("La fin de la période doit suivre son début."))
        return data


class BookingForm(forms.Form):
    note = forms.CharField(label=_("Motif / informations pour l'équipe"), required=False,
                           max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    urgent_reason = forms.CharField(label=_("Motif d'urgence"), required=False, max_length=300,
                                    help_text=_("Obligatoire pour un créneau réservé aux "
                                                "urgences."))


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
    conclusion = forms.CharField(label=_("Conclusion"), max_length=5000,
                                 widget=forms.Textarea(attrs={"rows": 5}))
    accession = forms.CharField(label=_("Numéro d'examen sur le serveur d'images"),
                                required=False, max_length=64)
    file = forms.FileField(label=_("Compte rendu (PDF)"), required=False)


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class OutcomeForm(forms.Form):
    status = forms.ChoiceField(choices=[(Appointment.Status.FULFILLED, _("Honoré")),
                                        (Appointment.Status.NOSHOW, _("Patient absent"))])
