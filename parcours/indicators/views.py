from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
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
    groups = referral_indicators(_scope(request.user))
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
