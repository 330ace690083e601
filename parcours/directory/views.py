from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from parcours.accounts.scopes import is_gp

from .access import can_edit_practitioner, can_edit_service
from .forms import PractitionerContactForm, SearchForm, ServiceContactForm
from .models import HospitalService, Practitioner
from .mssante import is_secure_address
from .selectors import (
    hospital_list,
    local_organisations,
    practitioner_get_roles,
    practitioner_search,
    service_get_doctors,
    service_page_parts,
    specialty_choices,
)
from .services import practitioner_update_contact, service_update_contact


@login_required
def index(request):
    form = SearchForm(request.GET or None)
    criteria = form.cleaned_data if form.is_valid() else {}
    criteria = {k: v.strip() for k, v in criteria.items() if v and v.strip()}
    query = criteria.get("q", "")
    searching = bool(criteria)
    return render(
        request,
        "directory/index.html",
        {
            "form": form,
            "query": query,
            "searching": searching,
            "specialties": specialty_choices(),
            "hospitals": hospital_list(query=query) if not searching or query else [],
            "practitioners": practitioner_search(
                query=query,
                specialty=criteria.get("specialty", ""),
                place=criteria.get("place", ""),
                organisation=criteria.get("organisation", ""),
                limit=50,
            )
            if searching
            else None,
            "others": local_organisations() if not searching else None,
        },
    )


def _write_url(user, *, to=None, address: str = "") -> str:
    """The compose page pre-filled for writing to ``to`` (a Parcours user) or ``address`` (an
    MSSanté address); "" when ``user`` may not write (no professional role), or would write to
    herself, or there is no reachable recipient (inactive account, address outside the
    secure-messaging domains)."""
    if not user.memberships.exists():
        return ""
    if to is not None and to.is_active and to.pk != user.pk and to.memberships.exists():
        return f"{reverse('messaging:compose')}?{urlencode({'to': to.pk})}"
    if address and is_secure_address(address) and not (to is not None and to.pk == user.pk):
        return f"{reverse('messaging:compose')}?{urlencode({'external': address})}"
    return ""


def _refer_url(user, service) -> str:
    """The new-request form for ``service`` (GPs; services that take requests), or ""."""
    if service is None or not service.accepts_requests or not is_gp(user):
        return ""
    return f"{reverse('referrals:new')}?{urlencode({'service': service.pk})}"


@login_required
def service_detail(request, pk):
    service = get_object_or_404(HospitalService.objects.select_related("hospital", "head"), pk=pk)
    doctors = list(service_get_doctors(service).select_related("user"))
    for d in doctors:
        d.write_url = _write_url(request.user, to=d.user, address=d.mssante)
    return render(
        request,
        "directory/service.html",
        {
            "service": service,
            "doctors": doctors,
            "delays": service.delays.all(),
            "refer_url": _refer_url(request.user, service),
            "write_url": _write_url(request.user, to=service.head),
            "can_edit": can_edit_service(request.user, service),
            **service_page_parts(user=request.user, service=service),
        },
    )


@login_required
def service_edit(request, pk):
    service = get_object_or_404(HospitalService.objects.select_related("hospital"), pk=pk)
    if not can_edit_service(request.user, service):
        raise PermissionDenied
    form = ServiceContactForm(request.POST or None, instance=service)
    if request.method == "POST" and form.is_valid():
        service_update_contact(actor=request.user, service=service, data=form.cleaned_data)
        messages.success(request, _("Coordonnées du service enregistrées."))
        return redirect("directory:service", pk=service.pk)
    return render(
        request,
        "directory/contact_form.html",
        {
            "form": form,
            "title": _("Coordonnées du service %(name)s") % {"name": service.name},
            "edits": service.contact_edits.select_related("edited_by")[:10],
        },
    )


@login_required
def practitioner_detail(request, pk):
    practitioner = get_object_or_404(Practitioner.objects.select_related("user"), pk=pk)
    roles = list(practitioner_get_roles(practitioner))
    refer_url = next(
        (url for url in (_refer_url(request.user, r.service) for r in roles if r.active) if url), ""
    )
    return render(
        request,
        "directory/practitioner.html",
        {
            "practitioner": practitioner,
            "roles": roles,
            "refer_url": refer_url,
            "write_url": _write_url(
                request.user, to=practitioner.user, address=practitioner.mssante
            )
            if practitioner.active
            else "",
            "can_edit": can_edit_practitioner(request.user, practitioner),
            "last_edit": practitioner.contact_edits.select_related("edited_by").first(),
        },
    )


@login_required
def practitioner_edit(request, pk):
    practitioner = get_object_or_404(Practitioner, pk=pk)
    if not can_edit_practitioner(request.user, practitioner):
        raise PermissionDenied
    form = PractitionerContactForm(request.POST or None, instance=practitioner)
    if request.method == "POST" and form.is_valid():
        practitioner_update_contact(
            actor=request.user, practitioner=practitioner, data=form.cleaned_data
        )
        messages.success(request, _("Modalités de contact enregistrées."))
        return redirect("directory:practitioner", pk=practitioner.pk)
    return render(
        request,
        "directory/contact_form.html",
        {
            "form": form,
            "practitioner": practitioner,
            "title": _("Modalités de contact — %(name)s") % {"name": practitioner},
            "edits": practitioner.contact_edits.select_related("edited_by")[:10],
        },
    )
