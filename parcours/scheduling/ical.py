"""iCalendar (RFC 5545) feed of an agenda, built with the icalendar library."""

from datetime import timedelta

from django.utils import timezone
from icalendar import Calendar, Event

from .models import Appointment, Schedule


def _initials(patient) -> str:
    # A calendar leaves the platform (phones, webmail): initials only, no name, no birth date.
    given = (patient.used_first_name or patient.birth_given_names or "?")[:1]
    family = (patient.used_name or patient.birth_name or "?")[:1]
    return f"{given}. {family}."


def schedule_calendar(schedule: Schedule) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Parcours//Agendas partagés//FR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", schedule.name)
    now = timezone.now()
    rows = (
        Appointment.objects.filter(
            schedule=schedule,
            start__gte=now - timedelta(days=30),
            start__lte=now + timedelta(weeks=schedule.horizon_weeks + 1),
        )
        .select_related("slot__act", "patient")
        .order_by("start")
    )
    for a in rows:
        event = Event()
        event.add("uid", f"appointment-{a.pk}@parcours")
        event.add("dtstamp", a.created_at)
        event.add("dtstart", a.start)
        event.add("dtend", a.end)
        event.add("summary", f"{a.slot.act.name} — {_initials(a.patient)}")
        event.add(
            "status", "CANCELLED" if a.status == Appointment.Status.CANCELLED else "CONFIRMED"
        )
        event.add("description", f"{a.reference}")
        cal.add_component(event)
    return cal.to_ical()
