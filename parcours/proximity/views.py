"""Service Médical de Proximité pages: views parse, check access, call one service, render."""

import csv
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcours.accounts.models import Role, User
from parcours.audit.services import audit_log
from parcours.lib.forms import add_service_error, flash_service_error
from parcours.scheduling.models import Appointment, Slot

from . import services
from .access import (
    SENIOR_ROLES,
    access_consultation,
    access_episode,
    can_read_clinical,
    can_see_indicators,
    consultation_queryset_for,
    episode_queryset_for,
    is_desk,
    is_smp_member,
    is_supervisor,
    smp_ids,
    staff_of,
)
from .forms import (
    BookForm,
    CancelForm,
    ConsultationForm,
    DeclareForm,
    HandoverForm,
    PrescriptionForm,
    PriorityForm,
    RegistryFilterForm,
    ReviewForm,
    SignupForm,
)
from .models import Consultation, ConsultationDocument, Episode, Site, StaffMember
from .selectors import (
    indicators,
    interns_of,
    portfolio,
    review_queue,
    supervision_dashboard,
    waitlist,
    waitlist_counts,
)

PAGE_SIZE = 50


def _member(request) -> None:
    if not is_smp_member(request.user):
        raise Http404


@login_required
def registry(request):
    """The registry: the waiting list by priority and waiting time, or another status."""
    _member(request)
    form = RegistryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    status = filters.get("status") or Episode.Status.WAITLIST
    episodes = episode_queryset_for(request.user)
    qs = waitlist(episodes=episodes, status=status, overdue_only=bool(filters.get("overdue")))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    for e in page.object_list:
        # The waiting clock of each row, computed once here rather than by template filters.
        e.waited_days = (now - e.registered_at).days
        e.overdue = e.due_at < now
    ids = [e.pk for e in page.object_list]
    if ids:
        audit_log(
            user=request.user,
            action="read",
            object_type="proximity_registry",
            detail=f"registre SMP ({status})",
            object_ids=ids,
        )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "proximity/registry.html",
        {
            "page": page,
            "form": form,
            "status": status,
            "counts": waitlist_counts(episodes=episodes),
            "query": params.urlencode(),
            "desk": is_desk(request.user),
        },
    )


def _sites(user):
    return Site.objects.filter(organisation_id__in=smp_ids(user)).order_by("antenna", "name")


@login_required
def signup(request):
    """Sign a patient up (identity through patients' identity rules, then the episode)."""
    if not is_desk(request.user):
        raise Http404
    form = SignupForm(request.POST or None, sites=_sites(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            episode, result = services.episode_signup(
                actor=request.user,
                identity=form.identity(),
                site=data["site"],
                source=data["source"],
                reason=data["reason"],
                referrer=data["referrer"],
                no_doctor_since=data["no_doctor_since"],
                criteria=form.criteria(),
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("Patient inscrit sur la liste d'attente (%(ref)s, priorité %(p)s).")
                % {"ref": episode.reference, "p": episode.priority},
            )
            if not result.created:
                messages.info(
                    request,
                    _("Identité déjà connue de la plateforme : reprise, sans doublon."),
                )
            elif result.candidates:
                messages.warning(
                    request,
                    _(
                        "Une identité proche existe peut-être : elle est signalée à "
                        "l'identitovigilance pour vérification."
                    ),
                )
            return redirect("proximity:episode", pk=episode.pk)
    return render(
        request,
        "proximity/signup.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


BOOKING_WINDOW = timedelta(weeks=3)


def _free_slots(episode: Episode):
    """The free slots of the SMP's agendas in the next three weeks (not sliced: the form
    validates the choice against this queryset)."""
    now = timezone.now()
    return (
        Slot.objects.filter(
            schedule__organisation_id=episode.organisation_id,
            schedule__active=True,
            status=Slot.Status.FREE,
            start__gt=now,
            start__lt=now + BOOKING_WINDOW,
        )
        .select_related("schedule")
        .order_by("start")
    )


def _appointments(episode: Episode):
    return (
        Appointment.objects.filter(
            patient_id=episode.patient_id,
            schedule__organisation_id=episode.organisation_id,
            proximity_consultation__isnull=True,
        )
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related("schedule")
        .order_by("-start")
    )


def _doctors(episode: Episode):
    return (
        User.objects.filter(
            memberships__organisation_id=episode.organisation_id,
            memberships__role__in=SENIOR_ROLES,
        )
        .distinct()
        .order_by("last_name")
    )


def _episode_context(request, episode: Episode, bound: dict | None = None) -> dict:
    user = request.user
    bound = bound or {}
    desk = episode.organisation_id in smp_ids(user, services.DESK_ROLES)
    staff = staff_of(user, episode.organisation_id)
    doctor = staff is not None and staff.kind != StaffMember.Kind.ASSISTANT
    clinical = can_read_clinical(user, episode)
    consultations = (
        consultation_queryset_for(user).filter(episode=episode).select_related("doctor")
        if clinical
        else Consultation.objects.none()
    )
    criteria = {c: getattr(episode, c) for c in ("ald", "pregnancy", "css_ame", "fragility")}
    criteria["recent_discharge"] = episode.recent_discharge
    open_ = episode.status in services.OPEN
    return {
        "episode": episode,
        "patient": episode.patient,
        "now": timezone.now(),
        "changes": episode.changes.select_related("by"),
        "appointments": Appointment.objects.filter(
            patient_id=episode.patient_id, schedule__organisation_id=episode.organisation_id
        )
        .select_related("schedule")
        .order_by("-start"),
        "consultations": consultations,
        "clinical": clinical,
        "consultation_count": episode.consultations.count(),
        "priority_form": bound.get("priority")
        or (PriorityForm(initial=criteria) if desk and episode.status == "waitlist" else None),
        "book_form": bound.get("book")
        or (BookForm(slots=_free_slots(episode)) if desk and open_ else None),
        "consult_form": bound.get("consult")
        or (
            ConsultationForm(appointments=_appointments(episode))
            if doctor and episode.status in ("waitlist", "active")
            else None
        ),
        "intern": staff is not None and staff.kind == StaffMember.Kind.INTERN,
        "declare_form": bound.get("declare")
        or (
            DeclareForm(doctors=_doctors(episode))
            if desk and episode.status == "active" and not episode.declared_doctor_id
            else None
        ),
        "handover_form": bound.get("handover")
        or (
            HandoverForm()
            if episode.organisation_id in smp_ids(user, SENIOR_ROLES) and episode.status == "active"
            else None
        ),
        "withdraw_form": bound.get("withdraw")
        or (
            CancelForm()
            if episode.organisation_id in smp_ids(user, SENIOR_ROLES)
            and episode.status == Episode.Status.HANDOVER
            else None
        ),
        "cancel_form": bound.get("cancel")
        or (
            # A hand-over waiting for its acknowledgement cannot be closed (TRANSITIONS):
            # offering the form would only end on an error.
            CancelForm()
            if desk and Episode.Status.CANCELLED in services.TRANSITIONS[episode.status]
            else None
        ),
    }


@login_required
def episode_detail(request, pk):
    episode = access_episode(request.user, pk)
    audit_log(
        user=request.user,
        action="read",
        obj=episode,
        patient_id=episode.patient_id,
        detail="dossier SMP" + ("" if can_read_clinical(request.user, episode) else " (registre)"),
    )
    return render(request, "proximity/episode.html", _episode_context(request, episode))


def _run(request, episode, key: str, form, call) -> HttpResponse:
    """Validate ``form``, call the service, redirect; or show the page with the form's errors."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            return redirect("proximity:episode", pk=episode.pk)
    return render(
        request,
        "proximity/episode.html",
        _episode_context(request, episode, {key: form}),
        status=400,
    )


@require_POST
@login_required
def episode_priority(request, pk):
    episode = access_episode(request.user, pk)
    form = PriorityForm(request.POST)

    def call(d):
        services.episode_set_priority(
            actor=request.user, episode=episode, criteria=form.criteria(), reason=d["reason"]
        )
        messages.success(request, _("Priorité modifiée."))

    return _run(request, episode, "priority", form, call)


@require_POST
@login_required
def episode_book(request, pk):
    episode = access_episode(request.user, pk)
    form = BookForm(request.POST, slots=_free_slots(episode))

    def call(d):
        appointment = services.consultation_book(
            actor=request.user, episode=episode, slot=d["slot"], note=d["note"]
        )
        messages.success(request, _("Rendez-vous %(ref)s pris.") % {"ref": appointment.reference})

    return _run(request, episode, "book", form, call)


@require_POST
@login_required
def episode_consult(request, pk):
    episode = access_episode(request.user, pk)
    form = ConsultationForm(request.POST, appointments=_appointments(episode))

    def call(d):
        consultation = services.consultation_record(
            actor=request.user,
            episode=episode,
            reason=d["reason"],
            notes=d["notes"],
            conclusion=d["conclusion"],
            intern_consent=d["intern_consent"],
            avoided_emergency=d["avoided_emergency"],
            appointment=d["appointment"],
        )
        if consultation.review == Consultation.Review.PENDING:
            messages.success(request, _("Consultation enregistrée, transmise à votre superviseur."))
        else:
            messages.success(request, _("Consultation enregistrée."))

    return _run(request, episode, "consult", form, call)


@require_POST
@login_required
def episode_declare(request, pk):
    episode = access_episode(request.user, pk)
    form = DeclareForm(request.POST, doctors=_doctors(episode))

    def call(d):
        services.episode_declare(actor=request.user, episode=episode, doctor=d["doctor"])
        messages.success(request, _("Médecin traitant déclaré."))

    return _run(request, episode, "declare", form, call)


@require_POST
@login_required
def episode_handover_withdraw(request, pk):
    episode = access_episode(request.user, pk)
    form = CancelForm(request.POST)

    def call(d):
        services.handover_withdraw(actor=request.user, episode=episode, reason=d["reason"])
        messages.success(request, _("Relais repris : le patient est de nouveau suivi par le SMP."))

    return _run(request, episode, "withdraw", form, call)


@require_POST
@login_required
def episode_handover(request, pk):
    episode = access_episode(request.user, pk)
    form = HandoverForm(request.POST)

    def call(d):
        services.handover_send(
            actor=request.user, episode=episode, new_doctor=d["new_doctor"], summary=d["summary"]
        )
        messages.success(request, _("Relais envoyé par la messagerie sécurisée."))

    return _run(request, episode, "handover", form, call)


@require_POST
@login_required
def episode_cancel(request, pk):
    episode = access_episode(request.user, pk)
    form = CancelForm(request.POST)

    def call(d):
        services.episode_cancel(actor=request.user, episode=episode, reason=d["reason"])
        messages.success(request, _("Inscription close."))

    return _run(request, episode, "cancel", form, call)


@login_required
def consultation_detail(request, pk):
    """A consultation record; its supervisor reviews it here."""
    consultation = access_consultation(request.user, pk)
    can_review = (
        consultation.supervisor_id == request.user.pk
        and consultation.review != Consultation.Review.REVIEWED
    )
    form = ReviewForm(request.POST or None) if can_review else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                services.consultation_review(
                    actor=request.user,
                    consultation=consultation,
                    decision=form.cleaned_data["decision"],
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Relecture signée."))
                return redirect("proximity:supervision")
    audit_log(
        user=request.user,
        action="read",
        obj=consultation,
        patient_id=consultation.patient_id,
        detail="consultation SMP",
    )
    return render(
        request,
        "proximity/consultation.html",
        {
            "c": consultation,
            "form": form,
            "documents": consultation.documents.all(),
            "prescription_form": PrescriptionForm()
            if consultation.doctor_id == request.user.pk
            else None,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@login_required
def prescription_new(request, pk):
    """The consultation's doctor issues a PDF prescription."""
    consultation = access_consultation(request.user, pk)
    form = PrescriptionForm(request.POST)
    if form.is_valid():
        try:
            services.prescription_issue(
                actor=request.user, consultation=consultation, lines=form.cleaned_data["lines"]
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Ordonnance créée."))
            return redirect("proximity:consultation", pk=pk)
    return render(
        request,
        "proximity/consultation.html",
        {
            "c": consultation,
            "form": None,
            "documents": consultation.documents.all(),
            "prescription_form": form,
        },
        status=400,
    )


@login_required
def document_download(request, pk):
    """A document of a consultation the user may read (never an assistant)."""
    try:
        document = ConsultationDocument.objects.select_related("consultation").get(
            pk=pk, consultation__in=consultation_queryset_for(request.user)
        )
    except (ConsultationDocument.DoesNotExist, ValueError):
        raise Http404 from None
    audit_log(
        user=request.user,
        action="read",
        obj=document,
        patient_id=document.consultation.patient_id,
        detail="ordonnance SMP",
    )
    return FileResponse(
        document.file.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"ordonnance-{document.pk}.pdf",
    )


@login_required
def supervision(request):
    """The supervisor's review queue and dashboard (delay to review, per intern)."""
    if not is_supervisor(request.user):
        raise Http404
    state = request.GET.get("etat", Consultation.Review.PENDING)
    if state not in (Consultation.Review.PENDING, Consultation.Review.TO_DISCUSS):
        state = Consultation.Review.PENDING
    queue = review_queue(supervisor=request.user, review=state)
    page = Paginator(queue, PAGE_SIZE).get_page(request.GET.get("page"))
    ids = [c.pk for c in page.object_list]
    if ids:
        audit_log(
            user=request.user,
            action="read",
            object_type="proximity_review_queue",
            detail="file de supervision",
            object_ids=ids,
        )
    since = timezone.now() - timedelta(days=365)
    return render(
        request,
        "proximity/supervision.html",
        {
            "page": page,
            "state": state,
            "dashboard": supervision_dashboard(supervisor=request.user, since=since),
            "interns": interns_of(supervisor=request.user).select_related("user"),
        },
    )


def _semester_start(today: date) -> date:
    # French medical internship semesters start early May and early November.
    if today.month >= 11:
        return date(today.year, 11, 1)
    if today.month >= 5:
        return date(today.year, 5, 1)
    return date(today.year - 1, 11, 1)


@login_required
def intern_portfolio(request, user_id):
    """An intern's semester portfolio: the intern, their supervisor, a senior of their SMP."""
    intern_row = (
        StaffMember.objects.filter(user_id=user_id, kind=StaffMember.Kind.INTERN)
        .filter(
            Q(user=request.user)
            | Q(supervisor=request.user)
            | Q(organisation_id__in=smp_ids(request.user, {Role.PROXIMITY_COORDINATOR}))
        )
        .select_related("user", "supervisor", "site")
        .first()
    )
    if intern_row is None:
        raise Http404
    since = intern_row.semester_start or _semester_start(timezone.localdate())
    data = portfolio(intern=intern_row.user, since=since)
    ids = [c.pk for c in data["consultations"]]
    audit_log(
        user=request.user,
        action="read",
        object_type="proximity_portfolio",
        detail=f"portfolio de l'interne {intern_row.user_id}",
        object_ids=ids,
    )
    return render(
        request,
        "proximity/portfolio.html",
        {"intern": intern_row, "since": since, **data},
    )


@login_required
def handover_detail(request, pk):
    """The new treating doctor's page: the hand-over waiting for them, accept it (POST)."""
    try:
        episode = Episode.objects.select_related("patient", "declared_doctor", "organisation").get(
            pk=pk, handover_to=request.user
        )
    except (Episode.DoesNotExist, ValueError):
        raise Http404 from None
    if request.method == "POST":
        try:
            services.handover_acknowledge(actor=request.user, episode=episode)
        except ValidationError as exc:
            flash_service_error(request, exc)
        else:
            messages.success(request, _("Vous êtes désormais le médecin traitant de ce patient."))
            return redirect("patients:detail", pk=episode.patient_id)
        return redirect("proximity:handover", pk=pk)
    audit_log(
        user=request.user,
        action="read",
        obj=episode,
        patient_id=episode.patient_id,
        detail="relais SMP",
    )
    return render(request, "proximity/handover.html", {"episode": episode})


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """A text cell a spreadsheet will not run: a leading ``= + - @`` (a site name typed in
    the admin) gets an apostrophe (OWASP, « CSV Injection »)."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def _csv_labels() -> dict[str, str]:
    return {
        "target": _("objectif (patients)"),
        "registered": _("patients inscrits depuis l'ouverture"),
        "open": _("patients suivis ou en attente"),
        "waiting": _("patients en attente"),
        "declared": _("patients ayant déclaré un médecin du SMP"),
        "consultations": _("consultations sur la période"),
        "intern_share": _("part des internes (%)"),
        "review_delay_hours": _("délai moyen de relecture (heures)"),
        "avoided_emergency": _("passages aux urgences évités (déclarés)"),
        "handovers": _("relais vers un nouveau médecin traitant"),
        "handover_delay_days": _("délai médian inscription → relais (jours)"),
    }


@login_required
def indicators_view(request):
    """The steering figures against the 10,000 target; ``?format=csv`` exports them."""
    if not can_see_indicators(request.user):
        raise Http404
    orgs = smp_ids(request.user, {Role.PROXIMITY_COORDINATOR})
    today = timezone.localdate()
    since = date(today.year - 1, today.month, 1)
    data = indicators(organisation_ids=orgs, since=since)
    audit_log(
        user=request.user, action="read", object_type="proximity_indicators", detail="indicateurs"
    )
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="smp-indicateurs.csv"'
        writer = csv.writer(response, delimiter=";")
        writer.writerow([_("indicateur"), _("valeur")])
        for key, label in _csv_labels().items():
            writer.writerow([label, data[key] if data[key] is not None else ""])
        writer.writerow([])
        writer.writerow(
            [_("priorité"), _("en attente"), _("attente médiane (jours)"), _("en retard")]
        )
        for row in data["waiting_by_priority"]:
            writer.writerow([row["priority"], row["n"], row["median_days"], row["overdue"]])
        writer.writerow([])
        writer.writerow([_("mois"), _("site"), _("médecin"), _("consultations")])
        for row in data["consultations_by_month"]:
            writer.writerow(
                [
                    row["month"].strftime("%Y-%m"),
                    _cell(row["site__name"]),
                    StaffMember.Kind(row["doctor_kind"]).label,
                    row["n"],
                ]
            )
        return response
    months: dict = {}
    for row in data["consultations_by_month"]:
        months[row["month"]] = months.get(row["month"], 0) + row["n"]
    peak = max(months.values(), default=0)
    return render(
        request,
        "proximity/indicators.html",
        {
            "d": data,
            "since": since,
            "months": [
                {"month": m, "n": n, "pct": round(100 * n / peak) if peak else 0}
                for m, n in sorted(months.items())
            ],
            "share": round(100 * data["open"] / data["target"], 1),
        },
    )
