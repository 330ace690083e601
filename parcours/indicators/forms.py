"""The filters of the indicator pages: period (whole months), hospital, service."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlencode

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .selectors import Period, next_month

MAX_MONTHS = 36
DEFAULT_MONTHS = 12
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def _parse_month(value: str) -> date:
    """``YYYY-MM`` (what ``<input type="month">`` sends) → the month's first day.

    Raises ValidationError with a French message on anything else."""
    match = MONTH_RE.match(value.strip())
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000:
        raise forms.ValidationError(
            _("Indiquez un mois sous la forme AAAA-MM, par exemple 2026-01.")
        )
    return date(int(match[1]), int(match[2]), 1)


def default_period(today: date | None = None) -> Period:
    """The last twelve months, the current one included."""
    today = today or timezone.localdate()
    end = next_month(today.replace(day=1))
    start = end
    for _i in range(DEFAULT_MONTHS):
        start = date(start.year - (start.month == 1), (start.month - 2) % 12 + 1, 1)
    return Period(start, end)


class ServiceChoiceField(forms.ModelChoiceField):
    """A hospital service, labelled with its hospital (« CH Alpha — Cardiologie »)."""

    def label_from_instance(self, obj) -> str:
        return f"{obj.hospital.name} — {obj.name}"


class IndicatorFilterForm(forms.Form):
    """Built with the hospitals and services the user may see (querysets); unbound fields
    fall back to the last twelve months, the whole scope."""

    du = forms.CharField(
        label=gettext_lazy("Du mois"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "AAAA-MM"}),
    )
    au = forms.CharField(
        label=gettext_lazy("au mois (inclus)"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "AAAA-MM"}),
    )
    etablissement: forms.ModelChoiceField = forms.ModelChoiceField(
        label=gettext_lazy("Établissement"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("Tous"),
    )
    service: forms.ModelChoiceField = ServiceChoiceField(
        label=gettext_lazy("Service"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("Tous"),
    )

    def __init__(self, data=None, *, hospitals, services, today: date | None = None):
        self.today = today or timezone.localdate()
        if data is not None and not (data.get("du") or data.get("au")):
            # The month fields show the default period rather than empty boxes.
            data = data.copy()
            default = default_period(self.today)
            data["du"] = f"{default.start:%Y-%m}"
            data["au"] = f"{default.months()[-1]:%Y-%m}"
        super().__init__(data)
        hospital_field, service_field = self.fields["etablissement"], self.fields["service"]
        assert isinstance(hospital_field, forms.ModelChoiceField)  # declared above
        assert isinstance(service_field, forms.ModelChoiceField)
        hospital_field.queryset = hospitals.order_by("name")
        service_field.queryset = services.select_related("hospital").order_by(
            "hospital__name", "name"
        )
        default = default_period(self.today)
        self.fields["du"].initial = f"{default.start:%Y-%m}"
        self.fields["au"].initial = f"{default.months()[-1]:%Y-%m}"

    def clean_du(self):
        value = self.cleaned_data["du"]
        return _parse_month(value) if value else None

    def clean_au(self):
        value = self.cleaned_data["au"]
        if not value:
            return None
        month = _parse_month(value)
        if month > self.today.replace(day=1):
            raise forms.ValidationError(_("Le mois de fin ne peut pas être dans le futur."))
        return month

    def clean(self):
        data = super().clean()
        default = default_period(self.today)
        start = data.get("du") or default.start
        end = next_month(data["au"]) if data.get("au") else default.end
        if "du" in data and "au" in data:
            if start >= end:
                self.add_error("du", _("Le mois de début doit précéder le mois de fin."))
            elif len(Period(start, end).months()) > MAX_MONTHS:
                self.add_error("du", _("La période est limitée à %(n)d mois.") % {"n": MAX_MONTHS})
        hospital, service = data.get("etablissement"), data.get("service")
        if hospital and service and service.hospital_id != hospital.pk:
            self.add_error("service", _("Ce service n'appartient pas à l'établissement choisi."))
        return data

    # --- what the views read (valid values, or the defaults) ------------------------------

    def _valid(self, name):
        return self.cleaned_data.get(name) if self.is_valid() else None

    @property
    def period(self) -> Period:
        """The chosen period, or the last twelve months when the form is not valid."""
        if not self.is_valid():
            return default_period(self.today)
        default = default_period(self.today)
        start = self.cleaned_data.get("du") or default.start
        end = next_month(self.cleaned_data["au"]) if self.cleaned_data.get("au") else default.end
        return Period(start, end)

    @property
    def chosen_hospital(self):
        return self._valid("etablissement")

    @property
    def chosen_service(self):
        return self._valid("service")

    def description(self) -> list[tuple[str, str]]:
        """The filters in words (label, value) for the CSV's first lines and the print."""
        period = self.period
        last = period.months()[-1]
        return [
            (
                _("Période"),
                _("de %(start)s à %(end)s (inclus)")
                % {
                    "start": formats.date_format(period.start, "F Y"),
                    "end": formats.date_format(last, "F Y"),
                },
            ),
            (_("Établissement"), self.chosen_hospital.name if self.chosen_hospital else _("tous")),
            (
                _("Service"),
                f"{self.chosen_service.hospital.name} — {self.chosen_service.name}"
                if self.chosen_service
                else _("tous"),
            ),
        ]

    def query_string(self) -> str:
        """The valid filters as a query string (for the export links), without ``?``."""

        period = self.period
        params = {"du": f"{period.start:%Y-%m}", "au": f"{period.months()[-1]:%Y-%m}"}
        if self.chosen_hospital:
            params["etablissement"] = self.chosen_hospital.pk
        if self.chosen_service:
            params["service"] = self.chosen_service.pk
        return urlencode(params)
