"""iCalendar (RFC 5545) feeds of the on-call rosters, built with the icalendar library.

A roster's feed holds its shifts (holder in the summary) and its replacements; a doctor's feed
holds their own shifts and the replacements they make. Shifts from 30 days back to 120 days
ahead (a rota is published a quarter ahead, PDSA)."""

from datetime import datetime, timedelta

from django.utils import timezone
from icalendar import Calendar, Event

from parcours.directory.models import Practitioner

from .models import Override, Roster, Shift
from .selectors import my_overrides, my_shifts

PAST = timedelta(days=30)
AHEAD = timedelta(days=120)


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Parcours//Tableaux de garde//FR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    return cal


def _shift_event(shift: Shift, summary: str) -> Event:
    event = Event()
    event.add("uid", f"oncall-shift-{shift.pk}@parcours")
    event.add("dtstamp", shift.created_at)
    event.add("dtstart", shift.start)
    event.add("dtend", shift.end)
    event.add("summary", summary)
    return event


def _override_event(o: Override, summary: str) -> Event:
    event = Event()
    event.add("uid", f"oncall-override-{o.pk}@parcours")
    event.add("dtstamp", o.created_at)
    event.add("dtstart", o.start)
    event.add("dtend", o.end)
    event.add("summary", summary)
    if o.reason:
        event.add("description", o.reason)
    return event


def _window() -> tuple[datetime, datetime]:
    now = timezone.now()
    return now - PAST, now + AHEAD


def roster_calendar(roster: Roster) -> bytes:
    """The roster's shifts and replacements as an iCalendar file (bytes)."""
    lo, hi = _window()
    cal = _calendar(roster.name)
    for s in roster.shifts.filter(start__lt=hi, end__gt=lo).select_related("practitioner"):
        who = str(s.practitioner) if s.practitioner else "À pourvoir"
        cal.add_component(_shift_event(s, f"{s.label} — {who}"))
    for o in roster.overrides.filter(
        start__lt=hi, end__gt=lo, cancelled_at__isnull=True
    ).select_related("practitioner"):
        cal.add_component(_override_event(o, f"Remplacement — {o.practitioner}"))
    return cal.to_ical()


def practitioner_calendar(practitioner: Practitioner) -> bytes:
    """``practitioner``'s own shifts and replacements as an iCalendar file (bytes)."""
    lo, hi = _window()
    cal = _calendar(f"Mes gardes — {practitioner}")
    for s in my_shifts(practitioner, lo, hi):
        cal.add_component(_shift_event(s, f"Garde {s.roster.name} — {s.label}"))
    for o in my_overrides(practitioner, lo, hi):
        cal.add_component(_override_event(o, f"Remplacement {o.roster.name}"))
    return cal.to_ical()
