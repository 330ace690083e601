"""Reads on the shared agendas."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from .access import appointment_queryset_for, bookable_slots
from .models import Act, Appointment, Pool, Schedule, Slot

LIVE = ~Q(status=Appointment.Status.CANCELLED)


def slot_search(
    *,
    user,
    schedule: Schedule | None = None,
    organisation=None,
    service=None,
    device: str = "",
    act_name: str = "",
    pool: str = "",
    start_from: datetime | None = None,
    start_to: datetime | None = None,
    limit: int = 100,
) -> list[Slot]:
    """Free slots this user may book, soonest first. Served by the (status, start) index: the
    scan starts at the first free slot after ``start_from`` and stops after ``limit`` rows."""
    now = timezone.now()
    qs = bookable_slots(user).filter(status=Slot.Status.FREE, start__gt=max(start_from or now, now))
    if start_to:
        qs = qs.filter(start__lt=start_to)
    if schedule is not None:
        qs = qs.filter(schedule=schedule)
    if organisation is not None:
        qs = qs.filter(schedule__organisation=organisation)
    if service is not None:
        qs = qs.filter(schedule__service=service)
    # Device and act are resolved to id lists first (small tables): the slot scan then stays
    # on the (status, start) index instead of joining every candidate slot (measured 143 ms →
    # see docs/benchmarks.md).
    if device:
        qs = qs.filter(
            schedule_id__in=list(
                Schedule.objects.filter(device=device).values_list("pk", flat=True)
            )
        )
    if act_name:
        qs = qs.filter(
            act_id__in=list(
                Act.objects.filter(name__icontains=act_name).values_list("pk", flat=True)
            )
        )
    if pool:
        qs = qs.filter(pool=pool)
    return list(
        qs.select_related("schedule__organisation", "act", "partner").order_by("start", "id")[
            :limit
        ]
    )


def appointment_list(
    *, user, upcoming: bool = True, schedule=None, limit: int = 200
) -> QuerySet[Appointment]:
    qs = appointment_queryset_for(user).select_related(
        "schedule__organisation", "slot__act", "patient", "prescriber", "referral"
    )
    if schedule is not None:
        qs = qs.filter(schedule=schedule)
    now = timezone.now()
    if upcoming:
        # A cancelled appointment is not « à venir » (issue 14): it is listed with the past.
        return qs.filter(LIVE, end__gte=now).order_by("start", "id")[:limit]
    return qs.filter(Q(end__lt=now) | Q(status=Appointment.Status.CANCELLED)).order_by(
        "-start", "-id"
    )[:limit]


def schedule_week(*, schedule: Schedule, monday: date) -> list[tuple[date, list[Slot]]]:
    """The slots of one week of an agenda with their live appointment (staff view)."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(monday, datetime.min.time(), tz)
    live = Appointment.objects.filter(LIVE).select_related("patient", "prescriber")
    slots = list(
        schedule.slots.filter(start__gte=start, start__lt=start + timedelta(days=7))
        .select_related("act", "partner")
        .prefetch_related(Prefetch("appointments", queryset=live, to_attr="live"))
        .order_by("start")
    )
    days: dict[date, list[Slot]] = {monday + timedelta(days=i): [] for i in range(7)}
    for slot in slots:
        days.setdefault(timezone.localtime(slot.start).date(), []).append(slot)
    return [(d, s) for d, s in days.items() if s or d.weekday() < 5]


def booking_week(*, user, schedule: Schedule, monday: date) -> dict:
    """The booking grid of one agenda for one week: the free slots this user may book, by day,
    and the agenda's next free slot from now (« prochain créneau disponible »).

    Returns {"days": [(date, [Slot])] (Monday to Friday always, the weekend when it has
    slots), "next_free": Slot | None, "count": int}. Two queries whatever the number of slots
    (slots with their act and partner in one, the next free slot in the other)."""
    tz = timezone.get_current_timezone()
    now = timezone.now()
    start = datetime.combine(monday, datetime.min.time(), tz)
    end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tz)
    free = bookable_slots(user).filter(schedule=schedule, status=Slot.Status.FREE, start__gt=now)
    slots = list(
        free.filter(start__gte=start, start__lt=end)
        .select_related("act", "partner")
        .order_by("start", "id")
    )
    next_free = free.select_related("act").order_by("start", "id").first()
    days: dict[date, list[Slot]] = {monday + timedelta(days=i): [] for i in range(7)}
    for slot in slots:
        days.setdefault(timezone.localtime(slot.start).date(), []).append(slot)
    return {
        "days": [(d, s) for d, s in days.items() if s or d.weekday() < 5],
        "next_free": next_free,
        "count": len(slots),
    }


def schedule_indicators(*, schedules: QuerySet[Schedule], since: date) -> list[dict]:
    """Per schedule and month: appointments booked, distinct prescribers, no-shows, and the
    fill rate of the reserved pools (past reserved slots that were booked, released ones
    included)."""

    tz = timezone.get_current_timezone()
    start = datetime.combine(since, datetime.min.time(), tz)
    rows: dict[tuple, dict] = {}
    appts = (
        Appointment.objects.filter(schedule__in=schedules, start__gte=start)
        .exclude(status=Appointment.Status.CANCELLED)
        .annotate(month=TruncMonth("start", tzinfo=tz))
        .values("schedule_id", "schedule__name", "schedule__organisation__name", "month")
        .annotate(
            booked=Count("id"),
            prescribers=Count("prescriber", distinct=True),
            noshow=Count("id", filter=Q(status=Appointment.Status.NOSHOW)),
        )
    )
    for a in appts:
        rows[(a["schedule_id"], a["month"])] = {
            "schedule": a["schedule__name"],
            "organisation": a["schedule__organisation__name"],
            "month": a["month"],
            "booked": a["booked"],
            "prescribers": a["prescribers"],
            "noshow": a["noshow"],
            "reserved": 0,
            "reserved_booked": 0,
        }
    # Only slots already past: a reserved slot of next month is not yet "unfilled".
    pools = (
        Slot.objects.filter(schedule__in=schedules, start__gte=start, start__lt=timezone.now())
        .exclude(reserved_pool=Pool.OPEN)
        .annotate(month=TruncMonth("start", tzinfo=tz))
        .values("schedule_id", "schedule__name", "schedule__organisation__name", "month")
        .annotate(
            reserved=Count("id"), reserved_booked=Count("id", filter=Q(status=Slot.Status.BUSY))
        )
    )
    for p in pools:
        row = rows.setdefault(
            (p["schedule_id"], p["month"]),
            {
                "schedule": p["schedule__name"],
                "organisation": p["schedule__organisation__name"],
                "month": p["month"],
                "booked": 0,
                "prescribers": 0,
                "noshow": 0,
            },
        )
        row["reserved"], row["reserved_booked"] = p["reserved"], p["reserved_booked"]
    out = sorted(rows.values(), key=lambda r: (r["organisation"], r["schedule"], r["month"]))
    for r in out:
        r["fill_rate"] = (
            round(100 * r["reserved_booked"] / r["reserved"]) if r["reserved"] else None
        )
        r["noshow_rate"] = round(100 * r["noshow"] / r["booked"]) if r["booked"] else None
    return out


def referral_booking(*, user, referral) -> dict:
    """What the request page shows of the agendas: its live appointments, and the slots the
    hospital proposed that the requesting GP may still confirm."""
    appointments = list(
        appointment_queryset_for(user)
        .filter(LIVE, referral=referral)
        .select_related("schedule", "slot__act")
    )
    proposed = []
    if referral.author_id == user.pk and not appointments:
        proposed = list(
            Slot.objects.filter(
                held_for=referral, status=Slot.Status.FREE, start__gt=timezone.now()
            ).select_related("schedule", "act")
        )
    return {"appointments": appointments, "proposed": proposed}


def schedule_totals(*, schedules: QuerySet[Schedule], since: date) -> dict:
    """The period's totals: a doctor booking every month counts once here."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(since, datetime.min.time(), tz)
    live = Appointment.objects.filter(schedule__in=schedules, start__gte=start).filter(LIVE)
    reserved = Slot.objects.filter(
        schedule__in=schedules, start__gte=start, start__lt=timezone.now()
    ).exclude(reserved_pool=Pool.OPEN)
    counts = live.aggregate(
        booked=Count("id"),
        prescribers=Count("prescriber", distinct=True),
        noshow=Count("id", filter=Q(status=Appointment.Status.NOSHOW)),
    )
    pool = reserved.aggregate(
        reserved=Count("id"), taken=Count("id", filter=Q(status=Slot.Status.BUSY))
    )
    counts["fill_rate"] = (
        round(100 * pool["taken"] / pool["reserved"]) if pool["reserved"] else None
    )
    counts["noshow_rate"] = (
        round(100 * counts["noshow"] / counts["booked"]) if counts["booked"] else None
    )
    return counts


def patient_page_appointments(*, user, patient) -> dict:
    """The patient page's part (patients.selectors.PATIENT_PAGE_PARTS): the appointments this
    user may see (access.py: booked by them, prescribed by them, or on an agenda they run),
    newest first, and the imaging reports of those appointments."""
    appointments = list(
        appointment_queryset_for(user)
        .filter(patient=patient)
        .select_related(
            "schedule__organisation", "slot__act", "report", "report__author", "referral"
        )
        .order_by("-start", "-id")[:30]
    )
    reports = [a for a in appointments if getattr(a, "report", None) is not None]
    return {"patient_appointments": appointments, "imaging_reports": reports}
