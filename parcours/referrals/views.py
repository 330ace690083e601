"""Referral pages: views parse, check access, call one service, render."""

from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from parcours.accounts.scopes import desk_hospital_ids, doctor_service_ids, is_gp
from parcours.audit.services import audit_log
from parcours.directory.models import Practitioner
from parcours.lib.forms import add_service_error
from parcours.lib.text import is_id
from parcours.lib.uploads import UploadError, safe_file_name
from parcours.patients.access import access_patient

from . import services
from .access import access_referral, allowed_actions
from .actions import REGISTRY
from .actions import get as get_action
from .forms import (
    GpListFilterForm,
    InboxFilterForm,
    MessageForm,
    ReferralForm,
    service_choices_queryset,
)
from .models import ReferralAttachment
from .selectors import (
    lost_input,
    referral_get_thread,
    referral_get_timeline,
    referral_inbox,
    referral_list_for_author,
    referral_page_parts,
    referral_progress,
    referral_queue,
    referral_waiting_count,
)
from .workflow import KINDS_WITH_WINDOW

PAGE_SIZE = 50


def _audit_list(request, page, what: str) -> None:
    """Lists show patient identities: record who saw which requests."""
    ids = [r.pk for r in page.object_list]
    if ids:
        audit_log(
            user=request.user,
            action="read",
            object_type="referral_list",
            detail=f"{what}: {','.join(map(str, ids))}",
            object_ids=ids,
        )


@login_required
def referral_list(request):
    if not is_gp(request.user):
        raise Http404
    form = GpListFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    status = filters.get("status", "")
    query, born = filters.get("q", ""), filters.get("born")
    qs = referral_list_for_author(
        user=request.user, status=status, patient_query=query, birth_date=born
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    _audit_list(request, page, "mes demandes")
    if query or born:
        audit_log(
            user=request.user,
            action="search",
            object_type="referral_list",
            detail=f"mes demandes, patient : {query} {born or ''}".strip(),
        )
    params = request.GET.copy()
    for key in ("page", "fragment"):
        params.pop(key, None)
    template = "referrals/_gp_rows.html" if request.GET.get("fragment") else "referrals/list.html"
    return render(
        request,
        template,
        {
            "page": page,
            "form": form,
            "filtered": bool(status or query or born),
            "query": params.urlencode(),
            "waiting": referral_waiting_count(user=request.user),
        },
    )


@login_required
def referral_new(request):
    if not is_gp(request.user):
        raise Http404
    patient_id = request.GET.get("patient") or request.POST.get("patient")
    prefill = _prefill_from_query(request)
    if not patient_id:
        # Coming from a directory card (« Adresser »): the patient is chosen first; the
        # session keeps the service until the form opens (patient search knows nothing of it).
        if prefill:
            request.session[PREFILL_KEY] = {**prefill, "at": timezone.now().timestamp()}
        return redirect(reverse("patients:search") + "?next=referral")
    patient = access_patient(request.user, patient_id)
    if not prefill:
        prefill = _prefill_from_session(request)
    initial = {}
    if prefill.get("service"):
        initial["service"] = prefill["service"]
    if prefill.get("practitioner_name"):
        initial["context"] = _("À l'attention de %(name)s.") % {
            "name": prefill["practitioner_name"]
        }
    form = ReferralForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            referral = services.referral_submit(
                author=request.user,
                patient=patient,
                service=data["service"],
                kind=data["kind"],
                question=data["question"],
                context=data["context"],
                wished_from=data["wished_from"],
                wished_until=data["wished_until"],
                files=data["files"],
            )
        except (ValidationError, UploadError, PermissionDenied) as exc:
            add_service_error(form, exc, field="files" if isinstance(exc, UploadError) else None)
        else:
            request.session.pop(PREFILL_KEY, None)
            messages.success(
                request,
                _(
                    "Demande %(reference)s envoyée à %(service)s. Vous "
                    "serez notifié de chaque étape."
                )
                % {"reference": referral.reference, "service": referral.service},
            )
            return redirect("referrals:detail", pk=referral.pk)
    status = 400 if request.method == "POST" else 200
    audit_log(
        user=request.user,
        action="read",
        obj=patient,
        patient_id=patient.pk,
        detail="formulaire de nouvelle demande (identité affichée)",
    )
    return render(
        request,
        "referrals/new.html",
        {
            "form": form,
            "patient": patient,
            "kinds_with_window": list(KINDS_WITH_WINDOW),
            "prefill": prefill,
        },
        status=status,
    )


PREFILL_KEY = "referral_prefill"
PREFILL_MAX_AGE = 30 * 60  # seconds: a directory click is not remembered past a short task


def _prefill_from_query(request) -> dict:
    """What a directory card's « Adresser » link asks to pre-fill: ``?service=<id>`` or
    ``?practitioner=<id>`` (the service of the practitioner's hospital activity).

    Returns {"service": id, "practitioner_name": str, "service_name": str} or {} when nothing
    usable was given (an unknown or closed service is ignored: the GP chooses herself)."""
    service_id = request.GET.get("service", "")
    practitioner_id = request.GET.get("practitioner", "")
    choices = service_choices_queryset()
    if is_id(service_id):
        service = choices.filter(pk=service_id).first()
        if service is not None:
            return {"service": service.pk, "service_name": str(service)}
    if is_id(practitioner_id):
        practitioner = Practitioner.objects.filter(pk=practitioner_id).first()
        if practitioner is not None:
            service = (
                choices.filter(practitioner_roles__practitioner=practitioner).order_by("pk").first()
            )
            name = " ".join(
                p
                for p in (practitioner.title, practitioner.first_name, practitioner.last_name)
                if p
            )
            return {
                "service": service.pk if service else None,
                "service_name": str(service) if service else "",
                "practitioner_name": name,
            }
    return {}


def _prefill_from_session(request) -> dict:
    saved = request.session.get(PREFILL_KEY) or {}
    if not saved or timezone.now().timestamp() - saved.get("at", 0) > PREFILL_MAX_AGE:
        request.session.pop(PREFILL_KEY, None)
        return {}
    return saved


def _detail_context(request, referral, bound: dict | None = None) -> dict:
    allowed = allowed_actions(request.user, referral)
    # One empty form per allowed action that has one (registry order), then the bound ones.
    forms = {
        action.name: action.bind(referral)
        for action in REGISTRY.values()
        if action.name in allowed and action.form is not None
    }
    forms.update(bound or {})
    timeline = list(referral_get_timeline(referral))
    return {
        "referral": referral,
        "actions": allowed,
        "labels": {name: action.label for name, action in REGISTRY.items()},
        # The collapsible forms of the actions panel, in registry order.
        "panels": [
            {"action": action, "form": forms[action.name]}
            for action in REGISTRY.values()
            if action.panel and action.name in forms
        ],
        "forms": forms,
        "timeline": timeline,
        "progress": referral_progress(referral, timeline),
        "thread": referral_get_thread(referral),
        "attachments": referral.attachments.filter(message__isnull=True),
        "is_author": referral.author_id == request.user.pk,
        # Parts other apps contribute ("booking": scheduling), see REFERRAL_PAGE_PARTS.
        **referral_page_parts(user=request.user, referral=referral),
    }


@login_required
def referral_detail(request, pk):
    referral = access_referral(request.user, pk)
    audit_log(user=request.user, action="read", obj=referral, patient_id=referral.patient_id)
    if not request.GET.get("fragment"):
        # Opened by the GP, not refreshed live in a tab she may not be looking at.
        services.referral_mark_answer_read(user=request.user, referral=referral)
    template = "referrals/_live.html" if request.GET.get("fragment") else "referrals/detail.html"
    return render(request, template, _detail_context(request, referral))


@login_required
@require_POST
def referral_action(request, pk, action):
    """One generic dispatch for every action of the registry (actions.REGISTRY): its form
    parses the POST, its service acts; refusals go back on the form."""
    entry = get_action(action)
    if entry is None or entry.form is None or entry.call is None:
        raise Http404
    referral = access_referral(request.user, pk)
    form = entry.bind(referral, request.POST, request.FILES)
    if form.is_valid():
        try:
            entry.call(request.user, referral, form.cleaned_data)
        except (ValidationError, UploadError) as exc:
            add_service_error(form, exc, field="files" if isinstance(exc, UploadError) else None)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("Action non autorisée."))
        else:
            messages.success(request, entry.done)
            if entry.moves_away and not _still_visible(request.user, referral):
                return redirect("referrals:inbox")
            return redirect("referrals:detail", pk=referral.pk)
    referral.refresh_from_db()
    if action not in allowed_actions(request.user, referral):
        # The form is no longer on the page: the request moved on while this person wrote
        # (closed by the GP, answered by a colleague…). Say what happened and give the typed
        # text back instead of losing it (issue 14, bug 1).
        kept = lost_input(form)
        if not kept:
            for error in form.non_field_errors() or [_("Cette action n'est plus possible.")]:
                messages.error(request, error)
            return redirect("referrals:detail", pk=referral.pk)
        bound = {}
        if action != "message" and "message" in allowed_actions(request.user, referral):
            # The thread is still open: the text goes back into a form, ready to be sent as
            # a message once reread.
            bound["message"] = MessageForm(initial={"body": "\n\n".join(t for _, t in kept)})
        context = _detail_context(request, referral, bound=bound)
        context["lost"] = {
            "in_message": bool(bound),
            "action": action,
            "fields": kept,
            "errors": form.non_field_errors(),
            "event": referral.events.exclude(to_status="")
            .select_related("actor")
            .order_by("-at", "-id")
            .first(),
        }
        audit_log(
            user=request.user,
            action="read",
            obj=referral,
            patient_id=referral.patient_id,
            detail="saisie non envoyée rendue",
        )
        return render(request, "referrals/detail.html", context, status=409)
    context = _detail_context(request, referral, bound={action: form})
    context["open_action"] = action
    return render(request, "referrals/detail.html", context, status=400)


def _still_visible(user, referral) -> bool:
    try:
        access_referral(user, referral.pk)
    except Http404:
        return False
    return True


@login_required
def referral_inbox_view(request):
    hospitals = desk_hospital_ids(request.user)
    if not hospitals:
        raise Http404
    form = InboxFilterForm(request.GET or None, hospital_ids=hospitals)
    filters = form.cleaned_data if form.is_valid() else {}
    service = filters.get("service")
    qs = referral_inbox(
        user=request.user,
        service_id=service.pk if service else None,
        kind=filters.get("kind", ""),
        status=filters.get("status", ""),
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    _audit_list(request, page, "cellule")
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("fragment", None)
    template = (
        "referrals/_inbox_rows.html" if request.GET.get("fragment") else "referrals/inbox.html"
    )
    return render(request, template, {"form": form, "page": page, "query": query.urlencode()})


@login_required
def referral_queue_view(request):
    if not doctor_service_ids(request.user):
        raise Http404
    mine = request.GET.get("mine") == "1"
    qs = referral_queue(user=request.user, mine_only=mine)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    _audit_list(request, page, "file")
    template = (
        "referrals/_inbox_rows.html" if request.GET.get("fragment") else "referrals/queue.html"
    )
    return render(
        request, template, {"page": page, "mine": mine, "query": "mine=1" if mine else ""}
    )


PREVIEWABLE = {"application/pdf", "image/jpeg", "image/png"}


@login_required
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": ["'self'"]})  # type: ignore[arg-type]  # untyped decorator
def attachment_preview(request, pk, attachment_id):
    """The attachment shown inside the request page (PDF in a frame, image as <img>): the same
    access check and audit row as a download, served inline, framable by this site only."""
    referral = access_referral(request.user, pk)
    try:
        attachment = referral.attachments.get(pk=attachment_id)
    except (ReferralAttachment.DoesNotExist, ValueError):
        raise Http404 from None
    if attachment.content_type not in PREVIEWABLE:
        raise Http404
    audit_log(
        user=request.user,
        action="download",
        obj=attachment,
        patient_id=referral.patient_id,
        detail=f"aperçu : {attachment.name}",
    )
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=False,
        filename=safe_file_name(attachment.name, attachment.content_type),
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def attachment_download(request, pk, attachment_id):
    referral = access_referral(request.user, pk)
    try:
        attachment = referral.attachments.get(pk=attachment_id)
    except (ReferralAttachment.DoesNotExist, ValueError):
        raise Http404 from None
    audit_log(
        user=request.user,
        action="download",
        obj=attachment,
        patient_id=referral.patient_id,
        detail=attachment.name,
    )
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=request.GET.get("inline") != "1",
        filename=safe_file_name(attachment.name, attachment.content_type),
    )
    response["Cache-Control"] = "private, no-store"
    return response
