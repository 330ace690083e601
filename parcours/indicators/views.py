from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from parcours.accounts.scopes import desk_hospital_ids, doctor_service_ids, is_territory_admin
from parcours.referrals.models import Referral
from parcours.referrals.workflow import Kind

from .selectors import referral_indicators, totals


def _scope(user):
    """Territory admins see the territory; a desk its hospitals; a doctor their services.
    Only counts and delays are shown: no patient data."""
    if is_territory_admin(user):
        return Referral.objects.all()
    hospitals, services = desk_hospital_ids(user), doctor_service_ids(user)
    if not hospitals and not services:
        raise Http404
    return Referral.objects.filter(Q(hospital_id__in=hospitals) | Q(service_id__in=services))


@login_required
def index(request):
    try:
        scope = _scope(request.user)
    except Http404:
        # An imaging secretariat has agendas but no requests: its indicators are the agendas'.
        from parcours.scheduling.access import managed_schedules

        if managed_schedules(request.user).exists():
            return redirect("indicators:appointments")
        raise
    groups = referral_indicators(scope)
    if request.GET.get("format") == "csv":
        import csv

        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="indicateurs-demandes.csv"'
        writer = csv.writer(response, delimiter=";")
        writer.writerow([_("mois"), _("service"), *[k.label for k in Kind], _("total"),
                         _("répondues"), _("délai médian (h)"),
                         _("répondues dans les délais (%)")])
        for g in groups:
            writer.writerow([f"{g.month:%Y-%m}", g.service, *[g.by_kind[k] for k in Kind.values],
                             g.total, g.answered, g.median_hours or "", g.on_time_rate or ""])
        return response
    return render(request, "indicators/index.html",
                  {"groups": groups, "totals": totals(groups), "kinds": Kind.choices})


@login_required
def appointments(request):
    """Agenda indicators (seeds 002 and 003): appointments per month, distinct requesting
    doctors, fill rate of the reserved pools, no-shows. Counts only, no patient data."""
    from datetime import timedelta

    from django.utils import timezone

    from parcours.scheduling.access import managed_schedules
    from parcours.scheduling.models import Schedule
    from parcours.scheduling.selectors import schedule_indicators, schedule_totals

    # Counts only: the territory administrator sees every agenda's, though he reads no
    # appointment itself (scheduling/access.py).
    schedules = Schedule.objects.all() if is_territory_admin(request.user) \
        else managed_schedules(request.user)
    if not schedules.exists():
        raise Http404
    since = (timezone.localdate() - timedelta(days=365)).replace(day=1)
    rows = schedule_indicators(schedules=schedules, since=since)
    if request.GET.get("format") == "csv":
        import csv

        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="indicateurs-rendez-vous.csv"'
        writer = csv.writer(response, delimiter=";")
        writer.writerow([_("mois"), _("organisation"), _("agenda"), _("rendez-vous"),
                         _("médecins demandeurs distincts"), _("absences"),
                         _("créneaux réservés"), _("créneaux réservés pris"),
                         _("remplissage des créneaux réservés (%)")])
        for r in rows:
            writer.writerow([f"{r['month']:%Y-%m}", r["organisation"], r["schedule"],
                             r["booked"], r["prescribers"], r["noshow"], r["reserved"],
                             r["reserved_booked"],
                             "" if r["fill_rate"] is None else r["fill_rate"]])
        return response
    return render(request, "indicators/appointments.html", {
        "rows": rows, "totals": schedule_totals(schedules=schedules, since=since)})


@login_required
def letters(request):
    """Discharge letters per service (seed 003: to the treating doctor within 48 h): letters
    due, sent within 48 h, late, acknowledged. Counts only, no patient data."""
    from datetime import timedelta

    from django.utils import timezone

    from parcours.directory.models import HospitalService
    from parcours.messaging.access import letter_services_for
    from parcours.messaging.selectors import letter_rates

    if is_territory_admin(request.user):
        services = None
    else:
        ids = letter_services_for(request.user)
        if not ids:
            raise Http404
        services = HospitalService.objects.filter(pk__in=ids)
    try:
        days = max(7, min(int(request.GET.get("jours", "90")), 730))
    except ValueError:
        days = 90
    rows = letter_rates(services=services, since=timezone.now() - timedelta(days=days))
    if request.GET.get("format") == "csv":
        import csv

        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="indicateurs-lettres.csv"'
        writer = csv.writer(response, delimiter=";")
        writer.writerow([_("établissement"), _("service"), _("sorties"), _("lettres envoyées"),
                         _("envoyées sous 48 h"), _("en retard"), _("en attente (dans le délai)"),
                         _("réception confirmée"), _("sous 48 h (%)"), _("réception (%)")])
        for r in rows:
            writer.writerow([r["service__hospital__name"], r["service__name"], r["total"],
                             r["sent"], r["on_time"], r["late"], r["pending"],
                             r["acknowledged"], "" if r["on_time_rate"] is None
                             else r["on_time_rate"], "" if r["ack_rate"] is None
                             else r["ack_rate"]])
        return response
    return render(request, "indicators/letters.html", {"rows": rows, "days": days})
