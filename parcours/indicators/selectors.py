"""Indicators of the referral pathway, the agendas and the discharge letters.

Everything here is aggregated in SQL (``values().annotate()``, months by ``TruncMonth`` so it
runs on SQLite and PostgreSQL); the number of queries does not grow with the number of rows.
Only medians are computed in Python, from one ``values_list`` query of the answered requests'
two dates. No function returns anything about a patient: counts, delays and rates only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from statistics import median

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from parcours.messaging.models import DischargeLetter
from parcours.referrals.models import Referral
from parcours.referrals.workflow import Kind
from parcours.scheduling.models import Appointment, Pool, Slot


@dataclass(frozen=True)
class Period:
    """Whole months: from the first day of ``start`` (included) to the first day of ``end``
    (excluded). Both are dates on the 1st of a month."""

    start: date
    end: date

    def months(self) -> list[date]:
        """The first day of every month of the period, in order."""
        out, current = [], self.start
        while current < self.end:
            out.append(current)
            current = next_month(current)
        return out

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as two aware datetimes in the current time zone."""
        tz = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, datetime.min.time(), tz),
            datetime.combine(self.end, datetime.min.time(), tz),
        )


def next_month(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _month(value) -> date:
    """A ``TruncMonth`` result (aware datetime in the current time zone) as a date."""
    return value.date() if isinstance(value, datetime) else value


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _median_hours(hours: list[float]) -> float | None:
    return round(median(hours), 1) if hours else None


# --- requests ------------------------------------------------------------------------------


@dataclass
class ServiceMonth:
    service: str
    month: object
    by_kind: dict = field(default_factory=lambda: {k: 0 for k in Kind.values})
    total: int = 0
    answered: int = 0
    on_time: int = 0
    hours: list = field(default_factory=list)

    @property
    def median_hours(self):
        return _median_hours(self.hours)

    @property
    def kind_cells(self) -> list[tuple[str, int]]:
        """(kind label, count) in the order of the kinds, for the table cells."""
        return [(str(label), self.by_kind[k]) for k, label in Kind.choices]

    @property
    def on_time_rate(self):
        return round(100 * self.on_time / self.answered) if self.answered else None


def referral_indicators(referrals: QuerySet[Referral], *, months: int = 12) -> list[ServiceMonth]:
    """Per month and service (newest month first): requests by kind, answered, answered on
    time, median answer time. One query (values only), grouped in Python; at most ``months``
    distinct months."""
    tz = timezone.get_current_timezone()
    rows = (
        referrals.annotate(month=TruncMonth("submitted_at", tzinfo=tz))
        .values_list(
            "service__hospital__name",
            "service__name",
            "month",
            "kind",
            "submitted_at",
            "answered_at",
            "due_at",
        )
        .order_by("-month", "service__hospital__name", "service__name")
    )
    groups: dict[tuple, ServiceMonth] = {}
    months_seen: list = []
    for hospital, service, month, kind, submitted, answered, due in rows.iterator():
        if month not in months_seen:
            if len(months_seen) >= months:
                break
            months_seen.append(month)
        key = (month, hospital, service)
        g = groups.get(key)
        if g is None:
            g = groups[key] = ServiceMonth(service=f"{hospital} — {service}", month=month)
        g.by_kind[kind] += 1
        g.total += 1
        if answered:
            g.answered += 1
            g.hours.append((answered - submitted).total_seconds() / 3600)
            if answered <= due:
                g.on_time += 1
    return list(groups.values())


def _answer_hours(referrals: QuerySet[Referral], key: str) -> dict:
    """Answer times in hours of the answered requests, grouped by ``key`` (one query)."""
    hours = defaultdict(list)
    for k, submitted, answered in referrals.filter(answered_at__isnull=False).values_list(
        key, "submitted_at", "answered_at"
    ):
        hours[_month(k)].append((answered - submitted).total_seconds() / 3600)
    return hours


def referral_monthly(referrals: QuerySet[Referral], period: Period) -> list[dict]:
    """One dict per month of ``period`` (months without requests included, at zero): the
    month, requests per kind (``by_kind``), total, answered, answered before their due time
    (``on_time``, 48 h by default), its rate over the answered ones, distinct requesting
    doctors (``authors``) and the median answer time in hours. Two queries."""
    start, end = period.bounds()
    tz = timezone.get_current_timezone()
    qs = referrals.filter(submitted_at__gte=start, submitted_at__lt=end).annotate(
        month=TruncMonth("submitted_at", tzinfo=tz)
    )
    counts = {k: Count("id", filter=Q(kind=k)) for k in Kind.values}
    agg = {
        _month(r["month"]): r
        for r in qs.values("month")
        .annotate(
            total=Count("id"),
            answered=Count("id", filter=Q(answered_at__isnull=False)),
            on_time=Count("id", filter=Q(answered_at__lte=F("due_at"))),
            authors=Count("author", distinct=True),
            **counts,
        )
        .order_by()
    }
    hours = _answer_hours(qs, "month")
    out = []
    for month in period.months():
        r = agg.get(month, {})
        answered, on_time = r.get("answered", 0), r.get("on_time", 0)
        out.append(
            {
                "month": month,
                "by_kind": {k: r.get(k, 0) for k in Kind.values},
                "total": r.get("total", 0),
                "answered": answered,
                "on_time": on_time,
                "on_time_rate": _rate(on_time, answered),
                "authors": r.get("authors", 0),
                "median_hours": _median_hours(hours.get(month, [])),
            }
        )
    return out


def referral_period_totals(referrals: QuerySet[Referral], period: Period) -> dict:
    """The period's totals (a doctor requesting every month counts once): total, answered,
    on_time, on_time_rate, authors, median_hours. Two queries."""
    start, end = period.bounds()
    qs = referrals.filter(submitted_at__gte=start, submitted_at__lt=end)
    out = qs.aggregate(
        total=Count("id"),
        answered=Count("id", filter=Q(answered_at__isnull=False)),
        on_time=Count("id", filter=Q(answered_at__lte=F("due_at"))),
        authors=Count("author", distinct=True),
    )
    out["on_time_rate"] = _rate(out["on_time"], out["answered"])
    hours = [
        (a - s).total_seconds() / 3600
        for s, a in qs.filter(answered_at__isnull=False).values_list("submitted_at", "answered_at")
        if a is not None and s is not None
    ]
    out["median_hours"] = _median_hours(hours)
    return out


def referral_by_hospital(referrals: QuerySet[Referral], period: Period) -> list[dict]:
    """The territory view: per hospital (by name), requests, answered, on time and its rate,
    distinct requesting doctors, median answer time in hours. Two queries."""
    start, end = period.bounds()
    qs = referrals.filter(submitted_at__gte=start, submitted_at__lt=end)
    rows = list(
        qs.values("hospital_id", "hospital__name")
        .annotate(
            total=Count("id"),
            answered=Count("id", filter=Q(answered_at__isnull=False)),
            on_time=Count("id", filter=Q(answered_at__lte=F("due_at"))),
            authors=Count("author", distinct=True),
        )
        .order_by("hospital__name")
    )
    hours = _answer_hours(qs, "hospital_id")
    for r in rows:
        r["on_time_rate"] = _rate(r["on_time"], r["answered"])
        r["median_hours"] = _median_hours(hours.get(r["hospital_id"], []))
    return rows


# --- agendas -------------------------------------------------------------------------------


def appointment_monthly(schedules: QuerySet, period: Period) -> list[dict]:
    """One dict per month of ``period``: appointments (cancelled ones excluded), distinct
    prescribing doctors, no-shows, past reserved slots (partner or urgent pools, released ones
    included), how many were taken and the fill rate. Two queries."""

    start, end = period.bounds()
    tz = timezone.get_current_timezone()
    appts = {
        _month(r["month"]): r
        for r in (
            Appointment.objects.filter(schedule__in=schedules, start__gte=start, start__lt=end)
            .exclude(status=Appointment.Status.CANCELLED)
            .annotate(month=TruncMonth("start", tzinfo=tz))
            .values("month")
            .annotate(
                booked=Count("id"),
                prescribers=Count("prescriber", distinct=True),
                noshow=Count("id", filter=Q(status=Appointment.Status.NOSHOW)),
            )
            .order_by()
        )
    }
    # Only slots already past: a reserved slot of next week is not yet "unfilled".
    pools = {
        _month(r["month"]): r
        for r in (
            Slot.objects.filter(
                schedule__in=schedules, start__gte=start, start__lt=min(end, timezone.now())
            )
            .exclude(reserved_pool=Pool.OPEN)
            .annotate(month=TruncMonth("start", tzinfo=tz))
            .values("month")
            .annotate(reserved=Count("id"), taken=Count("id", filter=Q(status=Slot.Status.BUSY)))
            .order_by()
        )
    }
    out = []
    for month in period.months():
        a, p = appts.get(month, {}), pools.get(month, {})
        reserved, taken = p.get("reserved", 0), p.get("taken", 0)
        out.append(
            {
                "month": month,
                "booked": a.get("booked", 0),
                "prescribers": a.get("prescribers", 0),
                "noshow": a.get("noshow", 0),
                "reserved": reserved,
                "reserved_booked": taken,
                "fill_rate": _rate(taken, reserved),
            }
        )
    return out


# --- discharge letters ---------------------------------------------------------------------


def letter_monthly(services: QuerySet, period: Period) -> list[dict]:
    """For the discharge letters of ``services`` (a HospitalService queryset), one dict per
    month of discharge in ``period``: discharges, letters sent, sent within
    48 h (``on_time``), late (sent late or still unsent past due), pending within the delay,
    and the on-time rate over the letters whose delay is over or that were sent. One query."""
    start, end = period.bounds()
    tz = timezone.get_current_timezone()
    now = timezone.now()
    letters: QuerySet = DischargeLetter.objects.filter(service__in=services)
    agg = {
        _month(r["month"]): r
        for r in (
            letters.filter(discharged_at__gte=start, discharged_at__lt=end)
            .annotate(month=TruncMonth("discharged_at", tzinfo=tz))
            .values("month")
            .annotate(
                total=Count("id"),
                sent=Count("id", filter=Q(sent_at__isnull=False)),
                on_time=Count("id", filter=Q(sent_at__lte=F("due_at"))),
                late=Count(
                    "id",
                    filter=Q(sent_at__gt=F("due_at")) | Q(sent_at__isnull=True, due_at__lt=now),
                ),
                pending=Count("id", filter=Q(sent_at__isnull=True, due_at__gte=now)),
            )
            .order_by()
        )
    }
    out = []
    for month in period.months():
        r = agg.get(month, {})
        total, pending, on_time = r.get("total", 0), r.get("pending", 0), r.get("on_time", 0)
        out.append(
            {
                "month": month,
                "total": total,
                "sent": r.get("sent", 0),
                "on_time": on_time,
                "late": r.get("late", 0),
                "pending": pending,
                "on_time_rate": _rate(on_time, total - pending),
            }
        )
    return out


def appointment_period_totals(schedules: QuerySet, period: Period) -> dict:
    """The period's totals (a doctor booking every month counts once): booked, prescribers,
    noshow and its rate, reserved slots past and taken, fill rate. Two queries."""

    start, end = period.bounds()
    out = (
        Appointment.objects.filter(schedule__in=schedules, start__gte=start, start__lt=end)
        .exclude(status=Appointment.Status.CANCELLED)
        .aggregate(
            booked=Count("id"),
            prescribers=Count("prescriber", distinct=True),
            noshow=Count("id", filter=Q(status=Appointment.Status.NOSHOW)),
        )
    )
    pool = (
        Slot.objects.filter(
            schedule__in=schedules, start__gte=start, start__lt=min(end, timezone.now())
        )
        .exclude(reserved_pool=Pool.OPEN)
        .aggregate(reserved=Count("id"), taken=Count("id", filter=Q(status=Slot.Status.BUSY)))
    )
    out.update(pool)
    # Whole percents, like the per-agenda rows of scheduling.selectors.schedule_indicators.
    out["fill_rate"] = round(100 * pool["taken"] / pool["reserved"]) if pool["reserved"] else None
    out["noshow_rate"] = round(100 * out["noshow"] / out["booked"]) if out["booked"] else None
    return out
