"""The indicator pages: requests, agendas, discharge letters. Each has the same filters
(period, hospital, service), charts drawn from tables, a CSV export and a printable page.

Who sees what: the territory administrator sees the whole territory (and a per-hospital
comparison); a pathway desk its hospitals; a hospital doctor their services; an agenda's
managers its agendas. Only counts, delays and rates are shown: no patient data."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from parcours.accounts.scopes import is_territory_admin
from parcours.messaging.selectors import letter_rates
from parcours.referrals.workflow import Kind
from parcours.scheduling.selectors import schedule_indicators

from .access import appointment_scope, has_agenda_scope, letter_scope, referral_scope
from .export import chart, csv_response, month_label
from .forms import IndicatorFilterForm
from .selectors import (
    appointment_monthly,
    appointment_period_totals,
    letter_monthly,
    referral_by_hospital,
    referral_indicators,
    referral_monthly,
    referral_period_totals,
)


def _filter(form, qs, hospital_field="hospital", service_field="service"):
    if form.chosen_hospital:
        qs = qs.filter(**{hospital_field: form.chosen_hospital.pk})
    if form.chosen_service:
        qs = qs.filter(**{service_field: form.chosen_service.pk})
    return qs


def _page(request, template, form, charts, **context):
    return render(
        request,
        template,
        {
            "form": form,
            "charts": charts,
            "filters": form.description(),
            "query": form.query_string(),
            **context,
        },
    )


@login_required
def index(request):
    """Requests: per month by kind, answered within the due time, median answer time,
    distinct requesting doctors; per service and month in a table; per hospital for the
    territory administrator."""
    try:
        scope = referral_scope(request.user)
    except Http404:
        # An imaging secretariat has agendas but no requests: its indicators are the agendas'.
        if has_agenda_scope(request.user):
            return redirect("indicators:appointments")
        raise
    referrals = scope.rows
    form = IndicatorFilterForm(request.GET, hospitals=scope.hospitals, services=scope.services)
    period = form.period
    referrals = _filter(form, referrals)
    start, end = period.bounds()
    groups = referral_indicators(
        referrals.filter(submitted_at__gte=start, submitted_at__lt=end), months=len(period.months())
    )
    if request.GET.get("format") == "csv":
        return csv_response(
            filename="indicateurs-demandes.csv",
            title=_("Parcours — indicateurs des demandes"),
            filters=form.description(),
            header=[
                _("mois"),
                _("service"),
                *[k.label for k in Kind],
                _("total"),
                _("répondues"),
                _("délai médian (h)"),
                _("répondues dans les délais (%)"),
            ],
            rows=[
                [
                    f"{g.month:%Y-%m}",
                    g.service,
                    *[g.by_kind[k] for k in Kind.values],
                    g.total,
                    g.answered,
                    g.median_hours,
                    g.on_time_rate,
                ]
                for g in groups
            ],
        )
    monthly = referral_monthly(referrals, period)
    labels = [month_label(m["month"]) for m in monthly]
    charts = [
        chart(
            key="demandes-par-type",
            title=_("Demandes par mois, par type"),
            kind="bar",
            stacked=True,
            labels=labels,
            first_column=_("Mois"),
            series=[
                {"label": label, "data": [m["by_kind"][k] for m in monthly]}
                for k, label in Kind.choices
            ],
        ),
        chart(
            key="dans-les-delais",
            title=_("Demandes répondues dans les délais (48 h)"),
            kind="line",
            unit="%",
            labels=labels,
            first_column=_("Mois"),
            series=[
                {
                    "label": _("répondues dans les délais (%)"),
                    "data": [m["on_time_rate"] for m in monthly],
                }
            ],
        ),
        chart(
            key="delai-median",
            title=_("Délai médian de réponse"),
            kind="line",
            unit="h",
            labels=labels,
            first_column=_("Mois"),
            series=[
                {"label": _("délai médian (heures)"), "data": [m["median_hours"] for m in monthly]}
            ],
        ),
        chart(
            key="medecins-demandeurs",
            title=_("Médecins demandeurs distincts"),
            kind="bar",
            labels=labels,
            first_column=_("Mois"),
            series=[{"label": _("médecins demandeurs"), "data": [m["authors"] for m in monthly]}],
        ),
    ]
    territory = None
    if is_territory_admin(request.user) and not form.chosen_hospital and not form.chosen_service:
        territory = referral_by_hospital(referrals, period)
        charts.append(
            chart(
                key="territoire",
                title=_("Territoire : demandes par établissement"),
                kind="bar",
                labels=[r["hospital__name"] for r in territory],
                first_column=_("Établissement"),
                series=[
                    {"label": _("demandes"), "data": [r["total"] for r in territory]},
                    {
                        "label": _("répondues dans les délais"),
                        "data": [r["on_time"] for r in territory],
                    },
                ],
            )
        )
    return _page(
        request,
        "indicators/index.html",
        form,
        charts,
        groups=groups,
        totals=referral_period_totals(referrals, period),
        kinds=Kind.choices,
        territory=territory,
    )


@login_required
def appointments(request):
    """Agenda indicators (seeds 002 and 003): appointments per month, distinct requesting
    doctors, fill rate of the reserved pools, no-shows. Counts only, no patient data."""
    scope = appointment_scope(request.user)
    schedules = scope.rows
    form = IndicatorFilterForm(request.GET, hospitals=scope.hospitals, services=scope.services)
    period = form.period
    schedules = _filter(form, schedules, "organisation", "service")
    _start, end = period.bounds()
    rows = [
        r for r in schedule_indicators(schedules=schedules, since=period.start) if r["month"] < end
    ]
    if request.GET.get("format") == "csv":
        return csv_response(
            filename="indicateurs-rendez-vous.csv",
            title=_("Parcours — indicateurs des rendez-vous"),
            filters=form.description(),
            header=[
                _("mois"),
                _("organisation"),
                _("agenda"),
                _("rendez-vous"),
                _("médecins demandeurs distincts"),
                _("absences"),
                _("créneaux réservés"),
                _("créneaux réservés pris"),
                _("remplissage des créneaux réservés (%)"),
            ],
            rows=[
                [
                    f"{r['month']:%Y-%m}",
                    r["organisation"],
                    r["schedule"],
                    r["booked"],
                    r["prescribers"],
                    r["noshow"],
                    r["reserved"],
                    r["reserved_booked"],
                    r["fill_rate"],
                ]
                for r in rows
            ],
        )
    monthly = appointment_monthly(schedules, period)
    labels = [month_label(m["month"]) for m in monthly]
    charts = [
        chart(
            key="rendez-vous",
            title=_("Rendez-vous par mois"),
            kind="bar",
            labels=labels,
            first_column=_("Mois"),
            series=[
                {"label": _("rendez-vous"), "data": [m["booked"] for m in monthly]},
                {"label": _("patients absents"), "data": [m["noshow"] for m in monthly]},
            ],
        ),
        chart(
            key="prescripteurs",
            title=_("Médecins demandeurs distincts"),
            kind="bar",
            labels=labels,
            first_column=_("Mois"),
            series=[
                {"label": _("médecins demandeurs"), "data": [m["prescribers"] for m in monthly]}
            ],
        ),
        chart(
            key="remplissage",
            title=_("Remplissage des créneaux réservés"),
            kind="line",
            unit="%",
            labels=labels,
            first_column=_("Mois"),
            series=[
                {
                    "label": _("créneaux réservés pris (%)"),
                    "data": [m["fill_rate"] for m in monthly],
                }
            ],
        ),
    ]
    return _page(
        request,
        "indicators/appointments.html",
        form,
        charts,
        rows=rows,
        totals=appointment_period_totals(schedules, period),
    )


@login_required
def letters(request):
    """Discharge letters (seed 003: to the treating doctor within 48 h): per month of
    discharge and per service, letters due, sent within 48 h, late, acknowledged. Counts
    only, no patient data."""
    scope = letter_scope(request.user)
    services = scope.rows
    form = IndicatorFilterForm(request.GET, hospitals=scope.hospitals, services=scope.services)
    period = form.period
    services = _filter(form, services, "hospital", "pk")
    start, end = period.bounds()
    rows = letter_rates(services=services, since=start, until=end)
    if request.GET.get("format") == "csv":
        return csv_response(
            filename="indicateurs-lettres.csv",
            title=_("Parcours — lettres de liaison de sortie"),
            filters=form.description(),
            header=[
                _("établissement"),
                _("service"),
                _("sorties"),
                _("lettres envoyées"),
                _("envoyées sous 48 h"),
                _("en retard"),
                _("en attente (dans le délai)"),
                _("réception confirmée"),
                _("sous 48 h (%)"),
                _("réception (%)"),
            ],
            rows=[
                [
                    r["service__hospital__name"],
                    r["service__name"],
                    r["total"],
                    r["sent"],
                    r["on_time"],
                    r["late"],
                    r["pending"],
                    r["acknowledged"],
                    r["on_time_rate"],
                    r["ack_rate"],
                ]
                for r in rows
            ],
        )
    monthly = letter_monthly(services, period)
    labels = [month_label(m["month"]) for m in monthly]
    charts = [
        chart(
            key="sorties",
            title=_("Sorties et lettres de liaison, par mois de sortie"),
            kind="bar",
            labels=labels,
            first_column=_("Mois"),
            series=[
                {"label": _("sorties"), "data": [m["total"] for m in monthly]},
                {"label": _("lettres envoyées sous 48 h"), "data": [m["on_time"] for m in monthly]},
                {"label": _("en retard"), "data": [m["late"] for m in monthly]},
            ],
        ),
        chart(
            key="lettres-48h",
            title=_("Lettres envoyées sous 48 h"),
            kind="line",
            unit="%",
            labels=labels,
            first_column=_("Mois"),
            series=[{"label": _("sous 48 h (%)"), "data": [m["on_time_rate"] for m in monthly]}],
        ),
    ]
    return _page(request, "indicators/letters.html", form, charts, rows=rows)
