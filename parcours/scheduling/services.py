"""Writes on the shared agendas: one function per action, one transaction each.

Booking is where two people collide. ``slot_book`` locks the slot row (SELECT … FOR UPDATE), so
concurrent bookings of one slot queue on that row and every one after the first sees it busy;
PostgreSQL's exclusion constraint on live appointments (migration 0002) and the unique live
appointment per slot refuse an overlap even from a path that forgot the lock.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.accounts.models import Membership, Role, User
from parcours.accounts.scopes import gp_organisation_ids
from parcours.audit.services import audit_log
from parcours.lib.actions import action, delete_file_on_rollback
from parcours.lib.errors import ServiceError
from parcours.lib.sla import is_public_holiday
from parcours.lib.uploads import UploadError, check_upload
from parcours.notifications.services import notify
from parcours.referrals.services import referral_answer
from parcours.referrals.workflow import AnswerKind

from .access import bookable_pool_q, is_schedule_staff
from .models import (
    Act,
    Appointment,
    AppointmentMessage,
    AppointmentMove,
    AvailabilityRule,
    ImagingReport,
    Pool,
    Schedule,
    ScheduleException,
    Slot,
    WaitlistEntry,
)
from .selectors import slot_search

TAKEN = "Ce créneau est déjà pris."


class BookingError(ServiceError):
    """A booking refused for a reason the user can act on (French message): a ServiceError
    whose ``code`` callers test — "taken" (a conflict), "forbidden", "urgent_reason" and
    "prescription" (with that ``field``), "free_slots", "too_early"."""


def _local_tz():
    return ZoneInfo(settings.TIME_ZONE)


# --- people to tell ----------------------------------------------------------------------------


def schedule_staff(schedule: Schedule) -> list[User]:
    """Who runs the agenda and must hear of every booking: its practitioner, the desk or
    imaging secretariat of its organisation, the doctors of its service."""
    q = Q(organisation_id=schedule.organisation_id, role__in=[Role.PATHWAY_DESK, Role.IMAGING])
    if schedule.service_id:
        q |= Q(service_id=schedule.service_id, role=Role.HOSPITAL_DOCTOR)
    users = {m.user for m in Membership.objects.filter(q).select_related("user")}
    if schedule.practitioner:
        users.add(schedule.practitioner)
    return sorted(users, key=lambda u: u.pk)


def _url(appointment: Appointment) -> str:
    return reverse("scheduling:appointment", args=[appointment.pk])


def _when(dt: datetime) -> str:
    return timezone.localtime(dt).strftime("%d/%m/%Y %H:%M")


# --- availability ------------------------------------------------------------------------------


@action
def slots_generate(
    *, schedule: Schedule, start: date | None = None, until: date | None = None
) -> int:
    """Open the slots the weekly rules describe from ``start`` to ``until`` (default: the
    schedule's horizon). Public holidays and closures open nothing. Re-runnable: a slot that
    exists (same schedule and start) is left as it is."""
    tz = _local_tz()
    today = timezone.localdate()
    start = max(start or today, today)
    until = until or today + timedelta(weeks=schedule.horizon_weeks)
    rules = list(schedule.rules.select_related("act"))
    closures = list(
        schedule.exceptions.filter(
            end__gt=datetime.combine(start, time.min, tz),
            start__lt=datetime.combine(until, time.max, tz),
        )
    )
    now = timezone.now()
    rows = []
    day = start
    while day <= until:
        if not is_public_holiday(day):
            for rule in rules:
                if rule.weekday != day.weekday():
                    continue
                if (rule.valid_from and day < rule.valid_from) or (
                    rule.valid_until and day > rule.valid_until
                ):
                    continue
                step = timedelta(minutes=rule.act.duration_minutes)
                at = datetime.combine(day, rule.start_time, tz)
                stop = datetime.combine(day, rule.end_time, tz)
                while at + step <= stop:
                    end = at + step
                    if at > now and not any(c.start < end and at < c.end for c in closures):
                        rows.append(
                            Slot(
                                schedule=schedule,
                                act=rule.act,
                                start=at,
                                end=end,
                                pool=rule.pool,
                                reserved_pool=rule.pool,
                                partner=rule.partner,
                            )
                        )
                    at = end
        day += timedelta(days=1)
    if not rows:
        return 0
    # ignore_conflicts returns every row given, inserted or not: count what is new.
    before = Slot.objects.filter(schedule=schedule).count()
    Slot.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return Slot.objects.filter(schedule=schedule).count() - before


def slots_generate_all() -> dict[str, int]:
    """Worker job: keep every active schedule open up to its horizon (re-runnable)."""
    total = 0
    for schedule in Schedule.objects.filter(active=True):
        last = schedule.slots.order_by("-start").values_list("start", flat=True).first()
        horizon = timezone.localdate() + timedelta(weeks=schedule.horizon_weeks)
        if last is None:
            total += slots_generate(schedule=schedule)
        elif timezone.localtime(last).date() < horizon:
            # Only the days past the last open slot: the worker runs this every round.
            total += slots_generate(
                schedule=schedule, start=timezone.localtime(last).date() + timedelta(days=1)
            )
    return {"slots_opened": total}


# How far ahead a closure may be planned (review of issue 14: 31/12/9999 was accepted).
CLOSURE_MAX_AHEAD = timedelta(days=730)


@action
def exception_add(
    *, actor, schedule: Schedule, start: datetime, end: datetime, reason: str
) -> ScheduleException:
    """Close a period (leave, training, maintenance): its free slots are blocked. Refused while
    live appointments fall inside it — they must be moved or cancelled first, so no patient
    is left with a booking nobody will honour."""
    if end <= start:
        raise BookingError(_("La fin de la fermeture doit suivre son début."))
    now = timezone.now()
    # A closure is planned: not in the past, not beyond the agenda's reach (two years).
    if end <= now:
        raise BookingError(_("Cette période est déjà passée : une fermeture se prévoit."))
    if start > now + CLOSURE_MAX_AHEAD:
        raise BookingError(_("Une fermeture se prévoit au plus deux ans à l'avance."))
    Schedule.objects.select_for_update().get(pk=schedule.pk)
    live = Appointment.objects.filter(
        schedule=schedule, start__lt=end, end__gt=start, status=Appointment.Status.BOOKED
    ).count()
    if live:
        raise BookingError(
            _(
                "%(n)d rendez-vous sont déjà pris sur cette période : "
                "déplacez-les ou annulez-les d'abord."
            )
            % {"n": live}
        )
    closure = ScheduleException.objects.create(
        schedule=schedule, start=start, end=end, reason=reason[:200], created_by=actor
    )
    blocked = Slot.objects.filter(
        schedule=schedule, status=Slot.Status.FREE, start__lt=end, end__gt=start
    ).update(status=Slot.Status.BLOCKED)
    audit_log(
        user=actor,
        action="update",
        obj=schedule,
        detail=f"fermeture {_when(start)}–{_when(end)} : {blocked} créneau(x)",
    )
    return closure


@action
def act_add(
    *, actor, schedule: Schedule, name: str, duration_minutes: int, instructions: str = ""
) -> Act:
    act = Act.objects.create(
        schedule=schedule,
        name=name.strip()[:150],
        duration_minutes=duration_minutes,
        instructions=instructions.strip(),
    )
    audit_log(user=actor, action="create", obj=act, detail=f"acte {act.name}")
    return act


@action
def rule_add(*, actor, schedule: Schedule, **fields) -> tuple[AvailabilityRule, int]:
    """Add a weekly opening and open its slots up to the horizon at once."""
    if fields["act"].schedule_id != schedule.pk:
        raise BookingError(_("Cet acte n'appartient pas à cet agenda."))
    rule = AvailabilityRule.objects.create(schedule=schedule, **fields)
    opened = slots_generate(schedule=schedule)
    audit_log(
        user=actor,
        action="create",
        obj=rule,
        detail=f"plage {rule} — {opened} créneau(x) ouvert(s)",
    )
    return rule, opened


@action
def rule_remove(*, actor, rule: AvailabilityRule) -> int:
    """Remove a weekly opening; its future free slots go (booked ones stay, to be honoured
    or moved by the team)."""
    tz = _local_tz()
    removed = 0
    for slot in Slot.objects.filter(
        schedule=rule.schedule, act=rule.act, status=Slot.Status.FREE, start__gt=timezone.now()
    ):
        local = slot.start.astimezone(tz)
        if local.weekday() == rule.weekday and rule.start_time <= local.time() < rule.end_time:
            slot.delete()
            removed += 1
    audit_log(
        user=actor,
        action="delete",
        obj=rule.schedule,
        detail=f"plage {rule} supprimée — {removed} créneau(x) libre(s) retiré(s)",
    )
    rule.delete()
    return removed


@action
def slots_release_due(*, now: datetime | None = None) -> dict[str, int]:
    """Worker job: reserved slots (partner or urgent pool) still free ``release_hours`` before
    they start return to the open pool."""
    now = now or timezone.now()
    released = 0
    reserved = Slot.objects.filter(
        status=Slot.Status.FREE, released_at__isnull=True, start__gt=now
    ).exclude(pool=Pool.OPEN)
    for schedule_id, hours in Schedule.objects.filter(
        pk__in=reserved.values("schedule_id")
    ).values_list("pk", "release_hours"):
        released += reserved.filter(
            schedule_id=schedule_id, start__lte=now + timedelta(hours=hours)
        ).update(pool=Pool.OPEN, partner=None, released_at=now)
    return {"slots_released": released}


# --- booking -----------------------------------------------------------------------------------


def _check_bookable(user, slot: Slot, *, urgent_reason: str, staff: bool) -> None:
    if slot.status != Slot.Status.FREE:
        raise BookingError(_(TAKEN), code="taken")
    if slot.start <= timezone.now():
        raise BookingError(_("Ce créneau est passé."))
    if not slot.schedule.active:
        raise BookingError(_("Cet agenda est fermé."))
    if staff:
        return
    if not Slot.objects.filter(bookable_pool_q(user), pk=slot.pk).exists():
        raise BookingError(_("Ce créneau est réservé à une autre structure."))
    if slot.pool == Pool.URGENT and not urgent_reason.strip():
        raise BookingError(
            _("Ce créneau est réservé aux urgences : indiquez le motif d'urgence."),
            code="urgent_reason",
            field="urgent_reason",
        )


def _book_locked(
    *, user, slot: Slot, patient, referral, note: str, urgent_reason: str, prescriber
) -> Appointment:
    """The booking itself, inside the caller's transaction, the slot row already locked."""
    staff = is_schedule_staff(user, slot.schedule)
    _check_bookable(user, slot, urgent_reason=urgent_reason, staff=staff)
    try:
        with transaction.atomic():  # savepoint: a refused INSERT leaves the caller usable
            appointment = Appointment.objects.create(
                slot=slot,
                schedule=slot.schedule,
                start=slot.start,
                end=slot.end,
                patient=patient,
                booked_by=user,
                prescriber=prescriber or user,
                referral=referral,
                note=note.strip(),
                urgent_reason=urgent_reason.strip(),
            )
    except IntegrityError:
        raise BookingError(_(TAKEN), code="taken") from None
    slot.status = Slot.Status.BUSY
    slot.save(update_fields=["status"])
    WaitlistEntry.objects.filter(
        schedule=slot.schedule, patient=patient, closed_at__isnull=True
    ).update(closed_at=timezone.now())
    audit_log(
        user=user,
        action="create",
        obj=appointment,
        patient_id=patient.pk,
        detail=f"rendez-vous {slot.schedule.name} {_when(slot.start)}",
    )
    title = _("Nouveau rendez-vous %(ref)s : %(schedule)s, %(when)s") % {
        "ref": appointment.reference,
        "schedule": slot.schedule.name,
        "when": _when(slot.start),
    }
    notify(
        users=[*schedule_staff(slot.schedule), appointment.prescriber],
        kind="appointment_booked",
        title=title,
        url=_url(appointment),
        exclude=user,
        referral=referral,
    )
    return appointment


@action
def slot_book(
    *,
    user,
    slot: Slot,
    patient,
    referral=None,
    note: str = "",
    urgent_reason: str = "",
    prescriber=None,
    prescription=None,
) -> Appointment:
    """Book ``slot`` for ``patient``. The caller has checked the user may act for the patient.
    ``prescription`` (an UploadedFile, imaging agendas only) is the exam's prescription for
    the imaging centre: PDF, JPEG or PNG within the upload size limit.
    Raises BookingError("Ce créneau est déjà pris.") when someone else was faster, or with the
    upload's refusal (code "prescription")."""
    checked = None
    if prescription is not None:
        try:
            checked = check_upload(prescription)
        except UploadError as exc:
            raise BookingError(str(exc), code="prescription", field="prescription") from None
    locked = Slot.objects.select_for_update().select_related("schedule").get(pk=slot.pk)
    if checked is not None and not locked.schedule.is_imaging:
        raise BookingError(
            _("Une ordonnance ne se joint qu'à un examen d'imagerie."),
            code="prescription",
            field="prescription",
        )
    appointment = _book_locked(
        user=user,
        slot=locked,
        patient=patient,
        referral=referral,
        note=note,
        urgent_reason=urgent_reason,
        prescriber=prescriber,
    )
    if checked is not None:
        extension = checked.name.rpartition(".")[2] or "pdf"
        appointment.prescription.save(
            f"ordonnance-{appointment.pk}-{checked.sha256[:8]}.{extension}",
            prescription,
            save=False,
        )
        # A rolled-back action must not leave a health document on disk.
        delete_file_on_rollback(appointment.prescription.storage, appointment.prescription.name)
        appointment.prescription_name = checked.name[:200]
        appointment.prescription_type = checked.content_type
        appointment.prescription_sha256 = checked.sha256
        appointment.save(
            update_fields=[
                "prescription",
                "prescription_name",
                "prescription_type",
                "prescription_sha256",
            ]
        )
        audit_log(
            user=user,
            action="create",
            obj=appointment,
            patient_id=patient.pk,
            detail=f"ordonnance jointe au rendez-vous {appointment.reference}",
        )
    return appointment


def _release_slot(appointment: Appointment) -> Slot:
    slot = Slot.objects.select_for_update().select_related("schedule").get(pk=appointment.slot_id)
    if slot.status == Slot.Status.BUSY:
        slot.status = Slot.Status.FREE if slot.start > timezone.now() else Slot.Status.BLOCKED
        slot.save(update_fields=["status"])
    return slot


def _lock_appointment(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update()
        .select_related("schedule", "patient", "prescriber")
        .get(pk=appointment.pk)
    )


@action
def appointment_cancel(
    *, user, appointment: Appointment, reason: str = "", moved_to: Appointment | None = None
) -> Appointment:
    a = _lock_appointment(appointment)
    if a.status != Appointment.Status.BOOKED:
        raise BookingError(_("Ce rendez-vous n'est plus modifiable."))
    if a.start <= timezone.now():
        raise BookingError(_("Ce rendez-vous est passé : il ne peut plus être annulé."))
    a.status = Appointment.Status.CANCELLED
    a.cancelled_at, a.cancelled_by = timezone.now(), user
    a.cancel_reason, a.moved_to = reason.strip()[:300], moved_to
    a.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason", "moved_to"])
    slot = _release_slot(a)
    audit_log(
        user=user,
        action="update",
        obj=a,
        patient_id=a.patient_id,
        detail=("déplacé" if moved_to else "annulé") + (f" : {reason}" if reason else ""),
    )
    if moved_to is None:
        notify(
            users=[*schedule_staff(a.schedule), a.prescriber],
            kind="appointment_cancelled",
            title=_("Rendez-vous %(ref)s annulé (%(when)s)")
            % {"ref": a.reference, "when": _when(a.start)},
            url=_url(a),
            exclude=user,
            referral=a.referral,
        )
    if slot.status == Slot.Status.FREE:
        _offer_to_waitlist(slot)
    return a


@action
def appointment_move(
    *, user, appointment: Appointment, new_slot: Slot, urgent_reason: str = ""
) -> Appointment:
    """Move ``appointment`` to ``new_slot`` of the same agenda, in one transaction. The
    appointment keeps its id and reference (what the patient and the GP were told); an
    AppointmentMove row keeps where it was and who moved it; the old slot is freed and offered
    to the waiting list. A GP moving into an urgent slot gives the urgency's reason
    (``urgent_reason``, the appointment's own one when blank). Everyone concerned but the mover
    is told. Raises BookingError: not movable, past, same or other agenda's slot, slot taken,
    reason missing."""
    a = _lock_appointment(appointment)
    if a.status != Appointment.Status.BOOKED:
        raise BookingError(_("Ce rendez-vous n'est plus modifiable."))
    if a.start <= timezone.now():
        raise BookingError(_("Ce rendez-vous est passé : il ne peut plus être déplacé."))
    if new_slot.pk == a.slot_id:
        raise BookingError(_("Choisissez un autre créneau."))
    locked = Slot.objects.select_for_update().select_related("schedule").get(pk=new_slot.pk)
    if locked.schedule_id != a.schedule_id:
        raise BookingError(_("Le nouveau créneau doit être sur le même agenda."))
    reason = urgent_reason.strip() or a.urgent_reason
    _check_bookable(
        user, locked, urgent_reason=reason, staff=is_schedule_staff(user, locked.schedule)
    )
    old_slot, old_start = _release_slot(a), a.start
    a.slot, a.start, a.end = locked, locked.start, locked.end
    a.reminded_at = None  # the reminder is for the new time
    # The reason stays with an urgent slot only: moved to an ordinary one, it is no longer
    # urgent (the move's history keeps the former reason).
    a.urgent_reason = reason[:300] if locked.pool == Pool.URGENT else ""
    try:
        with transaction.atomic():  # savepoint: the overlap guards may refuse the UPDATE
            a.save(update_fields=["slot", "start", "end", "reminded_at", "urgent_reason"])
    except IntegrityError:
        raise BookingError(_(TAKEN), code="taken") from None
    locked.status = Slot.Status.BUSY
    locked.save(update_fields=["status"])
    AppointmentMove.objects.create(
        appointment=a,
        from_slot=old_slot,
        from_start=old_start,
        to_start=locked.start,
        moved_by=user,
        urgent_reason=a.urgent_reason if locked.pool == Pool.URGENT else "",
    )
    audit_log(
        user=user,
        action="update",
        obj=a,
        patient_id=a.patient_id,
        detail=f"déplacé du {_when(old_start)} au {_when(a.start)}",
    )
    notify(
        users=[*schedule_staff(a.schedule), a.prescriber, a.booked_by],
        kind="appointment_moved",
        title=_("Rendez-vous %(ref)s déplacé : %(when)s")
        % {"ref": a.reference, "when": _when(a.start)},
        url=_url(a),
        exclude=user,
        referral=a.referral,
    )
    if old_slot.status == Slot.Status.FREE:
        _offer_to_waitlist(old_slot)
    return a


@action
def appointment_set_outcome(*, user, appointment: Appointment, status: str) -> Appointment:
    """Staff mark a past appointment honoured or missed (no-show indicators)."""
    if status not in (Appointment.Status.FULFILLED, Appointment.Status.NOSHOW):
        raise BookingError(_("Issue inconnue."))
    a = _lock_appointment(appointment)
    if not is_schedule_staff(user, a.schedule):
        raise BookingError(
            _("Seule l'équipe de l'agenda indique si le patient est venu."), code="forbidden"
        )
    if a.status == Appointment.Status.CANCELLED:
        raise BookingError(_("Ce rendez-vous a été annulé."))
    if a.start > timezone.now():
        raise BookingError(_("Le rendez-vous n'a pas encore eu lieu."))
    a.status = status
    a.save(update_fields=["status"])
    audit_log(
        user=user,
        action="update",
        obj=a,
        patient_id=a.patient_id,
        detail=f"issue : {a.get_status_display()}",
    )
    return a


# --- waitlist and reminders ---------------------------------------------------------------------

# How far ahead a waiting-list window may end.
WAITLIST_HORIZON_DAYS = 366


@action
def waitlist_add(
    *, user, schedule: Schedule, patient, earliest: date, latest: date, act=None
) -> WaitlistEntry:
    """Put ``patient`` on ``schedule``'s waiting list for ``earliest``..``latest`` (local
    days). Raises BookingError (French): window reversed, past, ending more than
    WAITLIST_HORIZON_DAYS ahead, or with free slots still to book (code "free_slots")."""
    if latest < earliest:
        raise BookingError(_("La fin de la période doit suivre son début."))
    if latest < timezone.localdate():
        raise BookingError(_("Cette période est déjà passée."))
    if latest > timezone.localdate() + timedelta(days=WAITLIST_HORIZON_DAYS):
        # 31/12/9999 also overflowed the free-slot search below.
        raise BookingError(
            _(
                "Date de fin trop lointaine : une inscription en liste d'attente "
                "porte sur un an au plus."
            )
        )
    free = waitlist_free_slots(
        user=user, schedule=schedule, earliest=earliest, latest=latest, act=act
    )
    if free:
        # Issue 14 bug 5: waiting for a window that has free slots only delays the patient.
        raise BookingError(
            _(
                "Des créneaux sont encore libres sur cette période : réservez "
                "l'un d'eux plutôt que d'attendre."
            ),
            code="free_slots",
        )
    entry = WaitlistEntry.objects.create(
        schedule=schedule,
        act=act,
        patient=patient,
        requested_by=user,
        earliest=earliest,
        latest=latest,
    )
    audit_log(
        user=user,
        action="create",
        obj=entry,
        patient_id=patient.pk,
        detail=f"liste d'attente {schedule.name}",
    )
    return entry


def waitlist_free_slots(
    *, user, schedule: Schedule, earliest: date, latest: date, act=None, limit: int = 10
) -> list[Slot]:
    """The free slots of ``schedule`` (and ``act``) this user could book between the two days
    (local time), soonest first, at most ``limit``."""
    tz = _local_tz()
    slots = slot_search(
        user=user,
        schedule=schedule,
        start_from=datetime.combine(earliest, time.min, tz),
        start_to=datetime.combine(latest + timedelta(days=1), time.min, tz),
        limit=limit if act is None else 200,
    )
    if act is not None:
        slots = [s for s in slots if s.act_id == act.pk][:limit]
    return slots


def _offer_to_waitlist(slot: Slot) -> int:
    """A slot freed: tell the GPs waiting for this schedule (and act) on that day. First come,
    first served — the first to book it wins, the others will be told of the next one."""
    day = timezone.localtime(slot.start).date()
    entries = list(
        WaitlistEntry.objects.filter(
            Q(act__isnull=True) | Q(act_id=slot.act_id),
            schedule_id=slot.schedule_id,
            closed_at__isnull=True,
            earliest__lte=day,
            latest__gte=day,
        ).select_related("requested_by")
    )
    if not entries:
        return 0
    url = reverse("scheduling:book", args=[slot.pk])
    for entry in entries:
        notify(
            users=[entry.requested_by],
            kind="waitlist",
            title=_("Un créneau s'est libéré : %(schedule)s, %(when)s")
            % {"schedule": slot.schedule.name, "when": _when(slot.start)},
            url=f"{url}?patient={entry.patient_id}",
        )
    WaitlistEntry.objects.filter(pk__in=[e.pk for e in entries]).update(notified_at=timezone.now())
    return len(entries)


def reminder_when(start: datetime, *, now: datetime) -> str:
    """How a reminder names the appointment's day, in the local time zone (Europe/Paris):
    « aujourd'hui à 16:30 », « demain à 09:00 », otherwise « le 12/03/2026 à 09:00 ».
    Compares calendar days, not a 24-hour window (issue 14, bug 15: an appointment later
    the same day was announced « demain »)."""
    tz = _local_tz()
    local = start.astimezone(tz)
    days = (local.date() - now.astimezone(tz).date()).days
    hour = local.strftime("%H:%M")
    if days == 0:
        return _("aujourd'hui à %(hour)s") % {"hour": hour}
    if days == 1:
        return _("demain à %(hour)s") % {"hour": hour}
    return _("le %(day)s à %(hour)s") % {"day": local.strftime("%d/%m/%Y"), "hour": hour}


@action
def reminders_send(*, now: datetime | None = None, hours: int = 24) -> dict[str, int]:
    """Worker job: remind the prescriber (and through them the patient) the day before.
    Several workers may run: rows are locked and skipped if another worker holds them."""
    now = now or timezone.now()
    sent = 0
    due = list(
        Appointment.objects.select_for_update(skip_locked=True)
        .filter(
            status=Appointment.Status.BOOKED,
            reminded_at__isnull=True,
            start__gt=now,
            start__lte=now + timedelta(hours=hours),
        )
        .select_related("schedule", "prescriber")[:500]
    )
    for a in due:
        notify(
            users=[a.prescriber],
            kind="appointment_reminder",
            title=_("Rappel : rendez-vous %(ref)s %(when)s — %(schedule)s")
            % {
                "ref": a.reference,
                "when": reminder_when(a.start, now=now),
                "schedule": a.schedule.name,
            },
            url=_url(a),
        )
        sent += 1
    Appointment.objects.filter(pk__in=[a.pk for a in due]).update(reminded_at=now)
    return {"reminders": sent}


# --- imaging: report, image link, opinion thread -------------------------------------------------


@action
def report_attach(
    *, user, appointment: Appointment, conclusion: str, file=None, accession: str = ""
) -> ImagingReport:
    """Publish (or correct) the report of an imaging appointment; the prescriber is told."""
    if not conclusion.strip():
        raise BookingError(_("La conclusion du compte rendu est obligatoire."))
    checked = None
    if file is not None:
        try:
            checked = check_upload(file)
        except UploadError as exc:
            raise BookingError(str(exc)) from None
    a = _lock_appointment(appointment)
    if not is_schedule_staff(user, a.schedule):
        raise BookingError(
            _("Seule l'équipe de l'agenda publie le compte rendu."), code="forbidden"
        )
    if a.status == Appointment.Status.CANCELLED:
        raise BookingError(_("Ce rendez-vous a été annulé."))
    if a.start > timezone.now():
        # Issue 14 bug 2: a report before the exam would mark it « Honoré » in advance.
        raise BookingError(
            _(
                "L'examen n'a pas encore eu lieu (prévu le %(when)s) : le "
                "compte rendu pourra être publié à partir de cette heure."
            )
            % {"when": _when(a.start)},
            code="too_early",
        )
    report, _created = ImagingReport.objects.update_or_create(
        appointment=a,
        defaults={
            "conclusion": conclusion.strip(),
            "author": user,
            "accession": accession.strip()[:64],
        },
    )
    if checked is not None:
        report.file.save(f"cr-{a.pk}-{checked.sha256[:8]}.pdf", file, save=False)
        # A rolled-back action must not leave a health document on disk.
        delete_file_on_rollback(report.file.storage, report.file.name)
        report.file_name, report.file_sha256 = checked.name[:200], checked.sha256
        report.save(update_fields=["file", "file_name", "file_sha256"])
    if a.status == Appointment.Status.BOOKED:
        a.status = Appointment.Status.FULFILLED
        a.save(update_fields=["status"])
    audit_log(
        user=user,
        action="create",
        obj=report,
        patient_id=a.patient_id,
        detail=f"compte rendu rendez-vous {a.reference}",
    )
    title = _("Compte rendu disponible : rendez-vous %(ref)s") % {"ref": a.reference}
    notify(users=[a.prescriber], kind="imaging_report", title=title, url=_url(a), exclude=user)
    # The centre's other staff too: their open page of the appointment updates live
    # (issue 14, bug 7) and the secretariat knows the report can be handed over.
    notify(
        users=schedule_staff(a.schedule),
        kind="imaging_report_staff",
        title=title,
        url=_url(a),
        exclude=user,
    )
    return report


@action
def appointment_message_add(*, user, appointment: Appointment, body: str) -> AppointmentMessage:
    if not body.strip():
        raise BookingError(_("Le message est vide."))
    a = _lock_appointment(appointment)
    message = AppointmentMessage.objects.create(appointment=a, author=user, body=body.strip())
    audit_log(
        user=user,
        action="create",
        obj=message,
        patient_id=a.patient_id,
        detail=f"avis sur le rendez-vous {a.reference}",
    )
    notify(
        users=[a.prescriber, a.booked_by, *schedule_staff(a.schedule)],
        kind="appointment_message",
        title=_("Nouveau message sur le rendez-vous %(ref)s") % {"ref": a.reference},
        url=_url(a),
        exclude=user,
    )
    return message


# --- the referral pathway: answering a consultation or exam request with a slot ----------------


def _answer_text(slot: Slot, note: str, *, proposed: bool) -> str:
    act = slot.act
    lead = (
        _("Créneau proposé : %(act)s, %(schedule)s, le %(when)s. Confirmez-le depuis la demande.")
        if proposed
        else _("Rendez-vous réservé : %(act)s, %(schedule)s, le %(when)s.")
    ) % {"act": act.name, "schedule": slot.schedule.name, "when": _when(slot.start)}
    parts = [lead]
    if act.instructions:
        parts.append(_("À apporter / préparation : %(what)s") % {"what": act.instructions})
    if note.strip():
        parts.append(note.strip())
    return "\n".join(parts)


def _check_referral_slot(slot: Slot, referral) -> None:
    if slot.schedule.service_id and slot.schedule.service_id != referral.service_id:
        raise BookingError(_("Ce créneau n'appartient pas à un agenda du service de la demande."))
    if slot.schedule.organisation_id != referral.hospital_id:
        raise BookingError(
            _("Ce créneau n'appartient pas à un agenda de l'établissement de la demande.")
        )


@action
def slot_book_for_referral(*, user, slot: Slot, referral, note: str = "") -> Appointment:
    """The desk or a doctor books a slot for the patient of a consultation or exam request:
    the appointment is made for the requesting GP and the request is answered with it, in one
    transaction (both or neither)."""

    locked = Slot.objects.select_for_update().select_related("schedule", "act").get(pk=slot.pk)
    _check_referral_slot(locked, referral)
    appointment = _book_locked(
        user=user,
        slot=locked,
        patient=referral.patient,
        referral=referral,
        note=note,
        urgent_reason="",
        prescriber=referral.author,
    )
    referral_answer(
        actor=user,
        referral=referral,
        answer_kind=AnswerKind.APPOINTMENT,
        text=_answer_text(locked, note, proposed=False),
        proposed_at=locked.start,
        via_booking=True,
    )
    return appointment


@action
def slot_propose_for_referral(*, user, slot: Slot, referral, note: str = "") -> Slot:
    """Propose a slot instead of booking it: it is held for the requesting GP's practice (their
    partner pool) and the request is answered; the GP confirms by booking it. Unconfirmed, the
    release rule returns it to everyone before it starts."""

    locked = Slot.objects.select_for_update().select_related("schedule", "act").get(pk=slot.pk)
    _check_referral_slot(locked, referral)
    if not is_schedule_staff(user, locked.schedule):
        raise BookingError(_("Seule l'équipe de l'agenda propose ses créneaux."), code="forbidden")
    if locked.status != Slot.Status.FREE:
        raise BookingError(_(TAKEN), code="taken")
    practices = sorted(gp_organisation_ids(referral.author))
    if not practices:
        raise BookingError(_("Le médecin demandeur n'est rattaché à aucune structure."))
    locked.pool, locked.partner_id, locked.held_for = Pool.PARTNER, practices[0], referral
    locked.released_at = None
    locked.save(update_fields=["pool", "partner", "held_for", "released_at"])
    referral_answer(
        actor=user,
        referral=referral,
        answer_kind=AnswerKind.APPOINTMENT,
        text=_answer_text(locked, note, proposed=True),
        proposed_at=locked.start,
        via_booking=True,
    )
    audit_log(
        user=user,
        action="update",
        obj=locked,
        patient_id=referral.patient_id,
        detail=f"créneau proposé pour la demande {referral.reference}",
    )
    return locked


INTEROP_FIELDS = (
    "identifier_system",
    "identifier_value",
    "priority",
    "requested_start",
    "requested_end",
    "cancel_reason_system",
    "cancel_reason_code",
    "cancel_reason_display",
    "participants",
    "reason_codings",
)


@action
def appointment_interop_record(*, actor, appointment: Appointment, **fields) -> Appointment:
    """Keep on ``appointment`` what a connected system sent with it and the platform does not
    otherwise model (FHIR Appointment of the ANS GAP guide: its identifier, priority, requested
    period, coded cancellation reason, other participants — issue 21, no silent loss).

    ``fields`` are among ``INTEROP_FIELDS`` (times aware; ``participants`` a list of FHIR
    participant dicts already checked by the caller). Only the given fields are written; the
    change is audited against the patient. Raises ``ValueError`` for another field name."""
    unknown = set(fields) - set(INTEROP_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    if not fields:
        return appointment
    locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
    for name, value in fields.items():
        setattr(locked, name, value)
        setattr(appointment, name, value)
    locked.save(update_fields=sorted(fields))
    audit_log(
        user=actor,
        action="update",
        obj=locked,
        patient_id=locked.patient_id,
        detail="éléments FHIR conservés : " + ", ".join(sorted(fields)),
    )
    return appointment
