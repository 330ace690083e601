"""Reads of the on-call rosters: occurrences of the periods, who is on call, problems, exports.

Times are timezone-aware; days are local dates in ``settings.TIME_ZONE`` (Europe/Paris).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.directory.models import Practitioner
from parcours.lib.sla import is_public_holiday

from .models import Override, Roster, RosterEvent, Shift, ShiftTemplate


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_start(day: date) -> datetime:
    """Midnight (local time) at the start of ``day``, aware."""
    return datetime.combine(day, time.min, local_tz())


def fmt(dt: datetime) -> str:
    """``dd/mm/yyyy HH:MM`` in local time, for messages and exports."""
    return timezone.localtime(dt).strftime("%d/%m/%Y %H:%M")


def template_applies(template: ShiftTemplate, day: date) -> bool:
    """True if ``template`` has an occurrence starting on ``day``: a public holiday takes only
    the templates marked ``F`` (covered like a Sunday); another day its weekday digit."""
    if is_public_holiday(day):
        return "F" in template.days.upper()
    return str(day.weekday()) in template.days


def occurrences(
    templates: list[ShiftTemplate], start: date, end: date
) -> list[tuple[ShiftTemplate, datetime, datetime]]:
    """Every (template, start, end) starting on a day from ``start`` to ``end`` included,
    sorted by start. An end time at or before the start time ends the next day."""
    tz = local_tz()
    out = []
    day = start
    while day <= end:
        for t in templates:
            if not template_applies(t, day):
                continue
            begin = datetime.combine(day, t.start_time, tz)
            stop_day = day + timedelta(days=1) if t.end_time <= t.start_time else day
            out.append((t, begin, datetime.combine(stop_day, t.end_time, tz)))
        day += timedelta(days=1)
    out.sort(key=lambda o: o[1])
    return out


@dataclass
class OnCall:
    """Who answers a roster at one moment: the override's doctor, else the shift's."""

    roster: Roster
    practitioner: Practitioner | None
    shift: Shift | None
    override: Override | None
    until: datetime | None

    @property
    def phone(self) -> str:
        """The number to call: the roster's line, else its hospital service's senior line
        (seed 003: a direct line to a senior doctor of each service), else the doctor's own
        phone."""
        if self.roster.phone:
            return self.roster.phone
        service = self.roster.service
        if service is not None and service.senior_line:
            return service.senior_line
        if self.practitioner is not None:
            return self.practitioner.phone or self.practitioner.imported_phone
        return ""


def on_call_now(
    rosters: QuerySet[Roster] | list[Roster], at: datetime | None = None
) -> list[OnCall]:
    """Who is on call at ``at`` (default now) for each roster, overrides first. Three
    queries whatever the number of rosters. Returns one ``OnCall`` per roster, in order."""
    at = at or timezone.now()
    rosters = list(rosters)
    ids = [r.pk for r in rosters]
    shifts: dict[int, Shift] = {}
    for s in (
        Shift.objects.filter(roster_id__in=ids, start__lte=at, end__gt=at)
        .select_related("practitioner")
        .order_by("start", "pk")
    ):
        shifts.setdefault(s.roster_id, s)
    overrides: dict[int, Override] = {}
    for o in (
        Override.objects.filter(
            roster_id__in=ids, start__lte=at, end__gt=at, cancelled_at__isnull=True
        )
        .select_related("practitioner")
        .order_by("created_at", "pk")
    ):
        overrides[o.roster_id] = o  # the latest override wins
    out = []
    for r in rosters:
        over = overrides.get(r.pk)
        shift = shifts.get(r.pk)
        if over is not None:
            out.append(OnCall(r, over.practitioner, shift, over, over.end))
        else:
            holder = shift.practitioner if shift else None
            out.append(OnCall(r, holder, shift, None, shift.end if shift else None))
    return out


@dataclass
class ShiftRow:
    """A shift as shown: its holder and the overrides over it (who actually answers)."""

    shift: Shift
    overrides: list[Override]

    @property
    def effective(self) -> Practitioner | None:
        """Who answers at the shift's start: an override covering it, else the holder."""
        for o in reversed(self.overrides):
            if o.start <= self.shift.start < o.end:
                return o.practitioner
        return self.shift.practitioner

    @property
    def segments(self) -> list[tuple[datetime, datetime, Practitioner | None]]:
        """The shift cut where an override starts or ends: ``(start, end, who answers)``
        in order, covering the whole shift, adjacent pieces with the same doctor merged.
        Where overrides overlap, the later one (by start) answers, as in ``effective``.
        For the fee-payment export: each doctor is paid for the hours they answered."""
        s = self.shift
        cuts = sorted(
            {s.start, s.end}
            | {t for o in self.overrides for t in (o.start, o.end) if s.start < t < s.end}
        )
        out: list[tuple[datetime, datetime, Practitioner | None]] = []
        for a, b in zip(cuts, cuts[1:], strict=False):
            who = s.practitioner
            for o in reversed(self.overrides):
                if o.start <= a < o.end:
                    who = o.practitioner
                    break
            if out and out[-1][2] == who:
                out[-1] = (out[-1][0], b, who)
            else:
                out.append((a, b, who))
        return out


def shift_rows(roster: Roster, start: datetime, end: datetime) -> list[ShiftRow]:
    """The shifts of ``roster`` overlapping [start, end), each with the active overrides
    overlapping it. Two queries."""
    shifts = list(
        roster.shifts.filter(start__lt=end, end__gt=start)
        .select_related("practitioner")
        .prefetch_related("swaps")
        .order_by("start", "pk")
    )
    overrides = override_list(roster, start, end)
    return [
        ShiftRow(s, [o for o in overrides if o.start < s.end and s.start < o.end]) for s in shifts
    ]


def override_list(roster: Roster, start: datetime, end: datetime) -> list[Override]:
    """Active overrides of ``roster`` overlapping [start, end), by start."""
    return list(
        roster.overrides.filter(start__lt=end, end__gt=start, cancelled_at__isnull=True)
        .select_related("practitioner")
        .order_by("start", "pk")
    )


def roster_problems(roster: Roster, start: date, end: date) -> list[str]:
    """The French messages of what makes the roster unfit to publish from ``start`` to ``end``
    (days included): overlapping shifts (unless ``allow_overlap``), periods of the templates
    not covered by a shift and shifts without a doctor and no override over them (unless
    ``allow_gaps``). Empty list: nothing to fix."""
    lo, hi = day_start(start), day_start(end + timedelta(days=1))
    rows = shift_rows(roster, lo, hi)
    problems: list[str] = []
    if not roster.allow_overlap:
        latest: Shift | None = None
        for row in rows:
            s = row.shift
            if latest is not None and s.start < latest.end:
                problems.append(
                    _("Chevauchement : la garde du %(a)s recouvre celle du %(b)s.")
                    % {"a": fmt(s.start), "b": fmt(latest.start)}
                )
            if latest is None or s.end > latest.end:
                latest = s
    if not roster.allow_gaps:
        for row in rows:
            covered = any(
                o.start <= row.shift.start and o.end >= row.shift.end for o in row.overrides
            )
            if row.shift.practitioner_id is None and not covered:
                problems.append(
                    _("Garde sans médecin : %(a)s – %(b)s.")
                    % {"a": fmt(row.shift.start), "b": fmt(row.shift.end)}
                )
        intervals = sorted((r.shift.start, r.shift.end) for r in rows)
        for _t, begin, stop in occurrences(list(roster.templates.all()), start, end):
            cursor = begin
            for a, b in intervals:
                if b <= cursor:
                    continue
                if a > cursor:
                    break
                cursor = max(cursor, b)
                if cursor >= stop:
                    break
            if cursor < stop:
                problems.append(
                    _("Période non couverte : %(a)s – %(b)s.") % {"a": fmt(cursor), "b": fmt(stop)}
                )
    return problems


def roster_history(roster: Roster, limit: int = 200) -> list[RosterEvent]:
    """The latest ``limit`` history lines of ``roster``, newest first (one query)."""
    return list(
        roster.events.select_related(
            "actor", "from_practitioner", "to_practitioner", "shift"
        ).order_by("-at", "-pk")[:limit]
    )


def my_shifts(practitioner: Practitioner, start: datetime, end: datetime) -> list[Shift]:
    """``practitioner``'s shifts overlapping [start, end) in active rosters, by start."""
    return list(
        Shift.objects.filter(
            practitioner=practitioner, roster__active=True, start__lt=end, end__gt=start
        )
        .select_related("roster")
        .order_by("start", "pk")
    )


def my_overrides(practitioner: Practitioner, start: datetime, end: datetime) -> list[Override]:
    """The replacements ``practitioner`` makes overlapping [start, end), by start."""
    return list(
        Override.objects.filter(
            practitioner=practitioner,
            roster__active=True,
            cancelled_at__isnull=True,
            start__lt=end,
            end__gt=start,
        )
        .select_related("roster")
        .order_by("start", "pk")
    )


def roster_search(rosters: QuerySet[Roster], q: str) -> QuerySet[Roster]:
    """``rosters`` whose name, sector, service or hospital contains ``q`` (case-insensitive)."""
    q = q.strip()
    if not q:
        return rosters
    return rosters.filter(
        Q(name__icontains=q)
        | Q(sector__icontains=q)
        | Q(service__name__icontains=q)
        | Q(service__hospital__name__icontains=q)
        | Q(service__hospital__town__icontains=q)
    )


def service_on_call(*, user, service) -> list[OnCall]:
    """Who answers now on each active on-call line of hospital ``service`` (for the directory's
    service page; every account holder may read rosters). Empty for anonymous users."""
    if not user.is_authenticated:
        return []
    return on_call_now(
        Roster.objects.filter(service=service, active=True).select_related("service")
    )


# PDSA: a rota reaches the departmental council of the medical order at least 45 days before it
# starts (Code de la santé publique, art. R6315-2).
NOTICE_DAYS = 45


@dataclass
class NextDue:
    """The next PDSA period to send: it starts on ``start``, the council must have it by
    ``due``; ``late`` when ``due`` is past."""

    start: date
    due: date
    late: bool


def next_submission(roster: Roster, today: date | None = None) -> NextDue | None:
    """For a PDSA sector roster, the next period to send to the council and its deadline (the
    day after the last period sent, or today when none was); None for a hospital line."""
    if roster.kind != Roster.Kind.SECTOR:
        return None
    today = today or timezone.localdate()
    last = roster.periods.order_by("-end").values_list("end", flat=True).first()
    start = last + timedelta(days=1) if last else today
    due = start - timedelta(days=NOTICE_DAYS)
    return NextDue(start=start, due=due, late=due < today)
