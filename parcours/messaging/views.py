"""The secure mailbox and discharge letters pages. Views parse, check access, call one
service, render; every read of a message is audited."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcours.accounts.scopes import doctor_service_ids
from parcours.audit.services import audit_log
from parcours.directory.models import HospitalService
from parcours.directory.mssante import check_external, is_secure_address
from parcours.lib import crypto
from parcours.lib.errors import Forbidden
from parcours.lib.forms import add_service_error, flash_service_error
from parcours.lib.uploads import check_upload, safe_file_name
from parcours.patients.access import access_patient

from . import letters, services
from .access import (
    access_attachment,
    access_letter,
    access_thread,
    can_declare_letter,
    can_write_letter,
    letter_services_for,
    messages_visible_in,
)
from .forms import ComposeForm, FolderForm, LetterDeclareForm, LetterWriteForm, ReplyForm
from .models import Folder, MailboxEntry
from .selectors import (
    LETTER_STATES,
    folder_get,
    folder_list,
    has_received_letters,
    letters_followed,
    mailbox_entries,
    recipient_search,
    thread_box,
    thread_letter,
)


def _files(uploads) -> list[services.FileIn]:
    """Type- and size-check every upload (UploadError with a French message)."""
    out = []
    for f in uploads or []:
        checked = check_upload(f)
        out.append(
            services.FileIn(
                name=checked.name,
                content_type=checked.content_type,
                data=f.read(),
                sha256=checked.sha256,
            )
        )
    return out


def _subjects(entries) -> dict[int, str]:
    out = {}
    for e in entries:
        tid = e.message.thread_id
        if tid not in out:
            try:
                out[tid] = crypto.decrypt(e.message.thread.subject_enc).decode()
            except crypto.InvalidToken:
                out[tid] = _("(illisible)")
    return out


@login_required
def mailbox(request):
    user = request.user
    box = request.GET.get("box") or MailboxEntry.Box.INBOX
    if box not in MailboxEntry.Box.values:
        box = MailboxEntry.Box.INBOX
    folder = None
    if request.GET.get("folder"):
        folder = folder_get(user, request.GET["folder"])
        if folder is None:
            raise Http404
    q = request.GET.get("q", "").strip()[:200]
    qs = mailbox_entries(user, box=None if q else box, folder=folder, q=q)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    subjects = _subjects(rows)
    for e in rows:
        e.subject = subjects[e.message.thread_id]
    audit_log(
        user=user,
        action="list",
        object_type="message",
        detail=f"messagerie {folder or box}" + (" (recherche)" if q else ""),
    )
    ctx = {
        "page": page,
        "rows": rows,
        "box": box,
        "folder": folder,
        "q": q,
        "boxes": MailboxEntry.Box.choices,
        "folders": folder_list(user),
        "folder_form": FolderForm(),
        "show_letters": bool(letter_services_for(user)) or has_received_letters(user),
    }
    if request.headers.get("X-Requested-With") == "fetch":
        return render(request, "messaging/_rows.html", ctx)
    return render(request, "messaging/mailbox.html", ctx)


@login_required
def compose(request):
    patient = None
    pid = request.GET.get("patient") or request.POST.get("patient")
    if pid:
        patient = access_patient(request.user, pid)
    initial = {}
    # Pre-filled from a directory card's « Écrire » (a Parcours user, or an MSSanté address).
    if request.GET.get("to", "").isdigit():
        initial["to"] = [int(request.GET["to"])]
    if request.GET.get("external"):
        initial["external"] = request.GET["external"][:254]
    form = ComposeForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        sender=request.user,
        search_url=reverse("messaging:recipients"),
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            message = services.message_send(
                sender=request.user,
                subject=d["subject"],
                body=d["body"],
                to=list(d["to"]),
                cc=list(d["cc"]),
                external=d["external"],
                files=_files(d["files"]),
                patient=patient,
            )
        except ValidationError as exc:  # UploadError is one
            add_service_error(form, exc)
        else:
            messages.success(request, _("Message envoyé."))
            return redirect("messaging:thread", pk=message.thread_id)
    if patient is not None:
        audit_log(
            user=request.user,
            action="read",
            obj=patient,
            patient_id=patient.pk,
            detail="nouveau message au sujet du patient (identité affichée)",
        )
    return render(
        request,
        "messaging/compose.html",
        {"form": form, "patient": patient},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def recipients(request):
    """The compose page's search as you type: JSON ``{"results": [...], "notice": ""}`` of
    at most ``RECIPIENTS_MAX`` recipients for ``q`` (``selectors.recipient_search``), and a
    French notice when ``q`` is a full address outside the secure-messaging domains.
    Professionals only (403 otherwise)."""
    if not request.user.memberships.exists():
        raise PermissionDenied
    q = "".join(c if c.isprintable() else " " for c in request.GET.get("q", "")[:100])
    results = recipient_search(request.user, q)
    notice = ""
    if "@" in q and not results:
        try:
            address = check_external(q)
        except ValidationError as exc:
            notice = exc.messages[0] if "." in q.rsplit("@", 1)[1] else ""
        else:
            results = [
                {
                    "type": "external",
                    "address": address,
                    "label": address,
                    "detail": _("adresse saisie"),
                }
            ]
    return JsonResponse(
        {"results": results, "notice": notice}, headers={"Cache-Control": "no-store"}
    )


@login_required
def thread(request, pk):
    user = request.user
    t = access_thread(user, pk)
    form = ReplyForm(request.POST or None, request.FILES or None)
    msgs = list(
        messages_visible_in(user, t)
        .select_related("sender", "signing_key", "thread__patient", "lab_report")
        .prefetch_related("attachments", "entries__user", "outbound")
    )
    if request.method == "POST" and form.is_valid():
        participants = {e.user for m in msgs for e in m.entries.all()} | {
            m.sender for m in msgs if m.sender_id
        }
        participants.discard(user)
        externals = sorted({a for m in msgs for a in m.external_to})
        # An address of an older message may no longer be a secure-messaging one (sent
        # before the MSSanté-only rule, or its domain left MSSANTE_DOMAINS): the reply goes
        # to the others, and says who is left out, rather than failing for everyone.
        left_out = [a for a in externals if not is_secure_address(a)]
        externals = [a for a in externals if a not in left_out]
        if not participants and not externals:
            form.add_error(None, _("Personne à qui répondre dans cette conversation."))
        else:
            try:
                services.message_send(
                    sender=user,
                    body=form.cleaned_data["body"],
                    to=[u for u in participants if u.is_active],
                    external=externals,
                    reply_to=t,
                    files=_files(form.cleaned_data["files"]),
                )
            except ValidationError as exc:  # UploadError is one
                add_service_error(form, exc)
            else:
                messages.success(request, _("Réponse envoyée."))
                if left_out:
                    messages.warning(
                        request,
                        _(
                            "Non envoyée à %(a)s : ce n'est pas une adresse de messagerie "
                            "sécurisée de santé (MSSanté)."
                        )
                        % {"a": ", ".join(left_out)},
                    )
                return redirect("messaging:thread", pk=t.pk)
    opened = []
    subject = None
    for m in msgs:
        o = services.message_open(m, subject=subject)
        subject = subject or (o.subject if o.state != "unreadable" else None)
        o.recipients = [e for e in m.entries.all() if e.role != MailboxEntry.Role.FROM]
        o.lab_results = list(m.lab_report.results.all()) if m.lab_report_id else []
        opened.append(o)
    services.thread_mark_read(user=user, thread=t)
    audit_log(
        user=user,
        action="read",
        obj=t,
        patient_id=t.patient_id,
        detail=f"conversation ({len(opened)} message(s))",
    )
    if request.method == "GET" and request.GET.get("fragment"):
        # live.js refreshes the messages when a notification arrives (issue 14, bug 7).
        return render(request, "messaging/_thread_messages.html", {"thread": t, "opened": opened})
    letter = thread_letter(t)
    return render(
        request,
        "messaging/thread.html",
        {
            "thread": t,
            "opened": opened,
            "subject": subject or "",
            "form": form,
            "folders": folder_list(user),
            "letter": letter,
            "my_box": thread_box(user, t),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def thread_file(request, pk):
    t = access_thread(request.user, pk)
    target = request.POST.get("to", "")
    folder = None
    if target.startswith("folder:"):
        folder = get_object_or_404(Folder, owner=request.user, pk=target[7:] or 0)
        box = MailboxEntry.Box.INBOX
    elif target == "unread":
        services.thread_mark_unread(user=request.user, thread=t)
        return redirect("messaging:mailbox")
    else:
        box = target
    try:
        services.thread_move(user=request.user, thread=t, box=box, folder=folder)
    except ValidationError as exc:
        flash_service_error(request, exc)
        return redirect("messaging:thread", pk=t.pk)
    messages.success(request, _("Conversation classée."))
    return redirect("messaging:mailbox")


@login_required
@require_POST
def folder_create(request):
    form = FolderForm(request.POST)
    if form.is_valid():
        try:
            folder = services.folder_create(owner=request.user, name=form.cleaned_data["name"])
        except ValidationError as exc:
            flash_service_error(request, exc)
        else:
            return redirect(f"{reverse('messaging:mailbox')}?folder={folder.pk}")
    else:
        messages.error(request, _("Donnez un nom au dossier (60 caractères au plus)."))
    return redirect("messaging:mailbox")


@login_required
@require_POST
def folder_delete(request, pk):
    folder = get_object_or_404(Folder, owner=request.user, pk=pk)
    services.folder_delete(owner=request.user, folder=folder)
    messages.success(
        request, _("Dossier supprimé ; ses conversations sont revenues dans la boîte de réception.")
    )
    return redirect("messaging:mailbox")


@login_required
def attachment(request, pk):
    att = access_attachment(request.user, pk)
    data = services.attachment_read(att)
    thread = att.message.thread
    audit_log(
        user=request.user,
        action="read",
        obj=att,
        patient_id=thread.patient_id,
        detail="pièce jointe" + (" altérée, refusée" if data is None else ""),
    )
    if data is None:
        return HttpResponse(
            _("Cette pièce jointe a été altérée : elle n'est pas délivrée."),
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(data, content_type=att.content_type)
    response["Content-Disposition"] = content_disposition_header(
        True, safe_file_name(att.name, att.content_type)
    )  # RFC 6266 (filename*)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- discharge letters -------------------------------------------------------------------------


@login_required
def letter_list(request):
    user = request.user
    services_ids = letter_services_for(user)
    if not services_ids and not has_received_letters(user):
        raise Http404
    state = request.GET.get("state", "")
    if state not in LETTER_STATES:
        state = ""
    page = Paginator(letters_followed(user, services_ids=services_ids, state=state), 50).get_page(
        request.GET.get("page")
    )
    audit_log(
        user=user,
        action="list",
        object_type="dischargeletter",
        detail=f"lettres de liaison ({state or 'toutes'})",
    )
    return render(
        request,
        "messaging/letters.html",
        {
            "page": page,
            "state": state,
            "hospital_side": bool(services_ids),
            "received_mode": not services_ids,
        },
    )


@login_required
def letter_new(request):
    user = request.user
    if not can_declare_letter(user):
        raise Http404
    patient = access_patient(user, request.GET.get("patient") or request.POST.get("patient"))
    service_qs = (
        HospitalService.objects.filter(pk__in=letter_services_for(user))
        .select_related("hospital")
        .order_by("name")
    )
    initial = {"discharged_at": timezone.localtime().replace(second=0, microsecond=0)}
    guess = letters.treating_doctor_guess(patient)
    if guess:
        initial["recipient"] = guess.pk
    form = LetterDeclareForm(
        request.POST or None, request.FILES or None, services=service_qs, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            files = _files(d["files"])
            write_now = bool(d["body"].strip() or files)
            if write_now and d["service"].pk not in doctor_service_ids(user):
                raise Forbidden(
                    _(
                        "Seul un médecin du service rédige la lettre ; "
                        "déclarez la sortie sans texte."
                    )
                )
            letter = letters.letter_declare_and_send(
                actor=user,
                patient=patient,
                service=d["service"],
                recipient=d["recipient"],
                discharged_at=d["discharged_at"],
                admitted_on=d["admitted_on"],
                body=d["body"] if write_now else "",
                files=files,
            )
        except ValidationError as exc:  # UploadError is one
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("Lettre envoyée au médecin traitant.")
                if write_now
                else _("Sortie enregistrée : la lettre est attendue sous 48 h."),
            )
            return redirect("messaging:letter", pk=letter.pk)
    return render(
        request,
        "messaging/letter_new.html",
        {"form": form, "patient": patient},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def letter_detail(request, pk):
    user = request.user
    letter = access_letter(user, pk)
    writable = letter.sent_at is None and can_write_letter(user, letter)
    form = LetterWriteForm(request.POST or None, request.FILES or None) if writable else None
    if request.method == "POST":
        if request.POST.get("action") == "acknowledge":
            try:
                letters.letter_acknowledge(actor=user, letter=letter)
            except ValidationError as exc:
                flash_service_error(request, exc)
            else:
                messages.success(request, _("Réception confirmée."))
            return redirect("messaging:letter", pk=letter.pk)
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                letters.letter_send(
                    actor=user,
                    letter=letter,
                    body=form.cleaned_data["body"],
                    files=_files(form.cleaned_data["files"]),
                )
            except ValidationError as exc:  # UploadError is one
                add_service_error(form, exc)
            else:
                messages.success(request, _("Lettre envoyée au médecin traitant."))
                return redirect("messaging:letter", pk=letter.pk)
    opened = None
    if letter.message_id:
        opened = services.message_open(letter.message)
        opened.recipients = [
            e
            for e in letter.message.entries.select_related("user")
            if e.role != MailboxEntry.Role.FROM
        ]
        opened.lab_results = []
    audit_log(
        user=user,
        action="read",
        obj=letter,
        patient_id=letter.patient_id,
        detail="lettre de liaison",
    )
    return render(
        request,
        "messaging/letter_detail.html",
        {
            "letter": letter,
            "form": form,
            "opened": opened,
            "can_ack": letter.recipient_id == user.pk
            and letter.sent_at
            and not letter.acknowledged_at,
        },
        status=400 if request.method == "POST" else 200,
    )
