"""Forms of the on-call roster pages (server-side validation; the services check the rules)."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcours.directory.models import Practitioner
from parcours.lib.forms import DateInput, DateTimeInput

from .models import Roster, Shift


class RangeForm(forms.Form):
    """A range of local days (both included), at most 400 days."""

    start = forms.DateField(label=_("Du"), widget=DateInput())
    end = forms.DateField(label=_("Au"), widget=DateInput())

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("La date de fin précède la date de début."))
        if start and end and (end - start).days > 400:
            self.add_error("end", _("Choisissez au plus 400 jours."))
        return data


class OverrideForm(forms.Form):
    practitioner = forms.ModelChoiceField(
        label=_("Remplaçant"), queryset=Practitioner.objects.none()
    )
    start = forms.DateTimeField(label=_("Début"), widget=DateTimeInput())
    end = forms.DateTimeField(label=_("Fin"), widget=DateTimeInput())
    reason = forms.CharField(label=_("Motif"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any active doctor of the directory may replace (a locum is often not in the rota).
        self.fields["practitioner"].queryset = Practitioner.objects.filter(
            active=True, profession="Médecin"
        ).order_by("last_name", "first_name")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", _("La fin du remplacement doit suivre son début."))
        if start and end and end - start > timedelta(days=31):
            self.add_error("end", _("Un remplacement dure au plus 31 jours."))
        return data


class AssignForm(forms.Form):
    practitioner = forms.ModelChoiceField(
        label=_("Médecin de garde"),
        queryset=Practitioner.objects.none(),
        required=False,
        empty_label=_("— garde à pourvoir —"),
    )

    def __init__(self, *args, roster: Roster, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["practitioner"]
        assert isinstance(field, forms.ModelChoiceField)  # declared above
        field.queryset = Practitioner.objects.filter(roster_memberships__roster=roster).order_by(
            "last_name", "first_name"
        )


class SwapForm(forms.Form):
    target = forms.ModelChoiceField(
        label=_("Médecin sollicité"), queryset=Practitioner.objects.none()
    )
    counter_shift = forms.ModelChoiceField(
        label=_("Garde que je reprends en échange (facultatif)"),
        queryset=Shift.objects.none(),
        required=False,
    )
    message = forms.CharField(label=_("Message"), max_length=300, required=False)

    def __init__(self, *args, shift: Shift, **kwargs):
        super().__init__(*args, **kwargs)
        target, counter = self.fields["target"], self.fields["counter_shift"]
        assert isinstance(target, forms.ModelChoiceField)  # declared above
        assert isinstance(counter, forms.ModelChoiceField)
        others = Practitioner.objects.filter(roster_memberships__roster=shift.roster_id)
        if shift.practitioner_id is not None:
            others = others.exclude(pk=shift.practitioner_id)
        target.queryset = others.order_by("last_name", "first_name")
        counter.queryset = (
            Shift.objects.filter(roster=shift.roster_id, start__gt=timezone.now())
            .exclude(practitioner__isnull=True)
            .exclude(practitioner=shift.practitioner_id)
            .select_related("practitioner")
            .order_by("start")[:200]
        )
        counter.label_from_instance = lambda s: (  # type: ignore[method-assign,assignment]
            f"{timezone.localtime(s.start):%d/%m/%Y %H:%M} — {s.label} — {s.practitioner}"
        )
