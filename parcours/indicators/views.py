"""The indicator pages: requests, agendas, discharge letters. Each has the same filters
(period, hospital, service), charts drawn from tables, a CSV export and a printable page.

Who sees what: the territory administrator sees the whole territory (and a per-hospital
comparison); a pathway desk its hospitals; a hospital doctor their services; an agenda's
managers its agendas. Only counts, delays and rates are shown: no patient data."""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from parcours.accounts.scopes import desk_hospital_ids, doctor_service_ids, is_territory_admin
from parcours.directory.models import HospitalService, Organisation
from parcours.messaging.access import letter_services_for
from parcours.messaging.models import DischargeLetter
from parcours.messaging.selectors import letter_rates
from parcours.referrals.models import Referral
from parcours.referrals.workflow import Kind
from parcours.scheduling.access import managed_schedules
from parcours.scheduling.models import Schedule
from parcours.scheduling.selectors import schedule_indicators

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


def _referral_scope(user):
    """(referrals, hospitals, services) this user may count; raises Http404 if none."""
    if is_territory_admin(user):
        return (
            Referral.objects.all(),
            Organisation.objects.filter(kind=Organisation.Kind.HOSPITAL),
            HospitalService.objects.all(),
        )
    hospitals, services = desk_hospital_ids(user), doctor_service_ids(user)
    if not hospitals and not services:
        raise Http404
    service_qs = HospitalService.objects.filter(Q(hospital_id__in=hospitals) | Q(pk__in=services))
    return (
        Referral.objects.filter(Q(hospital_id__in=hospitals) | Q(service_id__in=services)),
        Organisation.objects.filter(Q(pk__in=hospitals) | Q(services__pk__in=services)).distinct(),
        service_qs,
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
        referrals, hospitals, services = _referral_scope(request.user)
    except Http404:
        # An imaging secretariat has agendas but no requests: its indicators are the agendas'.

        if managed_schedules(request.user).exists():
            return redirect("indicators:appointments")
        raise
    form = IndicatorFilterForm(request.GET, hospitals=hospitals, services=services)
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

    # Counts only: the territory administrator sees every agenda's, though he reads no
    # appointment itself (scheduling/access.py).
    schedules = (
        Schedule.objects.all()
        if is_territory_admin(request.user)
        else managed_schedules(request.user)
    )
    if not schedules.exists():
        raise Http404
    form = IndicatorFilterForm(
        request.GET,
        hospitals=Organisation.objects.filter(schedules__in=schedules).distinct(),
        services=HospitalService.objects.filter(schedules__in=schedules).distinct(),
    )
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

    if is_territory_admin(request.user):
        services = HospitalService.objects.all()
        hospitals = Organisation.objects.filter(kind=Organisation.Kind.HOSPITAL)
    else:
        ids = letter_services_for(request.user)
        if not ids:
            raise Http404
        services = HospitalService.objects.filter(pk__in=ids)
        hospitals = Organisation.objects.filter(services__pk__in=ids).distinct()
    form = IndicatorFilterForm(request.GET, hospitals=hospitals, services=services)
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
    monthly = letter_monthly(DischargeLetter.objects.filter(service__in=services), period)
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
