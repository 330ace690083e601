"""Reads of the collaborative spaces: lists through ``access``, diffs, calendar occurrences,
the resource-directory search and CSV, the iCalendar feeds."""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from dateutil.rrule import rrulestr  # type: ignore[import-untyped]  # no stubs pinned
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from icalendar import Calendar, vRecur
from icalendar import Event as ICalEvent

from . import access
from .models import (
    Event,
    Page,
    PageVersion,
    ResourceEntry,
    Space,
    SpaceChange,
    SpaceMember,
    Topic,
)


def my_spaces(user) -> QuerySet[SpaceMember]:
    """The user's rows (active, invited, requested) with their space, by space name."""
    return (
        SpaceMember.objects.filter(user=user)
        .select_related("space")
        .annotate(member_count=Count("space__members", filter=Q(space__members__state="active")))
        .order_by("space__name")
    )


def other_spaces(user) -> QuerySet[Space]:
    """Spaces listed to ``user`` where they have no place yet."""
    return access.space_queryset_for(user).exclude(members__user=user).order_by("name")


def space_pages(user, space: Space) -> QuerySet[Page]:
    """The pages of ``space`` the user may see, folder then title, with their folder."""
    return (
        access.page_queryset_for(user)
        .filter(space=space)
        .select_related("folder", "locked_by")
        .order_by("folder__name", "title")
    )


def recent_changes(user, *, space: Space | None = None, limit: int = 15) -> list[SpaceChange]:
    """The latest « modifications récentes » ``user`` may read (of one space, or across
    the spaces they are a member of), newest first; at most ``limit``."""
    rows = access.change_queryset_for(user)
    if space is not None:
        rows = rows.filter(space=space)
    else:
        rows = rows.filter(
            space__members__user=user, space__members__state=SpaceMember.State.ACTIVE
        )
    return list(rows.select_related("space", "actor", "page", "event", "topic")[:limit])


@dataclass(frozen=True)
class SearchResults:
    pages: list[Page]
    topics: list[Topic]
    events: list[Event]

    def __bool__(self) -> bool:
        return bool(self.pages or self.topics or self.events)


def search(user, q: str, *, limit: int = 30) -> SearchResults:
    """What ``user`` may see that holds ``q`` (case-insensitive): pages (title, text, a
    directory entry's provider), forum topics of their spaces (title, a message), events
    (title, description, place); at most ``limit`` of each, newest first. An empty query
    finds nothing."""
    q = (q or "").strip()
    if not q:
        return SearchResults([], [], [])
    pages = (
        access.page_queryset_for(user)
        .filter(Q(title__icontains=q) | Q(body__icontains=q) | Q(entries__provider__icontains=q))
        .select_related("space")
        .distinct()
        .order_by("-updated_at")[:limit]
    )
    topics = (
        access.topic_queryset_for(user)
        .filter(Q(title__icontains=q) | Q(posts__body__icontains=q, posts__hidden_at__isnull=True))
        .select_related("space")
        .distinct()
        .order_by("-last_post_at")[:limit]
    )
    events = (
        access.event_queryset_for(user)
        .filter(
            Q(title__icontains=q) | Q(description__icontains=q) | Q(location__icontains=q),
            cancelled_at__isnull=True,
        )
        .select_related("space")
        .order_by("-start")[:limit]
    )
    return SearchResults(list(pages), list(topics), list(events))


@dataclass(frozen=True)
class DiffLine:
    op: str  # "same", "added", "removed"
    text: str


def version_diff(old: PageVersion | None, new: PageVersion) -> list[DiffLine]:
    """The line diff from ``old`` (None: empty) to ``new`` (title then text), with
    difflib's SequenceMatcher: every line once, marked same, added or removed."""
    a = ([old.title, ""] + old.body.splitlines()) if old else []
    b = [new.title, ""] + new.body.splitlines()
    out: list[DiffLine] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.extend(DiffLine("same", line) for line in a[i1:i2])
            continue
        out.extend(DiffLine("removed", line) for line in a[i1:i2])
        out.extend(DiffLine("added", line) for line in b[j1:j2])
    return out


# --- Resource directories ---------------------------------------------------------------

ENTRY_SORTS = {
    "prestataire": ("provider",),
    "secteur": ("area", "provider"),
    "prix": ("price", "provider"),
    "-prix": ("-price", "provider"),
    "verifie": ("-price_valid_on", "provider"),
}
STALE_AFTER = timedelta(days=365)


def directory_entries(page: Page, *, q: str = "", sort: str = "prestataire") -> list[ResourceEntry]:
    """The entries of a directory page matching ``q`` (provider, area, days, notes,
    case-insensitive), sorted by one of ``ENTRY_SORTS`` (by provider otherwise). Each entry
    gets ``stale``: a price checked more than a year ago (or never)."""
    rows = page.entries.all()
    for word in (q or "").split():
        rows = rows.filter(
            Q(provider__icontains=word)
            | Q(area__icontains=word)
            | Q(days__icontains=word)
            | Q(notes__icontains=word)
        )
    rows = rows.order_by(*ENTRY_SORTS.get(sort, ENTRY_SORTS["prestataire"]))
    today = timezone.localdate()
    out = list(rows)
    for entry in out:
        # An attribute for the template only (not a field).
        entry.stale = entry.price is not None and (  # type: ignore[attr-defined]  # see above
            entry.price_valid_on is None or today - entry.price_valid_on > STALE_AFTER
        )
    return out


def _text_cell(value) -> str:
    """Text a spreadsheet must not run (CSV injection, OWASP): a leading ``= + - @`` typed
    by a member is preceded by an apostrophe, and so are a leading tab and carriage return
    (OWASP « CSV Injection »: ``= + - @ \\t \\r``)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _fr_decimal(value) -> str:
    return "" if value is None else f"{value:.2f}".replace(".", ",")


def directory_csv(page: Page, entries: list[ResourceEntry]) -> str:
    """The entries as CSV for a French spreadsheet: « ; » separators, decimal comma,
    dates dd/mm/yyyy, a UTF-8 byte-order mark so that Excel reads the accents, no cell a
    spreadsheet would run as a formula."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            "Prestataire",
            "Secteur desservi",
            "Jours",
            "Repas par semaine",
            "Prix (€)",
            "Unité",
            "Tarif vérifié le",
            "Téléphone",
            "Source",
            "Remarques",
        ]
    )
    for e in entries:
        writer.writerow(
            [
                _text_cell(e.provider),
                _text_cell(e.area),
                _text_cell(e.days),
                "" if e.meals_per_week is None else e.meals_per_week,
                _fr_decimal(e.price),
                _text_cell(e.price_unit),
                e.price_valid_on.strftime("%d/%m/%Y") if e.price_valid_on else "",
                _text_cell(e.phone),
                _text_cell(e.source),
                _text_cell(e.notes),
            ]
        )
    return out.getvalue()


# --- Calendar -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    event: Event
    start: datetime
    end: datetime


def occurrences(events, start: datetime, end: datetime) -> list[Occurrence]:
    """Every occurrence of ``events`` starting in [start, end) (aware datetimes), sorted.
    A recurring event is expanded with python-dateutil's RFC 5545 rrule, in Europe/Paris
    wall time (a weekly meeting at 14:00 stays at 14:00 across the clock change)."""
    out: list[Occurrence] = []
    for event in events:
        if event.cancelled_at is not None:
            continue
        length = event.end - event.start
        if not event.rrule:
            if start <= event.start < end:
                out.append(Occurrence(event, event.start, event.end))
            continue
        # An aware Paris start: dateutil steps the wall-clock time and keeps the zone, so
        # the UTC offset follows the clock change; UNTIL (UTC) compares as an instant.
        rule = rrulestr(event.rrule, dtstart=timezone.localtime(event.start))
        for when in rule.between(start, end, inc=True):
            if start <= when < end:
                out.append(Occurrence(event, when, when + length))
    out.sort(key=lambda o: (o.start, o.event.pk))
    return out


def calendar_events(user, *, space: Space | None = None) -> QuerySet[Event]:
    """The events ``user`` may see (of one space, or of the spaces they are a member of)."""
    rows = access.event_queryset_for(user).select_related("space")
    if space is not None:
        return rows.filter(space=space)
    return rows.filter(space__members__user=user, space__members__state=SpaceMember.State.ACTIVE)


def calendar_ics(events, *, name: str) -> bytes:
    """An iCalendar (RFC 5545) file of ``events``: one VEVENT each, recurring ones with
    their RRULE (the calendar application expands them). Times are Europe/Paris with a
    TZID and its VTIMEZONE: an application expands RRULE in DTSTART's zone (RFC 5545
    §3.8.5.3), so a weekly 14:00 meeting stays at 14:00 after the clock change — a UTC
    DTSTART would move it by an hour."""
    cal = Calendar()
    cal.add("prodid", "-//Parcours//Espaces collaboratifs//FR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    for event in events:
        item = ICalEvent()
        item.add("uid", f"space-event-{event.pk}@parcours")
        item.add("dtstamp", event.created_at)
        item.add("dtstart", timezone.localtime(event.start))
        item.add("dtend", timezone.localtime(event.end))
        item.add("summary", event.title)
        if event.location:
            item.add("location", event.location)
        if event.description:
            item.add("description", event.description)
        if event.rrule:
            item.add("rrule", vRecur.from_ical(event.rrule))
        item.add("status", "CANCELLED" if event.cancelled_at else "CONFIRMED")
        cal.add_component(item)
    cal.add_missing_timezones()
    return cal.to_ical()
