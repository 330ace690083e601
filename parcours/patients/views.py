from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from parcours.accounts.scopes import is_gp
from parcours.audit.services import audit_log
from parcours.referrals.selectors import referral_list_for_patient

from .access import access_patient
from .forms import PatientForm, PatientSearchForm
from .selectors import patient_search
from .services import patient_create


def _next_url(request, patient) -> str:
    if request.GET.get("next") == "referral" or request.POST.get("next") == "referral":
        return reverse("referrals:new") + f"?patient={patient.pk}"
    return reverse("patients:detail", args=[patient.pk])


@login_required
def search(request):
    form = PatientSearchForm(request.GET or None)
    results = None
    if form.is_valid() and (form.cleaned_data["q"] or form.cleaned_data["birth_date"]):
        results = list(patient_search(user=request.user, query=form.cleaned_data["q"],
                                      birth_date=form.cleaned_data["birth_date"]))
        audit_log(user=request.user, action="search", object_type="patient",
                  detail=f"{len(results)} résultat(s)")
    return render(request, "patients/search.html", {
        "form": form, "results": results, "next": request.GET.get("next", ""),
        "can_create": is_gp(request.user)})


@login_required
def create(request):
    if not is_gp(request.user):
        raise Http404
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = patient_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            if result.created:
                messages.success(request, _("Patient créé (identité provisoire)."))
            else:
                messages.info(request, _("Cette identité était déjà connue de la plateforme : "
                                         "elle a été reprise, sans créer de doublon."))
            return redirect(_next_url(request, result.patient))
    return render(request, "patients/form.html",
                  {"form": form, "next": request.GET.get("next", "")},
                  status=400 if request.method == "POST" else 200)


@login_required
def detail(request, pk):
    patient = access_patient(request.user, pk)
    audit_log(user=request.user, action="read", obj=patient, patient_id=patient.pk)
    return render(request, "patients/detail.html", {
        "patient": patient,
        "referrals": referral_list_for_patient(user=request.user, patient=patient),
        "dmp_url": settings.DMP_URL_TEMPLATE.format(ins=patient.ins_nir),
        "can_refer": is_gp(request.user),
    })
