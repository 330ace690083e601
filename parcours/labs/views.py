"""Lab results pages: my results (GP), the waiting queue (identitovigilance), a report,
uploading files."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, IntegerField, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from parcours.accounts.scopes import is_gp, is_territory_admin
from parcours.audit.services import audit_log
from parcours.lib.errors import ServiceError
from parcours.lib.forms import flash_service_error
from parcours.lib.labs import LabParseError
from parcours.patients.access import is_identity_reviewer

from . import selectors, services
from .access import access_lab_report, lab_report_queryset_for
from .forms import PrescriberForm, ReviewSearchForm, UploadForm
from .models import LabReport


def _can_upload(user) -> bool:
    return is_gp(user) or is_territory_admin(user)


def _urgent_first(qs):
    """Critical values first (identifying their patient is urgent), then the oldest."""
    rank = Case(When(critical_count__gt=0, then=0), default=1, output_field=IntegerField())
    return qs.annotate(urgent_rank=rank).order_by("urgent_rank", "created_at")


@login_required
def report_list(request):
    reviewer = is_identity_reviewer(request.user)
    if not (is_gp(request.user) or reviewer):
        raise Http404
    qs = lab_report_queryset_for(request.user).select_related("patient")
    pending = (
        list(_urgent_first(qs.filter(match=LabReport.Match.PENDING))[:100]) if reviewer else []
    )
    unassigned = (
        list(_urgent_first(qs.filter(match=LabReport.Match.MATCHED, prescriber__isnull=True))[:100])
        if reviewer
        else []
    )
    mine = list(qs.filter(prescriber=request.user)[:100])
    audit_log(
        user=request.user,
        action="list",
        object_type="labreport",
        detail=f"{len(mine)} reçu(s), {len(pending)} en attente, "
        f"{len(unassigned)} sans prescripteur",
    )
    return render(
        request,
        "labs/list.html",
        {
            "mine": mine,
            "pending": pending,
            "unassigned": unassigned,
            "reviewer": reviewer,
            "can_upload": _can_upload(request.user),
        },
    )


def _post(
    request, report: LabReport, *, can_attach: bool, can_assign: bool, can_detach: bool = False
):
    """The actions of the report page: attach, name the prescriber (reviewers); detach from a
    patient it does not belong to (who may see it: prescriber, carers, reviewers)."""
    action = request.POST.get("action", "attach")
    try:
        if action == "prescriber" and can_assign:
            form = PrescriberForm(request.POST)
            if not form.is_valid():
                raise ServiceError(_("Indiquez le RPPS ou l'ADELI du prescripteur."))
            services.lab_report_assign_prescriber(
                actor=request.user, report=report, code=form.cleaned_data["code"]
            )
            messages.success(request, _("Prescripteur désigné."))
        elif action == "detach" and can_detach:
            services.lab_report_detach(
                actor=request.user, report=report, reason=request.POST.get("reason", "")[:300]
            )
            messages.success(
                request,
                _(
                    "Compte rendu détaché : il attend de nouveau son "
                    "patient à l'identitovigilance, qui est prévenue."
                ),
            )
            return redirect("labs:list")
        elif action == "attach" and can_attach:
            try:
                patient_id = int(request.POST.get("patient", ""))
            except ValueError:
                patient_id = 0
            patient = selectors.reviewable_patients(request.user).filter(pk=patient_id).first()
            if patient is None:
                raise ServiceError(_("Choisissez l'identité parmi les candidats proposés."))
            services.lab_report_attach(
                actor=request.user,
                report=report,
                patient=patient,
                confirm_mismatch=request.POST.get("confirm") == "on",
                reason=request.POST.get("reason", "")[:300],
            )
            messages.success(request, _("Résultats rattachés ; le prescripteur est prévenu."))
        else:
            raise Http404
    except ServiceError as exc:
        flash_service_error(request, exc)
    return redirect("labs:detail", pk=report.pk)


@login_required
def report_detail(request, pk):
    report = access_lab_report(request.user, pk)
    reviewer = is_identity_reviewer(request.user)
    can_attach = report.match == LabReport.Match.PENDING and reviewer
    can_assign = report.prescriber_id is None and reviewer
    # Whoever may read an attached report may say it is not this patient's (the GP who
    # notices it first, a carer, a reviewer): it goes back to the queue.
    can_detach = report.match == LabReport.Match.MATCHED and report.patient_id is not None
    if request.method == "POST":
        if not (can_attach or can_assign or can_detach):
            raise Http404
        return _post(
            request, report, can_attach=can_attach, can_assign=can_assign, can_detach=can_detach
        )
    candidates, found, search = [], None, None
    if can_attach:
        candidates = selectors.lab_report_candidates(request.user, report)
        if any(k in request.GET for k in ("nom", "nir", "naissance")):
            search = ReviewSearchForm(request.GET)
            if search.is_valid():
                d = search.cleaned_data
                found = selectors.lab_report_search(
                    request.user, name=d["nom"], nir=d["nir"], birth_date=d["naissance"]
                )
                audit_log(
                    user=request.user,
                    action="search",
                    object_type="patient",
                    detail=f"identification du compte rendu {report.pk} : {len(found)} identité(s)",
                )
        else:
            search = ReviewSearchForm()
    audit_log(
        user=request.user,
        action="read",
        obj=report,
        patient_id=report.patient_id,
        detail="compte rendu de biologie",
    )
    results = list(report.results.all())
    return render(
        request,
        "labs/detail.html",
        {
            "report": report,
            "results": results,
            "can_attach": can_attach,
            "can_assign": can_assign,
            "can_detach": can_detach,
            "candidates": candidates,
            "found": found,
            "search": search,
            "prescriber_form": PrescriberForm() if can_assign else None,
            "critical": [r for r in results if r.critical],
        },
    )


@login_required
def upload(request):
    if not _can_upload(request.user):
        raise Http404
    form = UploadForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    outcomes, refused = [], []
    if request.method == "POST" and form.is_valid():
        refused += form.refused
        for f in form.cleaned_data["files"]:
            try:
                outcome = services.lab_import_file(
                    data=f.read(), file_name=f.name, actor=request.user, channel="upload"
                )
            except LabParseError as exc:
                refused.append((f.name, exc))
            else:
                outcomes.append((f.name, outcome))
    return render(
        request,
        "labs/upload.html",
        {"form": form, "outcomes": outcomes, "refused": refused},
        status=400 if refused or (request.method == "POST" and not form.is_valid()) else 200,
    )
