from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from parcours.accounts.scopes import is_gp

from .forms import PractitionerContactForm, SearchForm, ServiceContactForm
from .models import HospitalService, Organisation, Practitioner, Source
from .selectors import (
    hospital_list,
    practitioner_get_roles,
    practitioner_search,
    service_get_doctors,
    specialty_choices,
)
from .services import (
    can_edit_practitioner,
    can_edit_service,
    practitioner_update_contact,
    service_update_contact,
)


@login_required
def index(request):
    form = SearchForm(request.GET or None)
    criteria = form.cleaned_data if form.is_valid() else {}
    criteria = {k: v.strip() for k, v in criteria.items() if v and v.strip()}
    query = criteria.get("q", "")
    searching = bool(criteria)
    return render(request, "directory/index.html", {
        "form": form, "query": query, "searching": searching,
        "specialties": specialty_choices(),
        "hospitals": hospital_list(query=query) if not searching or query else [],
        "practitioners": practitioner_search(
            query=query, specialty=criteria.get("specialty", ""),
            place=criteria.get("place", ""), organisation=criteria.get("organisation", ""),
            limit=50) if searching else None,
        "others": Organisation.objects.filter(active=True, source=Source.LOCAL).exclude(
            kind=Organisation.Kind.HOSPITAL).order_by("kind", "name") if not searching
        else None,
    })


@login_required
def service_detail(request, pk):
    service = get_object_or_404(HospitalService.objects.select_related("hospital", "head"), pk=pk)
    return render(request, "directory/service.html", {
        "service": service, "doctors": service_get_doctors(service),
        "delays": service.delays.all(), "can_refer": is_gp(request.user),
        "can_edit": can_edit_service(request.user, service)})


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
    return render(request, "directory/contact_form.html", {
        "form": form, "title": _("Coordonnées du service %(name)s") % {"name": service.name},
        "edits": service.contact_edits.select_related("edited_by")[:10]})


@login_required
def practitioner_detail(request, pk):
    practitioner = get_object_or_404(Practitioner.objects.select_related("user"), pk=pk)
    return render(request, "directory/practitioner.html", {
        "practitioner": practitioner, "roles": practitioner_get_roles(practitioner),
        "can_edit": can_edit_practitioner(request.user, practitioner),
        "last_edit": practitioner.contact_edits.select_related("edited_by").first()})


@login_required
def practitioner_edit(request, pk):
    practitioner = get_object_or_404(Practitioner, pk=pk)
    if not can_edit_practitioner(request.user, practitioner):
        raise PermissionDenied
    form = PractitionerContactForm(request.POST or None, instance=practitioner)
    if request.method == "POST" and form.is_valid():
        practitioner_update_contact(actor=request.user, practitioner=practitioner,
                                    data=form.cleaned_data)
        messages.success(request, _("Modalités de contact enregistrées."))
        return redirect("directory:practitioner", pk=practitioner.pk)
    return render(request, "directory/contact_form.html", {
        "form": form, "practitioner": practitioner,
        "title": _("Modalités de contact — %(name)s") % {"name": practitioner},
        "edits": practitioner.contact_edits.select_related("edited_by")[:10]})
