"""Lab results pages: my results (GP), the waiting queue (identitovigilance), a report,
uploading files."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from parcours.accounts.scopes import is_gp, is_territory_admin
from parcours.audit.services import audit_log
from parcours.lib.identity import Identity
from parcours.lib.labs import LabParseError
from parcours.lib.text import ins_form
from parcours.patients.access import is_identity_reviewer, patient_queryset_for
from parcours.patients.matching import find_matches
from parcours.patients.models import Patient

from . import services
from .access import access_lab_report, lab_report_queryset_for
from .forms import UploadForm
from .models import LabReport


def _can_upload(user) -> bool:
    return is_gp(user) or is_territory_admin(user)


@login_required
def report_list(request):
    reviewer = is_identity_reviewer(request.user)
    if not (is_gp(request.user) or reviewer):
        raise Http404
    qs = lab_report_queryset_for(request.user).select_related("patient")
    pending = list(qs.filter(match=LabReport.Match.PENDING)[:100]) if reviewer else []
    mine = list(qs.filter(prescriber=request.user)[:100])
    audit_log(user=request.user, action="list", object_type="labreport",
              detail=f"{len(mine)} reçu(s), {len(pending)} en attente")
    return render(request, "labs/list.html", {"mine": mine, "pending": pending,
                                              "reviewer": reviewer,
                                              "can_upload": _can_upload(request.user)})


def _candidates(user, report: LabReport) -> list:
    query = Identity(birth_name=ins_form(report.family), given_names=ins_form(report.given),
                     birth_date=report.birth_date, sex=report.sex if report.sex in "FM" else "",
                     ins=report.nir if len(report.nir) == 15 else "")
    visible = None if is_territory_admin(user) else patient_queryset_for(user)
    return find_matches(query, minimum="possible", queryset=visible)[:10]


@login_required
def report_detail(request, pk):
    report = access_lab_report(request.user, pk)
    can_attach = report.match == LabReport.Match.PENDING and is_identity_reviewer(request.user)
    candidates = _candidates(request.user, report) if can_attach else []
    if request.method == "POST":
        if not can_attach:
            raise Http404
        allowed = {c.patient.pk for c in candidates}
        try:
            patient_id = int(request.POST.get("patient", ""))
        except ValueError:
            patient_id = 0
        if patient_id not in allowed:
            messages.error(request, _("Choisissez l'identité parmi les candidats proposés."))
        else:
            try:
                services.lab_report_attach(actor=request.user, report=report,
                                           patient=Patient.objects.get(pk=patient_id))
            except ValueError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Résultats rattachés ; le prescripteur est "
                                            "prévenu."))
        return redirect("labs:detail", pk=report.pk)
    audit_log(user=request.user, action="read", obj=report, patient_id=report.patient_id,
              detail="compte rendu de biologie")
    return render(request, "labs/detail.html", {
        "report": report, "results": report.results.all(), "can_attach": can_attach,
        "candidates": candidates})


@login_required
def upload(request):
    if not _can_upload(request.user):
        raise Http404
    form = UploadForm(request.POST if request.method == "POST" else None,
                      request.FILES if request.method == "POST" else None)
    outcomes, refused = [], []
    if request.method == "POST" and form.is_valid():
        for f in form.cleaned_data["files"]:
            try:
                outcome = services.lab_import_file(data=f.read(), file_name=f.name,
                                                   actor=request.user, channel="upload")
            except LabParseError as exc:
                refused.append((f.name, exc))
            else:
                outcomes.append((f.name, outcome))
    return render(request, "labs/upload.html", {"form": form, "outcomes": outcomes,
                                                "refused": refused},
                  status=400 if refused or (request.method == "POST" and not form.is_valid())
                  else 200)
