from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcours.accounts.scopes import is_gp, is_identity_cell
from parcours.audit.services import audit_log
from parcours.directory.models import Organisation
from parcours.lib.errors import ServiceError
from parcours.lib.forms import add_service_error, flash_service_error

from .access import (
    access_candidate,
    access_patient,
    access_patient_data,
    can_open_emergency_access,
    can_see_patient_data,
    candidate_queryset_for,
    emergency_access_open_for,
    has_care_relationship,
    identity_queryset_for,
    is_identity_reviewer,
    merge_queryset_for,
)
from .cog import cog_year, commune_search, place_label
from .forms import (
    EmergencyAccessForm,
    IdentifierForm,
    MergeForm,
    PatientForm,
    PatientSearchForm,
    StatusForm,
)
from .models import DuplicateCandidate, Patient
from .record import record_items_for
from .selectors import my_patients, patient_page_parts, patient_search
from .services import (
    STATUS_EVIDENCE,
    STATUS_TRANSITIONS,
    duplicate_separate,
    duplicates_scan,
    emergency_access_open,
    local_system,
    patient_create,
    patient_identifier_add,
    patient_merge,
    patient_merge_undo,
    patient_resolve,
    patient_set_status,
    treating_doctor_declare,
)


def _next_url(request, patient) -> str:
    nxt = request.GET.get("next") or request.POST.get("next") or ""
    if nxt == "referral":
        return reverse("referrals:new") + f"?patient={patient.pk}"
    if nxt.startswith("slot-") and nxt[5:].isdigit():  # booking a slot (scheduling)
        return reverse("scheduling:book", args=[int(nxt[5:])]) + f"?patient={patient.pk}"
    return reverse("patients:detail", args=[patient.pk])


@login_required
def search(request):
    form = PatientSearchForm(request.GET or None)
    results = None
    if form.is_valid() and (form.cleaned_data["q"] or form.cleaned_data["birth_date"]):
        results = list(
            patient_search(
                user=request.user,
                query=form.cleaned_data["q"],
                birth_date=form.cleaned_data["birth_date"],
            )
        )
        audit_log(
            user=request.user,
            action="search",
            object_type="patient",
            detail=f"{len(results)} résultat(s)",
        )
    nxt = request.GET.get("next", "")
    return render(
        request,
        "patients/search.html",
        {
            "form": form,
            "results": results,
            "next": nxt,
            "choose_slot": nxt[5:] if nxt.startswith("slot-") and nxt[5:].isdigit() else "",
            "can_create": is_gp(request.user),
        },
    )


@login_required
def create(request):
    if not is_gp(request.user):
        raise Http404
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = patient_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            if result.created:
                messages.success(request, _("Patient créé (identité provisoire)."))
                if result.candidates:
                    messages.warning(
                        request,
                        _(
                            "Une identité proche existe peut-être : elle est "
                            "signalée à l'identitovigilance pour "
                            "vérification."
                        ),
                    )
            else:
                messages.info(
                    request,
                    _(
                        "Cette identité était déjà connue de la plateforme : "
                        "elle a été reprise, sans créer de doublon."
                    ),
                )
            return redirect(_next_url(request, result.patient))
    return render(
        request,
        "patients/form.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def mine(request):
    """« Mes patients »: the patients the logged-in professional cares for (a recorded care
    relationship: request, appointment, message, lab prescription, care link — not a « bris
    de glace »), with a search on name and birth date. Audited as a search."""
    form = PatientSearchForm(request.GET or None)
    query, born = "", None
    if form.is_valid():
        query, born = form.cleaned_data["q"], form.cleaned_data["birth_date"]
    page = Paginator(my_patients(user=request.user, query=query, birth_date=born), 50).get_page(
        request.GET.get("page")
    )
    audit_log(
        user=request.user,
        action="search",
        object_type="patient",
        detail=f"mes patients : {page.paginator.count} patient(s)"
        + (" (recherche)" if query or born else ""),
    )
    return render(
        request,
        "patients/mine.html",
        {
            "form": form,
            "page": page,
            "searched": bool(query or born),
            "query": _without_page(request.GET),
            "can_create": is_gp(request.user),
        },
    )


@login_required
def communes(request):
    """Suggestions for the birthplace field: communes of the COG matching ``q`` (name or code
    start), as JSON ``{"year": 2026, "results": [{"code", "label"}]}``. Public reference
    data, no patient: nothing to audit."""

    query = request.GET.get("q", "")[:80]
    results = [{"code": c.code, "label": c.label} for c in commune_search(query)]
    if (
        query.strip().upper().startswith("99")
        and len(query.strip()) == 5
        and query.strip().isdigit()
    ):
        results.insert(0, {"code": query.strip(), "label": "Naissance à l'étranger"})
    return JsonResponse({"year": cog_year(), "results": results})


def _without_page(params) -> str:
    """The query string of a list page without its page number (for the pagination links)."""
    params = params.copy()
    params.pop("page", None)
    return params.urlencode()


def _access_or_survivor(user, pk) -> tuple[Patient, bool]:
    """The identity, or — for a merged identity — the identity it now lives in, if this user
    may see that one (True: redirect)."""
    try:
        return access_patient(user, pk), False
    except Http404:
        merged = (
            Patient.objects.filter(pk=pk, merged_into__isnull=False).first()
            if str(pk).isdigit()
            else None
        )
        if merged is None:
            raise

        return access_patient(user, patient_resolve(merged).pk), True


def _status_moves(patient) -> list[dict]:
    """The statuses this identity may move to now, each with the evidence it needs
    (services.STATUS_EVIDENCE, after the RNIV)."""
    return [
        {
            "code": code,
            "label": Patient.Status(code).label,
            "evidence": STATUS_EVIDENCE[(patient.identity_status, code)],
        }
        for code in sorted(
            STATUS_TRANSITIONS.get(patient.identity_status, ()),
            key=list(Patient.Status.values).index,
        )
    ]


@login_required
def detail(request, pk):
    """The patient page. Anyone who may see the identity sees its traits and what they did
    themselves (their requests, their threads); the data others recorded (hospital summary,
    lab results, letters) only with a care relationship or an open « bris de glace »."""
    patient, _moved = _access_or_survivor(request.user, pk)
    if patient.merged_into_id is not None or _moved:
        survivor = patient_resolve(patient)
        if identity_queryset_for(request.user).filter(pk=survivor.pk).exists():
            messages.info(
                request, _("Cette identité a été fusionnée : voici l'identité conservée.")
            )
            return redirect("patients:detail", survivor.pk)
    user = request.user
    data_access = can_see_patient_data(user, patient)
    emergency = emergency_access_open_for(user, patient) if data_access else None
    treating = has_care_relationship(user, patient)
    status_form = StatusForm(request.POST or None)
    if request.method == "POST":
        if not data_access:
            raise Http404("Patient introuvable")
        if status_form.is_valid():
            try:
                patient_set_status(actor=user, patient=patient, **status_form.cleaned_data)
            except ValidationError as exc:
                add_service_error(status_form, exc)
            else:
                messages.success(request, _("Statut de l'identité mis à jour."))
                return redirect("patients:detail", patient.pk)
    if not data_access:
        scope = "identité seule (aucune relation de soin)"
    elif emergency is not None and not treating:
        scope = f"fiche patient et synthèse hospitalière — bris de glace n° {emergency.pk}"
    else:
        scope = "fiche patient et synthèse hospitalière"
    audit_log(user=user, action="read", obj=patient, patient_id=patient.pk, detail=scope)
    reviewer = is_identity_reviewer(user)
    context = {
        "patient": patient,
        "birthplace": place_label(patient.birthplace_insee),
        "data_access": data_access,
        "emergency": emergency,
        "dmp_url": settings.DMP_URL_TEMPLATE.format(ins=patient.ins_nir),
        "can_refer": is_gp(user),
        "identifiers": patient.local_identifiers.select_related("organisation"),
        "record": record_items_for(patient) if data_access else None,
        "status_form": status_form if data_access else None,
        "status_moves": _status_moves(patient),
        "status_changes": patient.status_changes.select_related("by")[:5],
        "reviewer": reviewer,
        "merged_from": patient.merged_from.all(),
        "identifier_form": _identifier_form(user) if data_access else None,
        "can_break_glass": not data_access and can_open_emergency_access(user),
        "emergency_form": EmergencyAccessForm() if not data_access else None,
        "can_declare_treating": is_gp(user) and treating and patient.treating_doctor_id != user.pk,
        "emergency_accesses": (
            patient.emergency_accesses.select_related("user")[:20] if treating or reviewer else None
        ),
        # Requests, appointments, lab results, letters: parts the apps above contribute.
        **patient_page_parts(user=user, patient=patient),
    }
    return render(
        request, "patients/detail.html", context, status=400 if request.method == "POST" else 200
    )


@login_required
@require_POST
def emergency_open(request, pk):
    """« Bris de glace »: a clinician who may see the identity opens its data, with a reason."""
    patient = access_patient(request.user, pk)
    form = EmergencyAccessForm(request.POST)
    if form.is_valid():
        try:
            emergency_access_open(
                actor=request.user, patient=patient, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_error(form, exc, field="reason")
        else:
            messages.warning(
                request,
                _(
                    "Accès en urgence ouvert : il est tracé et signalé aux "
                    "professionnels qui suivent ce patient."
                ),
            )
            return redirect("patients:detail", patient.pk)
    audit_log(
        user=request.user,
        action="read",
        obj=patient,
        patient_id=patient.pk,
        detail="identité seule (bris de glace refusé)",
    )
    return render(
        request,
        "patients/detail.html",
        {
            "patient": patient,
            "data_access": False,
            "emergency_form": form,
            "birthplace": place_label(patient.birthplace_insee),
            "can_break_glass": can_open_emergency_access(request.user),
            "identifiers": patient.local_identifiers.select_related("organisation"),
            "status_moves": _status_moves(patient),
            "can_refer": is_gp(request.user),
            "dmp_url": settings.DMP_URL_TEMPLATE.format(ins=patient.ins_nir),
            **patient_page_parts(user=request.user, patient=patient),
        },
        status=400,
    )


@login_required
@require_POST
def treating_doctor(request, pk):
    """A GP declares themselves the patient's médecin traitant (a care relationship)."""
    patient = access_patient(request.user, pk)
    if not is_gp(request.user) or not has_care_relationship(request.user, patient):
        raise Http404
    treating_doctor_declare(actor=request.user, patient=patient)
    messages.success(request, _("Vous êtes déclaré(e) médecin traitant de ce patient."))
    return redirect("patients:detail", patient.pk)


def _user_organisations(user):
    return Organisation.objects.filter(memberships__user=user).distinct().order_by("name")


def _identifier_form(user, data=None) -> IdentifierForm | None:
    """Anyone who may see the patient and belongs to an organisation records that
    organisation's number for them; others get no form."""
    organisations = _user_organisations(user)
    if not organisations.exists():
        return None
    return IdentifierForm(data, organisations=organisations)


@login_required
@require_POST
def identifier_add(request, pk):
    patient = access_patient_data(request.user, pk)
    form = _identifier_form(request.user, request.POST)
    if form is None:
        raise Http404
    if form.is_valid():
        org, kind = form.cleaned_data["organisation"], form.cleaned_data["kind"]
        try:
            patient_identifier_add(
                actor=request.user,
                patient=patient,
                system=local_system(org, kind),
                value=form.cleaned_data["value"],
                kind=kind,
                organisation=org,
            )
        except ValidationError as exc:
            flash_service_error(request, exc)
        else:
            messages.success(request, _("Identifiant local enregistré."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("patients:detail", patient.pk)


# --- identitovigilance: the duplicate review queue ---------------------------------------------


def _reviewer_only(user) -> None:
    if not is_identity_reviewer(user):
        raise Http404


@login_required
def duplicates(request):
    _reviewer_only(request.user)
    open_pairs = candidate_queryset_for(request.user).filter(
        state=DuplicateCandidate.State.OPEN,
        low__merged_into__isnull=True,
        high__merged_into__isnull=True,
    )
    audit_log(
        user=request.user,
        action="search",
        object_type="duplicatecandidate",
        detail=f"file d'identitovigilance : {open_pairs.count()} paire(s)",
    )
    return render(
        request,
        "patients/duplicates.html",
        {
            "pairs": open_pairs[:100],
            "merges": merge_queryset_for(request.user).filter(undone_at__isnull=True)[:20],
        },
    )


@login_required
def duplicate_detail(request, pk):
    """A pair of the review queue, traits side by side. Merging asks for the identity to keep,
    a reason and a confirmation; errors are shown on this page, next to the form."""
    _reviewer_only(request.user)
    pair = access_candidate(request.user, pk)
    form = MergeForm(request.POST or None, pair=pair)
    if request.method == "POST":
        action = request.POST.get("action")
        reason = request.POST.get("reason", "")[:300]
        try:
            if action == "separate":
                duplicate_separate(actor=request.user, candidate=pair, reason=reason)
                messages.success(
                    request, _("Les deux identités sont conservées : personnes distinctes.")
                )
                return redirect("patients:duplicates")
            if action != "merge":
                raise ServiceError(_("Action inconnue."))
            if not form.is_valid() or not form.cleaned_data["survivor"]:
                raise ServiceError(_("Choisissez l'identité à conserver."), field="survivor")
            keep = form.cleaned_data["survivor"]
            survivor, merged = (
                (pair.low, pair.high) if keep == str(pair.low_id) else (pair.high, pair.low)
            )
            patient_merge(
                actor=request.user,
                survivor=survivor,
                merged=merged,
                candidate=pair,
                reason=form.cleaned_data["reason"],
                confirmed=form.cleaned_data["confirm"],
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Identités fusionnées. La fusion peut être "
                    "annulée depuis la file d'identitovigilance."
                ),
            )
            return redirect("patients:duplicates")
    for pid in (pair.low_id, pair.high_id):
        audit_log(
            user=request.user,
            action="read",
            obj=pair,
            patient_id=pid,
            detail="comparaison de doublons",
        )
    return render(
        request,
        "patients/duplicate_detail.html",
        {"pair": pair, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def merge_undo(request, pk):
    _reviewer_only(request.user)
    merge = merge_queryset_for(request.user).filter(pk=pk).first()
    if merge is None or request.method != "POST":
        raise Http404
    try:
        patient_merge_undo(
            actor=request.user, merge=merge, reason=request.POST.get("reason", "")[:300]
        )
        messages.success(
            request, _("Fusion annulée : les deux identités sont de nouveau distinctes.")
        )
    except ValidationError as exc:
        flash_service_error(request, exc)
    return redirect("patients:duplicates")


@login_required
def scan(request, pk=None):
    _reviewer_only(request.user)
    if pk is None:  # the number typed in the review queue's form
        pk = request.POST.get("pk", "").strip()
        if not pk.isdigit():
            raise Http404

    if request.method != "POST":
        raise Http404
    if is_identity_cell(request.user):  # the regional cell scans any identity
        patient = Patient.objects.filter(pk=pk, merged_into__isnull=True).first()
        if patient is None:
            raise Http404
    else:
        patient = access_patient(request.user, pk)
    found = duplicates_scan(actor=request.user, patient=patient)
    messages.info(request, _("%(n)s doublon(s) potentiel(s) dans la file.") % {"n": len(found)})
    return redirect("patients:duplicates")
