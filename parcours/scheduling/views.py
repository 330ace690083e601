"""Pages of the shared agendas: free-slot search, booking, appointments, staff agenda view,
iCalendar feeds. Views parse, check access, call one service, render."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcours.accounts.scopes import is_gp
from parcours.audit.services import audit_log
from parcours.lib.forms import add_service_error, flash_service_error
from parcours.patients.access import access_patient
from parcours.patients.models import CareLink
from parcours.referrals.access import access_referral, allowed_actions

from . import services
from .access import (
    access_appointment,
    access_schedule,
    access_slot,
    can_book,
    is_schedule_staff,
    managed_schedules,
    visible_schedules,
)
from .forms import (
    ActForm,
    BookingForm,
    CancelForm,
    ExceptionForm,
    MessageForm,
    MoveForm,
    OutcomeForm,
    PrescriptionBookingForm,
    ReportForm,
    RuleForm,
    SlotSearchForm,
    WaitlistForm,
)
from .ical import schedule_calendar
from .models import Appointment, Pool, Schedule
from .selectors import appointment_list, booking_week, schedule_week, slot_search


def _carry(request) -> str:
    """The patient / request the user is booking for, carried from page to page."""
    keep = {k: request.GET[k] for k in ("patient", "referral") if request.GET.get(k, "").isdigit()}
    return "&".join(f"{k}={v}" for k, v in keep.items())


@login_required
def search(request):
    if not can_book(request.user):
        raise Http404
    schedules = visible_schedules(request.user)
    patient, referral = _booking_patient(request, None)
    data = request.GET.copy() if request.GET else None
    if referral is not None and not (data.get("start") or data.get("end")):
        # The request's wished window pre-fills the period (issue 14).
        today = timezone.localdate()
        if referral.wished_from:
            data["start"] = max(referral.wished_from, today).isoformat()
        if referral.wished_until and referral.wished_until >= today:
            data["end"] = referral.wished_until.isoformat()
    form = SlotSearchForm(data, schedules=schedules)
    slots, days = [], []
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        tz = timezone.get_current_timezone()
        start, end = data.get("start"), data.get("end")
        slots = slot_search(
            user=request.user,
            schedule=data.get("schedule"),
            device=data.get("device", ""),
            act_name=data.get("act", ""),
            pool=data.get("pool", ""),
            start_from=datetime.combine(start, datetime.min.time(), tz) if start else None,
            start_to=datetime.combine(end + timedelta(days=1), datetime.min.time(), tz)
            if end
            else None,
            limit=60,
        )
        for slot in slots:
            day = timezone.localtime(slot.start).date()
            if not days or days[-1][0] != day:
                days.append((day, []))
            days[-1][1].append(slot)
    agendas = schedules.select_related("organisation", "service")
    if referral is not None:
        # Answering or booking for a request: the agendas of its hospital (and service).
        agendas = agendas.filter(organisation_id=referral.hospital_id).filter(
            Q(service_id=referral.service_id) | Q(service__isnull=True)
        )
    if patient is not None:
        audit_log(
            user=request.user,
            action="read",
            obj=patient,
            patient_id=patient.pk,
            detail="recherche de créneaux (identité affichée)",
        )
    return render(
        request,
        "scheduling/search.html",
        {
            "form": form,
            "days": days,
            "count": len(slots),
            "carry": _carry(request),
            "managed": managed_schedules(request.user).exists(),
            "agendas": agendas[:50],
            "patient": patient,
            "referral": referral,
        },
    )


def _booking_patient(request, slot):
    """The patient of a booking: from the request being answered, or chosen by the GP."""
    referral = None
    if request.GET.get("referral"):
        referral = access_referral(request.user, request.GET["referral"])
        return referral.patient, referral
    if request.GET.get("patient"):
        return access_patient(request.user, request.GET["patient"]), None
    return None, None


@login_required
def book(request, slot_id):
    slot = access_slot(request.user, slot_id)
    patient, referral = _booking_patient(request, slot)
    staff = is_schedule_staff(request.user, slot.schedule)
    if patient is None:
        recent = (
            CareLink.objects.filter(user=request.user)
            .select_related("patient")
            .order_by("-id")[:30]
        )
        shown = [c.patient for c in recent if c.patient.merged_into_id is None]
        audit_log(
            user=request.user,
            action="list",
            object_type="patient",
            detail="patients récents pour une réservation : " + ", ".join(str(p.pk) for p in shown),
        )
        return render(request, "scheduling/choose_patient.html", {"slot": slot, "recent": shown})
    # From a request: the hospital books/proposes (answering), the GP books what was proposed.
    answering = referral is not None and "book_slot" in allowed_actions(request.user, referral)
    if referral is not None and not answering and referral.author_id != request.user.pk:
        raise Http404
    form_class = (
        PrescriptionBookingForm if slot.schedule.is_imaging and not answering else BookingForm
    )
    form = form_class(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    if slot.pool != Pool.URGENT:
        del form.fields["urgent_reason"]  # asked only where it is required
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if answering and request.POST.get("mode") == "propose":
                services.slot_propose_for_referral(
                    user=request.user, slot=slot, referral=referral, note=data["note"]
                )
                messages.success(
                    request, _("Créneau proposé au médecin demandeur ; la demande est répondue.")
                )
                return redirect("referrals:detail", pk=referral.pk)
            if answering:
                appointment = services.slot_book_for_referral(
                    user=request.user, slot=slot, referral=referral, note=data["note"]
                )
            else:
                appointment = services.slot_book(
                    user=request.user,
                    slot=slot,
                    patient=patient,
                    referral=referral,
                    note=data["note"],
                    urgent_reason=data.get("urgent_reason", ""),
                    prescription=data.get("prescription"),
                )
        except (ValidationError, PermissionDenied) as exc:  # BookingError is a ValidationError
            add_service_error(form, exc)
        else:
            messages.success(request, _("Rendez-vous réservé."))
            return redirect("scheduling:appointment", pk=appointment.pk)
    audit_log(
        user=request.user,
        action="read",
        obj=patient,
        patient_id=patient.pk,
        detail="formulaire de réservation (identité affichée)",
    )
    return render(
        request,
        "scheduling/book.html",
        {
            "slot": slot,
            "patient": patient,
            "referral": referral,
            "form": form,
            "answering": answering,
            "staff": staff,
            "urgent": slot.pool == Pool.URGENT,
            "week_url": reverse("scheduling:week", args=[slot.schedule_id])
            + f"?semaine={_monday(timezone.localtime(slot.start).date()):%Y-%m-%d}"
            + (f"&referral={referral.pk}" if referral else f"&patient={patient.pk}"),
        },
        status=400 if request.method == "POST" else 200,
    )


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


# How far from today a « semaine » asked in the URL may be; beyond, the page opens on this
# week (a week at the calendar's edge made « semaine suivante » overflow: a 500).
WEEK_PARAM_YEARS = 50


def _week_param(request) -> date | None:
    """The Monday of the ``semaine`` query parameter, or None when it is missing, malformed
    or absurdly far from today (more than WEEK_PARAM_YEARS years). Raises nothing."""
    try:
        day = date.fromisoformat(request.GET.get("semaine", ""))
    except ValueError:
        return None
    if abs((day - timezone.localdate()).days) > WEEK_PARAM_YEARS * 366:
        return None
    return _monday(day)


def _grid_monday(request, referral) -> date:
    """The week the grid opens on: the one asked for, else the start of the request's wished
    window (when still to come), else this week (next week at the weekend)."""
    asked = _week_param(request)
    if asked is not None:
        return asked
    today = timezone.localdate()
    wished = getattr(referral, "wished_from", None)
    if wished and wished > today:
        return _monday(wished)
    if today.weekday() >= 5:  # at the weekend, the week to come is the useful one
        today += timedelta(days=7)
    return _monday(today)


@login_required
def week(request, schedule_id):
    """The booking grid of one agenda: a week of free slots by day (a list of days at phone
    width), the next free slot, urgent and reserved slots marked in words and colour, for the
    patient (and request) being booked for."""
    if not can_book(request.user):
        raise Http404
    schedule = access_schedule(request.user, schedule_id)
    patient, referral = _booking_patient(request, None)
    monday = _grid_monday(request, referral)
    grid = booking_week(user=request.user, schedule=schedule, monday=monday)
    if patient is not None:
        audit_log(
            user=request.user,
            action="read",
            obj=patient,
            patient_id=patient.pk,
            detail=f"grille de réservation {schedule.name} (identité affichée)",
        )
    wished = (
        (referral.wished_from, referral.wished_until)
        if referral is not None and (referral.wished_from or referral.wished_until)
        else None
    )
    carry = _carry(request)
    next_free = grid["next_free"]
    return render(
        request,
        "scheduling/week.html",
        {
            "schedule": schedule,
            "days": grid["days"],
            "count": grid["count"],
            "next_free": next_free,
            "monday": monday,
            "sunday": monday + timedelta(days=6),
            "previous": monday - timedelta(days=7),
            "next": monday + timedelta(days=7),
            "next_free_monday": _monday(timezone.localtime(next_free.start).date())
            if next_free
            else None,
            "patient": patient,
            "referral": referral,
            "wished": wished,
            "carry": carry,
            "can_wait": patient is not None and is_gp(request.user),
            "wait_from": max(monday, timezone.localdate()),
            "wait_until": monday + timedelta(days=6),
            "staff": is_schedule_staff(request.user, schedule),
        },
    )


@login_required
def appointments(request):
    upcoming = request.GET.get("passes") != "1"
    rows = list(appointment_list(user=request.user, upcoming=upcoming))
    audit_log(
        user=request.user,
        action="list",
        object_type="appointment",
        detail=f"{len(rows)} rendez-vous",
        object_ids=[a.pk for a in rows],
    )
    if request.GET.get("fragment") == "1":  # live refresh of the list (live.js)
        return render(request, "scheduling/_appointments_rows.html", {"appointments": rows})
    return render(
        request,
        "scheduling/appointments.html",
        {
            "appointments": rows,
            "upcoming": upcoming,
            "can_search": can_book(request.user),
            "managed": managed_schedules(request.user).select_related("organisation"),
        },
    )


def _results_url(appointment: Appointment) -> str:
    template = getattr(settings, "IMAGING_RESULTS_URL", "")
    report = getattr(appointment, "report", None)
    if not template or report is None or not report.accession:
        return ""
    return template.format(accession=report.accession, appointment=appointment.pk)


@login_required
def appointment_detail(request, pk):
    appointment = access_appointment(request.user, pk)
    staff = is_schedule_staff(request.user, appointment.schedule)
    forms = {
        "cancel": CancelForm(prefix="cancel"),
        "message": MessageForm(prefix="message"),
        "report": ReportForm(prefix="report"),
        "outcome": OutcomeForm(prefix="outcome"),
    }
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            done = _appointment_action(request, appointment, action, forms, staff)
        except services.BookingError as exc:
            flash_service_error(request, exc)
            done = True
        if done:
            return redirect("scheduling:appointment", pk=appointment.pk)
        status = 400
    report = getattr(appointment, "report", None)
    fragment = request.GET.get("fragment") == "1"
    audit_log(
        user=request.user,
        action="read",
        obj=appointment,
        patient_id=appointment.patient_id,
        detail="rendez-vous (mise à jour en direct)" if fragment else "rendez-vous",
    )
    now = timezone.now()
    return render(
        request,
        "scheduling/_appointment_live.html" if fragment else "scheduling/appointment.html",
        {
            "a": appointment,
            "staff": staff,
            "forms": forms,
            "report": report,
            "results_url": _results_url(appointment),
            "thread": appointment.messages.select_related("author"),
            "moves": appointment.moves.select_related("moved_by"),
            "can_change": appointment.status == Appointment.Status.BOOKED
            and appointment.start > now,
            "can_outcome": staff
            and appointment.status != Appointment.Status.CANCELLED
            and appointment.start <= now,
            "can_report": staff
            and appointment.status != Appointment.Status.CANCELLED
            and appointment.start <= now,
        },
        status=status,
    )


def _appointment_action(request, appointment, action, forms, staff) -> bool:
    user = request.user
    form: Form
    if action == "cancel":
        form = forms["cancel"] = CancelForm(request.POST, prefix="cancel")
        if not form.is_valid():
            return False
        services.appointment_cancel(
            user=user, appointment=appointment, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("Rendez-vous annulé ; l'équipe est prévenue."))
        return True
    if action == "message":
        form = forms["message"] = MessageForm(request.POST, prefix="message")
        if not form.is_valid():
            return False
        services.appointment_message_add(
            user=user, appointment=appointment, body=form.cleaned_data["body"]
        )
        return True
    if action == "report" and staff:
        form = forms["report"] = ReportForm(request.POST, request.FILES, prefix="report")
        if not form.is_valid():
            return False
        services.report_attach(
            user=user,
            appointment=appointment,
            conclusion=form.cleaned_data["conclusion"],
            file=form.cleaned_data["file"],
            accession=form.cleaned_data["accession"],
        )
        messages.success(request, _("Compte rendu publié ; le prescripteur est prévenu."))
        return True
    if action == "outcome" and staff:
        form = forms["outcome"] = OutcomeForm(request.POST, prefix="outcome")
        if not form.is_valid():
            return False
        services.appointment_set_outcome(
            user=user, appointment=appointment, status=form.cleaned_data["status"]
        )
        return True
    raise Http404


@login_required
def move(request, pk):
    """Choose another slot of the same agenda. Urgent and reserved slots are marked; moving
    into an urgent slot asks for the urgency's reason on this page (issue 14, bug 3)."""
    appointment = access_appointment(request.user, pk)
    if appointment.status != Appointment.Status.BOOKED:
        raise Http404
    form = MoveForm(
        request.POST if request.method == "POST" else None,
        initial={"urgent_reason": appointment.urgent_reason},
    )
    if request.method == "POST" and form.is_valid():
        slot = access_slot(request.user, form.cleaned_data["slot"])
        try:
            services.appointment_move(
                user=request.user,
                appointment=appointment,
                new_slot=slot,
                urgent_reason=form.cleaned_data["urgent_reason"],
            )
        except services.BookingError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("Rendez-vous déplacé ; il garde sa référence %(ref)s.")
                % {"ref": appointment.reference},
            )
            return redirect("scheduling:appointment", pk=appointment.pk)
    slots = slot_search(user=request.user, schedule=appointment.schedule, limit=60)
    days: list[tuple[date, list]] = []
    for slot in slots:
        day = timezone.localtime(slot.start).date()
        if not days or days[-1][0] != day:
            days.append((day, []))
        days[-1][1].append(slot)
    chosen = str(form.data.get("slot", "")) if form.is_bound else ""
    return render(
        request,
        "scheduling/move.html",
        {
            "a": appointment,
            "slots": slots,
            "days": days,
            "form": form,
            "chosen": chosen,
            "has_urgent": any(s.pool == Pool.URGENT for s in slots),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def prescription_file(request, pk):
    """The prescription attached to an imaging booking, for the centre and the prescriber."""
    appointment = access_appointment(request.user, pk)
    if not appointment.prescription:
        raise Http404
    audit_log(
        user=request.user,
        action="download",
        obj=appointment,
        patient_id=appointment.patient_id,
        detail="ordonnance du rendez-vous",
    )
    response = HttpResponse(
        appointment.prescription.open("rb").read(),
        content_type=appointment.prescription_type or "application/pdf",
    )
    extension = appointment.prescription.name.rpartition(".")[2]
    response["Content-Disposition"] = (
        f'inline; filename="ordonnance-{appointment.reference}.{extension}"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def report_file(request, pk):
    appointment = access_appointment(request.user, pk)
    report = getattr(appointment, "report", None)
    if report is None or not report.file:
        raise Http404
    audit_log(
        user=request.user,
        action="download",
        obj=report,
        patient_id=appointment.patient_id,
        detail="compte rendu d'imagerie",
    )
    response = HttpResponse(report.file.open("rb").read(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="cr-{appointment.reference}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def waitlist(request, schedule_id):
    """A GP asks to be told when a slot of this agenda frees up for a patient. A window that
    still has free slots is refused, and those slots are offered (issue 14, bug 5)."""
    schedule = access_schedule(request.user, schedule_id)
    if not is_gp(request.user):
        raise Http404
    patient = access_patient(
        request.user, request.GET.get("patient") or request.POST.get("patient")
    )
    initial = {
        "earliest": timezone.localdate(),
        "latest": timezone.localdate() + timedelta(days=14),
    }
    for key in ("earliest", "latest"):
        try:
            initial[key] = max(date.fromisoformat(request.GET.get(key, "")), timezone.localdate())
        except ValueError:
            pass
    form = WaitlistForm(request.POST if request.method == "POST" else None, initial=initial)
    free = []
    if request.method == "POST" and form.is_valid():
        try:
            services.waitlist_add(
                user=request.user, schedule=schedule, patient=patient, **form.cleaned_data
            )
        except services.BookingError as exc:
            add_service_error(form, exc)
            if exc.code == "free_slots":
                free = services.waitlist_free_slots(
                    user=request.user, schedule=schedule, **form.cleaned_data
                )
        else:
            messages.success(
                request,
                _("Inscrit en liste d'attente : vous serez prévenu dès qu'un créneau se libère."),
            )
            return redirect(
                reverse("scheduling:week", args=[schedule.pk]) + f"?patient={patient.pk}"
            )
    audit_log(
        user=request.user,
        action="read",
        obj=patient,
        patient_id=patient.pk,
        detail=f"liste d'attente {schedule.name} (identité affichée)",
    )
    return render(
        request,
        "scheduling/waitlist.html",
        {"schedule": schedule, "patient": patient, "form": form, "free": free},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def agenda(request, schedule_id):
    schedule = access_schedule(request.user, schedule_id, manage=True)
    monday = _week_param(request)
    if monday is None:
        monday = timezone.localdate()
        if monday.weekday() >= 5:  # at the weekend, the week to come is the useful one
            monday += timedelta(days=7)
    monday -= timedelta(days=monday.weekday())
    form = ExceptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.exception_add(actor=request.user, schedule=schedule, **form.cleaned_data)
        except services.BookingError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request, _("Fermeture enregistrée : les créneaux libres de la période sont fermés.")
            )
            return redirect(request.get_full_path())
    week = schedule_week(schedule=schedule, monday=monday)
    booked = sum(1 for _d, slots in week for s in slots if s.live)
    audit_log(
        user=request.user,
        action="list",
        obj=schedule,
        detail=f"agenda semaine du {monday:%d/%m/%Y} : {booked} rendez-vous",
    )
    if request.GET.get("fragment") == "1":  # live refresh of the week (live.js)
        return render(request, "scheduling/_agenda_week.html", {"week": week})
    return render(
        request,
        "scheduling/agenda.html",
        {
            "schedule": schedule,
            "week": week,
            "monday": monday,
            "previous": monday - timedelta(days=7),
            "next": monday + timedelta(days=7),
            "form": form,
            "rules": schedule.rules.select_related("act", "partner"),
            "closures": schedule.exceptions.filter(end__gte=timezone.now()),
            "feed_url": request.build_absolute_uri(
                reverse("scheduling:ical", args=[schedule.pk, schedule.ical_token])
            ),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def setup(request, schedule_id):
    """The agenda's own staff add acts and weekly openings, or remove an opening."""
    schedule = access_schedule(request.user, schedule_id, manage=True)
    act_form = ActForm(request.POST if request.POST.get("form") == "act" else None, prefix="act")
    rule_form = RuleForm(
        request.POST if request.POST.get("form") == "rule" else None,
        prefix="rule",
        schedule=schedule,
    )
    if request.method == "POST":
        try:
            if request.POST.get("form") == "act" and act_form.is_valid():
                services.act_add(actor=request.user, schedule=schedule, **act_form.cleaned_data)
                messages.success(request, _("Acte ajouté."))
                return redirect("scheduling:setup", schedule_id=schedule.pk)
            if request.POST.get("form") == "rule" and rule_form.is_valid():
                _rule, opened = services.rule_add(
                    actor=request.user, schedule=schedule, **rule_form.cleaned_data
                )
                messages.success(
                    request, _("Plage ajoutée : %(n)d créneau(x) ouvert(s).") % {"n": opened}
                )
                return redirect("scheduling:setup", schedule_id=schedule.pk)
            if request.POST.get("form") == "remove":
                rule = get_object_or_404(schedule.rules, pk=request.POST.get("rule"))
                removed = services.rule_remove(actor=request.user, rule=rule)
                messages.success(
                    request,
                    _("Plage supprimée : %(n)d créneau(x) libre(s) retiré(s).") % {"n": removed},
                )
                return redirect("scheduling:setup", schedule_id=schedule.pk)
        except services.BookingError as exc:
            flash_service_error(request, exc)
    return render(
        request,
        "scheduling/setup.html",
        {
            "schedule": schedule,
            "act_form": act_form,
            "rule_form": rule_form,
            "acts": schedule.acts.all(),
            "rules": schedule.rules.select_related("act", "partner"),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@login_required
def open_slots(request, schedule_id):
    schedule = access_schedule(request.user, schedule_id, manage=True)
    created = services.slots_generate(schedule=schedule)
    messages.success(
        request, _("%(n)d créneau(x) ouvert(s) selon les plages récurrentes.") % {"n": created}
    )
    return redirect("scheduling:agenda", schedule_id=schedule.pk)


def ical_feed(request, schedule_id, token):
    """The agenda as iCalendar for the practitioner's or device's calendar application. The
    secret token in the URL is the credential (calendar apps cannot log in); events carry the
    patient's initials only."""
    schedule = get_object_or_404(Schedule, pk=schedule_id, ical_token=token)
    body = schedule_calendar(schedule)
    audit_log(user=None, action="export", obj=schedule, detail="flux iCalendar")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="agenda-{schedule.pk}.ics"'
    return response
