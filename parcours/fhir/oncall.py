"""On-call rosters over FHIR, read-only: a roster is a ``Schedule``, each shift a ``Slot``.

Choice (issue 19, docs/fhir.md): Schedule/Slot rather than PractitionerRole.availableTime,
because a rota is a list of *dated* periods each held by one doctor, with open shifts (a Slot
``free``: to be taken) — availableTime only says "Mondays 20:00–24:00" for one person. The
shared agendas already serve Schedule and Slot; rosters are a second source under the same
names (the registry's ``variant``), reached by ids ``garde-N`` and by searches with
``service-category=on-call``, or ``schedule=Schedule/garde-N`` for the slots.

The doctor who answers is the ``oncall-practitioner`` extension of a Slot: the replacement's
doctor when an override covers the shift's start, else the holder. Every account holder may
read every active roster (the rosters' own rule, ``parcours.oncall.access``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from parcours.lib.text import is_id
from parcours.oncall.access import visible_rosters
from parcours.oncall.models import Override, Roster, Shift

from . import codes
from .mappers import Ctx, _clean, coding, instant, reference
from .search import SearchParam, date_param, token

PREFIX = "garde-"
CATEGORY_SYSTEM = f"{codes.CANONICAL}/CodeSystem/schedule-category"
CATEGORY = "on-call"
MODE_SYSTEM = f"{codes.CANONICAL}/CodeSystem/oncall-mode"
PRACTITIONER_EXT = f"{codes.CANONICAL}/StructureDefinition/oncall-practitioner"
OVERRIDE_EXT = f"{codes.CANONICAL}/StructureDefinition/oncall-override"


def _is_category(query) -> bool:
    for raw in query.getlist("service-category"):
        for value in raw.split(","):
            system, code = token(value)
            if code == CATEGORY and system in (None, "", CATEGORY_SYSTEM):
                return True
    return False


def _roster_ref(value: str) -> str | None:
    """``Schedule/garde-3`` or ``garde-3`` → "3"; anything else → None."""
    tail = value.rsplit("/", 1)[-1]
    if value.count("/") > 1 or ("/" in value and not value.startswith("Schedule/")):
        return None
    if tail.startswith(PREFIX) and is_id(tail[len(PREFIX) :]):
        return tail[len(PREFIX) :]
    return None


def is_roster_search(query) -> bool:
    """True if a Schedule search asks for on-call rosters (``service-category=on-call``)."""
    return _is_category(query)


def is_shift_search(query) -> bool:
    """True if a Slot search asks for on-call shifts (the category, or a roster's id)."""
    if _is_category(query):
        return True
    return any(_roster_ref(v) for raw in query.getlist("schedule") for v in raw.split(","))


def rosters_for(user) -> QuerySet[Roster]:
    """The rosters ``user`` may read, with what the mapper shows."""
    return (
        visible_rosters(user)
        .select_related("service__hospital")
        .prefetch_related("members__practitioner")
    )


def shifts_for(user) -> QuerySet[Shift]:
    """The shifts of the rosters ``user`` may read, with their active overrides."""
    return (
        Shift.objects.filter(roster__in=visible_rosters(user))
        .select_related("roster", "practitioner")
        .prefetch_related(
            Prefetch(
                "roster__overrides",
                queryset=Override.objects.filter(cancelled_at__isnull=True).select_related(
                    "practitioner"
                ),
            )
        )
    )


def schedule(r: Roster, ctx: Ctx) -> dict:
    """A roster as a FHIR R4 Schedule (id ``garde-N``)."""
    actors = [
        reference("Practitioner", m.practitioner_id, str(m.practitioner)) for m in r.members.all()
    ]
    if r.service is not None:
        actors.insert(0, reference("HealthcareService", r.service_id, r.service.name))
        actors.insert(1, reference("Organization", r.service.hospital_id, str(r.service.hospital)))
    if not actors:  # Schedule.actor is 1..*: a rota with no doctor yet names itself
        actors = [{"display": r.name}]
    return _clean(
        {
            "resourceType": "Schedule",
            "id": f"{PREFIX}{r.pk}",
            "active": r.active,
            "serviceCategory": [
                {"coding": [coding(CATEGORY_SYSTEM, CATEGORY, "Tableau de garde")]}
            ],
            "serviceType": [{"coding": [coding(MODE_SYSTEM, r.mode, r.get_mode_display())]}],
            "actor": actors,
            "comment": " — ".join(x for x in (r.name, r.sector, r.phone) if x),
        }
    )


def _answering(s: Shift):
    """(practitioner, override) answering at the shift's start (latest override wins)."""
    over = [o for o in s.roster.overrides.all() if o.start <= s.start < o.end]
    if over:
        o = max(over, key=lambda o: (o.created_at, o.pk))
        return o.practitioner, o
    return s.practitioner, None


def slot(s: Shift, ctx: Ctx) -> dict:
    """A shift as a FHIR R4 Slot (id ``garde-N``): ``busy`` when held, ``free`` when open."""
    who, override = _answering(s)
    extensions: list[dict[str, Any]] = []
    if who is not None:
        extensions.append(
            {
                "url": PRACTITIONER_EXT,
                "valueReference": reference("Practitioner", who.pk, str(who)),
            }
        )
    if override is not None:
        extensions.append({"url": OVERRIDE_EXT, "valueBoolean": True})
    return _clean(
        {
            "resourceType": "Slot",
            "id": f"{PREFIX}{s.pk}",
            "serviceCategory": [
                {"coding": [coding(CATEGORY_SYSTEM, CATEGORY, "Tableau de garde")]}
            ],
            "schedule": reference("Schedule", f"{PREFIX}{s.roster_id}", s.roster.name),
            "status": "busy" if who is not None else "free",
            "start": instant(s.start),
            "end": instant(s.end),
            "comment": f"{s.label} — {who}" if who is not None else f"{s.label} — à pourvoir",
            "extension": extensions,
        }
    )


def _category_param() -> SearchParam:
    def apply(qs, values, modifier):
        return qs  # the category routed the search here; every row has it

    return SearchParam("token", f"{CATEGORY}: the on-call rosters (ids {PREFIX}N)", apply)


def _id_param() -> SearchParam:
    def apply(qs, values, modifier):
        ids = [v[len(PREFIX) :] for v in values if v.startswith(PREFIX)]
        return qs.filter(pk__in=[i for i in ids if is_id(i)])

    return SearchParam("token", f"logical id ({PREFIX}N)", apply)


def _schedule_param() -> SearchParam:
    def apply(qs, values, modifier):
        ids = [i for i in (_roster_ref(v) for v in values) if i]
        return qs.filter(roster_id__in=ids)

    return SearchParam("reference", f"Schedule/{PREFIX}N", apply)


ROSTER_SEARCH = {"_id": _id_param(), "service-category": _category_param()}

SHIFT_SEARCH = {
    "_id": _id_param(),
    "service-category": _category_param(),
    "schedule": _schedule_param(),
    "start": date_param("start", "start (ge, le, gt, lt, eq)"),
}
