"""Shared agendas over FHIR: Schedule, Slot and Appointment, shaped after the ANS shared-agenda
guide (ans.fhir.fr.gap 3.0.0, which uses the FR Core Schedule/Slot/Appointment profiles).

Booking is ``POST Appointment`` naming one free Slot and the Patient; cancelling is a status
update (PUT or PATCH to ``cancelled``); the schedule's staff record ``fulfilled`` / ``noshow``.
Everything goes through ``parcours.scheduling.services``, the same functions as the pages.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from parcours.directory.models import HospitalService, Practitioner, PractitionerRole
from parcours.lib.actions import action
from parcours.lib.errors import CONFLICT, error_kind
from parcours.lib.text import is_id
from parcours.patients.access import access_patient
from parcours.referrals.access import access_referral, allowed_actions
from parcours.scheduling import services as scheduling
from parcours.scheduling.access import (
    appointment_queryset_for,
    bookable_slots,
    managed_schedules,
    visible_schedules,
)
from parcours.scheduling.models import Appointment, Schedule, Slot

from . import codes
from .errors import FhirError, from_service_error
from .mappers import Ctx, _clean, coding, instant, reference, user_reference
from .search import SearchParam, any_of, code_param, date_param, id_param, reference_param, token

FR_CORE = "https://hl7.fr/ig/fhir/core/StructureDefinition/"
ACT_SYSTEM = f"{codes.CANONICAL}/CodeSystem/act"
POOL_SYSTEM = f"{codes.CANONICAL}/CodeSystem/slot-pool"
APPOINTMENT_ID = f"{codes.CANONICAL}/sid/appointment"
SLOT_ID = f"{codes.CANONICAL}/sid/slot"
SLOT_STATUS: dict[str, str] = {
    Slot.Status.FREE: "free",
    Slot.Status.BUSY: "busy",
    Slot.Status.BLOCKED: "busy-unavailable",
}
APPOINTMENT_STATUS = {s: s for s in Appointment.Status.values}  # same codes as FHIR


def _act_concept(act) -> dict:
    return {"coding": [coding(ACT_SYSTEM, str(act.pk), act.name)], "text": act.name}


def _actors(s: Schedule) -> list[dict]:
    actors: list[dict] = []
    if s.service:  # a null foreign key reads as None without a query
        actors.append(reference("HealthcareService", s.service_id, s.service.name))
    practitioner = user_reference(s.practitioner) if s.practitioner_id else None
    if practitioner:
        actors.append(practitioner)
    if s.device:
        actors.append({"type": "Device", "display": s.get_device_display()})
    # FR Core Schedule allows no Organization actor: the organisation shows through the
    # service (HealthcareService.providedBy); an agenda with neither service nor practitioner
    # nor device names it by display only (a Location of the organisation).
    if not actors:
        actors.append({"type": "Location", "display": s.organisation.name})
    return actors


SERVICE_TYPE_DURATION = f"{FR_CORE}fr-core-service-type-duration"


def _act_duration(act) -> dict:
    """FR Core fr-core-service-type-duration: an act and its length (FR Core Schedule forbids
    Schedule.serviceType and carries the acts this way)."""
    return {
        "url": SERVICE_TYPE_DURATION,
        "extension": [
            {"url": "serviceType", "valueCodeableConcept": _act_concept(act)},
            {
                "url": "duration",
                "valueDuration": {
                    "value": act.duration_minutes,
                    "unit": "min",
                    "system": "http://unitsofmeasure.org",
                    "code": "min",
                },
            },
        ],
    }


def schedule(s: Schedule, ctx: Ctx) -> dict:
    today = timezone.localdate()
    return _clean(
        {
            "resourceType": "Schedule",
            "id": str(s.pk),
            "meta": {"profile": [f"{FR_CORE}fr-core-schedule"]},
            "extension": [_act_duration(a) for a in s.acts.all()],
            "active": s.active,
            "actor": _actors(s),
            "planningHorizon": {
                "start": today.isoformat(),
                "end": (today + timedelta(weeks=s.horizon_weeks)).isoformat(),
            },
            "comment": s.name,
        }
    )


def slot(s: Slot, ctx: Ctx) -> dict:
    return _clean(
        {
            "resourceType": "Slot",
            "id": str(s.pk),
            "meta": {"profile": [f"{FR_CORE}fr-core-slot"]},
            "serviceType": [_act_concept(s.act)],
            "schedule": reference("Schedule", s.schedule_id, s.schedule.name),
            "status": SLOT_STATUS[s.status],
            "start": instant(s.start),
            "end": instant(s.end),
            "comment": s.get_pool_display() + (f" : {s.partner.name}" if s.partner else ""),
            "extension": [
                {
                    "url": f"{codes.CANONICAL}/StructureDefinition/slot-pool",
                    "valueCoding": coding(POOL_SYSTEM, s.pool, s.get_pool_display()),
                }
            ],
        }
    )


def appointment(a: Appointment, ctx: Ctx) -> dict:
    participants: list[dict[str, Any]] = [
        {
            "actor": reference("Patient", a.patient_id, a.patient.display_name),
            "required": "required",
            "status": "accepted",
        },
        {
            # FR Core Appointment: every actor a typed reference (the prescriber is a
            # Practitioner even without a directory entry or RPPS on file).
            "actor": {"type": "Practitioner", **(user_reference(a.prescriber) or {})},
            "required": "information-only",
            "status": "accepted",
        },
    ]
    if a.schedule.service:
        participants.append(
            {
                "actor": reference(
                    "HealthcareService", a.schedule.service_id, a.schedule.service.name
                ),
                "required": "required",
                "status": "accepted",
            }
        )
    # The participants the booking system named (a practitioner, a role…), as sent; the
    # service is added, never substituted (issue 21).
    shown = {(p.get("actor") or {}).get("reference") for p in participants}
    participants += [
        p for p in a.participants or [] if (p.get("actor") or {}).get("reference") not in shown
    ]
    identifiers = [{"system": APPOINTMENT_ID, "value": a.reference}]
    if a.identifier_value:
        identifiers.append(_clean({"system": a.identifier_system, "value": a.identifier_value}))
    cancel = _clean(
        {
            "coding": [
                coding(a.cancel_reason_system, a.cancel_reason_code, a.cancel_reason_display)
            ]
            if a.cancel_reason_code
            else [],
            "text": a.cancel_reason,
        }
    )
    return _clean(
        {
            "resourceType": "Appointment",
            "id": str(a.pk),
            "meta": {"profile": [f"{FR_CORE}fr-core-appointment"]},
            "identifier": identifiers,
            "status": APPOINTMENT_STATUS[a.status],
            "cancelationReason": cancel,
            "priority": a.priority,
            "minutesDuration": int((a.end - a.start).total_seconds() // 60),
            "requestedPeriod": [
                _clean({"start": instant(a.requested_start), "end": instant(a.requested_end)})
            ]
            if a.requested_start or a.requested_end
            else [],
            "serviceType": [_act_concept(a.slot.act)],
            "reasonCode": [_clean({"coding": a.reason_codings, "text": a.urgent_reason})]
            if a.urgent_reason or a.reason_codings
            else [],
            "start": instant(a.start),
            "end": instant(a.end),
            "created": instant(a.created_at),
            "slot": [reference("Slot", a.slot_id)],
            "basedOn": [reference("ServiceRequest", a.referral_id)] if a.referral_id else [],
            "comment": a.note,
            "patientInstruction": a.slot.act.instructions,
            "participant": participants,
        }
    )


# --- querysets and search ----------------------------------------------------------------------


def schedules_for(user) -> QuerySet:
    return (
        (visible_schedules(user) | managed_schedules(user))
        .distinct()
        .select_related("organisation", "service", "practitioner")
        .prefetch_related("acts")
    )


def slots_for(user) -> QuerySet:
    return bookable_slots(user).select_related("schedule", "act", "partner")


def appointments_for(user) -> QuerySet:
    return appointment_queryset_for(user).select_related(
        "patient", "prescriber", "schedule__service", "slot__act"
    )


def service_type_param(path: str, doc: str = "") -> SearchParam:
    """service-type=[system|]code: the act (GAP: the service type booked) by its id in our act
    system, or by its name; ``path`` leads from the searched model to the act."""

    def one(value: str) -> Q:
        system, code = token(value)
        if system not in (None, "", ACT_SYSTEM) or not code:
            return Q(pk__in=[])
        if is_id(code):
            return Q(**{f"{path}__pk": code})
        return Q(pk__in=[]) if system else Q(**{f"{path}__name__iexact": code})

    def apply(qs, values, modifier):
        return qs.filter(any_of(values, one)).distinct()

    return SearchParam(
        "token", doc or "the act: its code in the act system, or its name (GAP service type)", apply
    )


def _person_ids(value: str) -> tuple[list[str], list[str]] | None:
    """A Practitioner or PractitionerRole reference → (practitioner ids, service ids of the
    role); None for another type. A PractitionerRole stands for its practitioner (and, for a
    hospital activity, its service) — issue 21."""
    kind, _, pk = value.rstrip("/").rpartition("/")
    kind = kind.rpartition("/")[2]
    if not is_id(pk):
        return None
    if kind == "Practitioner":
        return [pk], []
    if kind == "PractitionerRole":
        role = PractitionerRole.objects.filter(pk=pk).values("practitioner_id", "service_id")
        row = role.first()
        if row is None:
            return [], []
        return [str(row["practitioner_id"])], [str(row["service_id"])] if row["service_id"] else []
    return None


def _actor_condition(value: str, prefix: str = "") -> Q:
    """The schedules (through ``prefix``) of which ``value`` is an actor: the service, the
    organisation, the practitioner — directly or as one of the service's active activities."""
    kind, _, pk = value.rstrip("/").rpartition("/")
    kind = kind.rpartition("/")[2]
    if kind == "HealthcareService" and is_id(pk):
        return Q(**{f"{prefix}service_id": pk})
    if kind == "Organization" and is_id(pk):
        return Q(**{f"{prefix}organisation_id": pk})
    person = _person_ids(value)
    if person is None:
        return Q(pk__in=[])
    practitioners, services = person
    working = PractitionerRole.objects.filter(
        practitioner_id__in=practitioners, active=True, service__isnull=False
    ).values("service_id")
    return (
        Q(**{f"{prefix}practitioner__practitioner__pk__in": practitioners})
        | Q(**{f"{prefix}service_id__in": working})
        | Q(**{f"{prefix}service_id__in": services})
    )


def _actor_param(prefix: str = "") -> SearchParam:
    def apply(qs, values, modifier):
        return qs.filter(any_of(values, lambda v: _actor_condition(v, prefix))).distinct()

    return SearchParam(
        "reference",
        "HealthcareService/id, Organization/id, Practitioner/id or PractitionerRole/id (a "
        "practitioner is an actor of their own agendas and of their services')",
        apply,
    )


def _appointment_actor() -> SearchParam:
    def one(value: str) -> Q:
        kind = value.rstrip("/").rpartition("/")[0].rpartition("/")[2]
        pk = value.rstrip("/").rpartition("/")[2]
        if kind == "Patient":
            return Q(patient_id=pk) if is_id(pk) else Q(pk__in=[])
        person = _person_ids(value)
        condition = _actor_condition(value, "schedule__")
        if person is not None:
            condition |= Q(prescriber__practitioner__pk__in=person[0])
        return condition

    def apply(qs, values, modifier):
        return qs.filter(any_of(values, one)).distinct()

    return SearchParam(
        "reference",
        "Patient/id, Practitioner/id, PractitionerRole/id (the prescriber or an actor of the "
        "agenda), HealthcareService/id, Organization/id",
        apply,
    )


def _appointment_identifier() -> SearchParam:
    def ours(code: str) -> Q:
        number = code.upper().removeprefix("R-")
        return Q(pk=int(number)) if is_id(number) else Q(pk__in=[])

    def one(value: str) -> Q:
        system, code = token(value)
        if system == APPOINTMENT_ID:
            return ours(code) if code else Q()
        if system and not code:
            return Q(identifier_system=system) & ~Q(identifier_value="")
        if system:
            return Q(identifier_system=system, identifier_value=code)
        return (ours(code) | Q(identifier_value=code)) if code else Q(pk__in=[])

    def apply(qs, values, modifier):
        return qs.filter(any_of(values, one))

    return SearchParam(
        "token",
        f"the appointment reference ({APPOINTMENT_ID}|R-000042) or the identifier the booking "
        "system sent (its system|value)",
        apply,
    )


def _slot_identifier() -> SearchParam:
    def one(value: str) -> Q:
        system, code = token(value)
        if system not in (None, "", SLOT_ID):
            return Q(pk__in=[])
        if not code:
            return Q() if system else Q(pk__in=[])
        return Q(pk=code) if is_id(code) else Q(pk__in=[])

    return SearchParam(
        "token",
        f"the slot's identifier ({SLOT_ID}|id)",
        lambda qs, values, m: qs.filter(any_of(values, one)),
    )


def _inverse(mapping: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for db, code in mapping.items():
        out.setdefault(code, []).append(str(db))
    return out


SCHEDULE_SEARCH = {
    "_id": id_param(),
    "actor": _actor_param(),
    "service-type": service_type_param("acts", "an act of the schedule (code or name)"),
    "active": SearchParam(
        "token",
        "true / false",
        lambda qs, values, m: qs.filter(
            active__in=[v == "true" for v in values if v in ("true", "false")]
        ),
    ),
}

SLOT_SEARCH = {
    "_id": id_param(),
    "schedule": reference_param("schedule_id", "Schedule", "Schedule/id"),
    "service-type": service_type_param("act"),
    "identifier": _slot_identifier(),
    "schedule.actor": _actor_param("schedule__"),
    "start": date_param("start", "start (ge, le, gt, lt, eq)"),
    "status": code_param(
        "status",
        "free, busy, busy-unavailable",
        _inverse(SLOT_STATUS),
        "http://hl7.org/fhir/slotstatus",
    ),
}

APPOINTMENT_SEARCH = {
    "_id": id_param(),
    "actor": _appointment_actor(),
    "identifier": _appointment_identifier(),
    "service-type": service_type_param("slot__act"),
    "patient": reference_param("patient_id", "Patient", "Patient/id"),
    "slot": reference_param("slot_id", "Slot", "Slot/id"),
    "based-on": reference_param("referral_id", "ServiceRequest", "ServiceRequest/id"),
    "date": date_param("start", "start (ge, le, gt, lt, eq)"),
    "status": code_param(
        "status",
        "booked, fulfilled, noshow, cancelled",
        _inverse(APPOINTMENT_STATUS),
        "http://hl7.org/fhir/appointmentstatus",
    ),
    "practitioner": SearchParam(
        "reference",
        "Practitioner/id of the prescriber",
        lambda qs, values, m: qs.filter(
            prescriber__practitioner__pk__in=[
                v.split("/")[-1] for v in values if is_id(v.split("/")[-1])
            ]
        ),
    ),
}


# --- writes ------------------------------------------------------------------------------------


def _one_ref(refs, resource_type: str, where: str) -> str:
    ids = [
        r.get("reference", "").split("/")[-1]
        for r in refs or []
        if r.get("reference", "").startswith(f"{resource_type}/")
    ]
    if len(ids) != 1 or not is_id(ids[0]):
        raise FhirError(422, f"Un seul {resource_type} attendu dans {where}.", expression=[where])
    return ids[0]


# The elements of an Appointment a booking stores (issue 21: anything else is refused with a
# 422 naming it, never dropped). ``meta`` and ``text`` are the server's (profile, narrative).
APPOINTMENT_WRITE = {
    "resourceType",
    "id",
    "meta",
    "text",
    "identifier",
    "status",
    "cancelationReason",
    "serviceType",
    "priority",
    "reasonCode",
    "minutesDuration",
    "start",
    "end",
    "slot",
    "created",
    "comment",
    "patientInstruction",
    "basedOn",
    "participant",
    "requestedPeriod",
}
PARTICIPANT_TYPES = ("Patient", "Practitioner", "PractitionerRole", "HealthcareService")


def refuse_unknown(body: dict, allowed: set[str], resource_type: str) -> None:
    """422 naming every top-level element of ``body`` outside ``allowed`` (the elements this
    write stores or checks): a connected system is told, never silently ignored (issue 21)."""
    unknown = sorted(k for k in body if k not in allowed and not k.startswith("_"))
    if unknown:
        raise FhirError(
            422,
            f"Élément(s) non pris en charge, la ressource n'est pas enregistrée : "
            f"{', '.join(unknown)}.",
            code="not-supported",
            expression=[f"{resource_type}.{k}" for k in unknown],
        )


def _when(value, where: str):
    parsed = parse_datetime(value) if isinstance(value, str) and "T" in value else None
    if parsed is None or parsed.tzinfo is None:
        raise FhirError(422, "Date et heure avec fuseau attendues.", expression=[where])
    return parsed


def _booking_details(body: dict, slot: Slot) -> dict:
    """The checked elements of a booking besides the slot and the patient → the fields of
    ``appointment_interop_record``. Elements that must agree with the slot (its start, end,
    length and act) are refused with a 422 when they do not: a client is never booked for 30
    minutes when it asked for 15."""
    minutes = int((slot.end - slot.start).total_seconds() // 60)
    if "minutesDuration" in body and body["minutesDuration"] != minutes:
        raise FhirError(
            422,
            f"Ce créneau dure {minutes} minutes, pas {body['minutesDuration']} : "
            "choisissez un créneau de la durée voulue.",
            expression=["Appointment.minutesDuration"],
        )
    for element, value in (("start", slot.start), ("end", slot.end)):
        if element in body and _when(body[element], f"Appointment.{element}") != value:
            raise FhirError(
                422,
                f"{element} doit être celui du créneau ({instant(value)}).",
                expression=[f"Appointment.{element}"],
            )
    for i, concept in enumerate(body.get("serviceType") or []):
        acts = [
            c.get("code")
            for c in concept.get("coding") or []
            if c.get("system") in (ACT_SYSTEM, None)
        ]
        if str(slot.act_id) not in acts and (concept.get("text") or "") != slot.act.name:
            raise FhirError(
                422,
                f"serviceType : le créneau est pour « {slot.act.name} » ({ACT_SYSTEM}|"
                f"{slot.act_id}).",
                expression=[f"Appointment.serviceType[{i}]"],
            )
    if body.get("patientInstruction") not in (None, slot.act.instructions):
        raise FhirError(
            422,
            "patientInstruction est la consigne de l'acte, fixée par l'agenda.",
            expression=["Appointment.patientInstruction"],
        )
    if body.get("cancelationReason"):
        raise FhirError(
            422,
            "cancelationReason n'a de sens que pour un rendez-vous annulé.",
            expression=["Appointment.cancelationReason"],
        )
    fields: dict = {}
    ours = [i for i in body.get("identifier") or [] if i.get("system") == APPOINTMENT_ID]
    if ours:
        raise FhirError(
            422,
            "L'identifiant de la plateforme est attribué à la réservation.",
            expression=["Appointment.identifier"],
        )
    theirs = body.get("identifier") or []
    if len(theirs) > 1:
        raise FhirError(
            422,
            "Un seul identifiant externe du rendez-vous est conservé.",
            expression=["Appointment.identifier[1]"],
        )
    if theirs:
        if not theirs[0].get("value") or set(theirs[0]) - {"system", "value", "use"}:
            raise FhirError(
                422,
                "identifier : system et value seulement.",
                expression=["Appointment.identifier[0]"],
            )
        fields["identifier_system"] = theirs[0].get("system", "")[:200]
        fields["identifier_value"] = theirs[0]["value"][:100]
    if "priority" in body:
        fields["priority"] = body["priority"]
    periods = body.get("requestedPeriod") or []
    if len(periods) > 1:
        raise FhirError(
            422,
            "Une seule période souhaitée est conservée.",
            expression=["Appointment.requestedPeriod[1]"],
        )
    if periods:
        p = periods[0]
        if p.get("start"):
            fields["requested_start"] = _when(p["start"], "Appointment.requestedPeriod.start")
        if p.get("end"):
            fields["requested_end"] = _when(p["end"], "Appointment.requestedPeriod.end")
    others = []
    for i, part in enumerate(body.get("participant") or []):
        where = f"Appointment.participant[{i}]"
        ref = (part.get("actor") or {}).get("reference") or ""
        kind = ref.split("/")[0]
        if kind not in PARTICIPANT_TYPES or not is_id(ref.split("/")[-1]):
            raise FhirError(
                422,
                "participant.actor : Patient, Practitioner, PractitionerRole ou "
                "HealthcareService (Type/id) attendu.",
                expression=[where],
            )
        if kind == "Patient":
            continue
        rows: QuerySet = {
            "Practitioner": Practitioner.objects.all(),
            "PractitionerRole": PractitionerRole.objects.all(),
            "HealthcareService": HospitalService.objects.all(),
        }[kind]
        if not rows.filter(pk=ref.split("/")[-1]).exists():
            raise FhirError(422, f"{ref} introuvable.", code="not-found", expression=[where])
        others.append(
            {
                k: v
                for k, v in part.items()
                if k in ("actor", "required", "status", "type", "period")
            }
        )
    if others:
        fields["participants"] = others
    codings = [c for r in body.get("reasonCode") or [] for c in r.get("coding") or []]
    if codings:
        fields["reason_codings"] = codings
    for i, ref in enumerate(body.get("basedOn") or []):
        if not (ref.get("reference") or "").startswith("ServiceRequest/"):
            raise FhirError(
                422,
                "basedOn : seule une demande (ServiceRequest/id) est acceptée.",
                expression=[f"Appointment.basedOn[{i}]"],
            )
    return fields


@action
def appointment_create(*, user, body: dict) -> Appointment:
    """POST Appointment: book the one Slot it names for the Patient it names, keeping the
    elements of ``APPOINTMENT_WRITE`` (``_booking_details``); any other element is a 422."""
    refuse_unknown(body, APPOINTMENT_WRITE, "Appointment")
    if body.get("status") not in (None, "booked"):
        raise FhirError(
            422, "Un rendez-vous se crée au statut « booked ».", expression=["Appointment.status"]
        )
    slot_id = _one_ref(body.get("slot"), "Slot", "Appointment.slot")
    patient_id = _one_ref(
        [
            p.get("actor", {})
            for p in body.get("participant", [])
            if p.get("actor", {}).get("reference", "").startswith("Patient/")
        ],
        "Patient",
        "Appointment.participant",
    )
    referral_refs = [
        r for r in body.get("basedOn", []) if r.get("reference", "").startswith("ServiceRequest/")
    ]
    note = body.get("comment", "")
    urgent_reason = " ".join(r.get("text", "") for r in body.get("reasonCode", []))
    try:
        slot = slots_for(user).get(pk=slot_id)
    except Slot.DoesNotExist:
        raise FhirError(
            422, "Créneau introuvable.", code="not-found", expression=["Appointment.slot"]
        ) from None
    referral = None
    if referral_refs:
        try:
            referral = access_referral(
                user, _one_ref(referral_refs, "ServiceRequest", "Appointment.basedOn")
            )
        except Http404:
            raise FhirError(
                422,
                "Demande introuvable.",
                code="not-found",
                expression=["Appointment.basedOn"],
            ) from None
    try:
        if referral is not None and "book_slot" in allowed_actions(user, referral):
            if str(referral.patient_id) != patient_id:
                raise FhirError(
                    422,
                    "Le patient doit être celui de la demande.",
                    expression=["Appointment.participant"],
                )
            details = _booking_details(body, slot)
            booked = scheduling.slot_book_for_referral(
                user=user, slot=slot, referral=referral, note=note
            )
            return scheduling.appointment_interop_record(actor=user, appointment=booked, **details)
        try:
            patient = access_patient(user, patient_id)
        except Http404:
            raise FhirError(
                422,
                "Patient introuvable.",
                code="not-found",
                expression=["Appointment.participant"],
            ) from None
        if referral is not None and referral.author_id != user.pk:
            raise FhirError(
                422,
                "Seul le médecin demandeur rattache son rendez-vous à la demande.",
                expression=["Appointment.basedOn"],
            )
        details = _booking_details(body, slot)
        booked = scheduling.slot_book(
            user=user,
            slot=slot,
            patient=patient,
            referral=referral,
            note=note,
            urgent_reason=urgent_reason,
        )
        return scheduling.appointment_interop_record(actor=user, appointment=booked, **details)
    except scheduling.BookingError as exc:
        # A conflict points at the slot someone else took; a refusal at the appointment.
        where = "Appointment.slot" if error_kind(exc) == CONFLICT else "Appointment"
        raise from_service_error(exc, expression=[where]) from None


@action
def appointment_update(*, user, appointment: Appointment, current: dict, new: dict) -> None:
    """PUT/PATCH Appointment: only the status (and the cancellation reason) may change."""
    refuse_unknown(new, APPOINTMENT_WRITE, "Appointment")
    ignored = {"status", "cancelationReason", "meta", "text"}
    changed = {
        k for k in set(current) | set(new) if k not in ignored and current.get(k) != new.get(k)
    }
    if changed:
        raise FhirError(
            422,
            "Seul le statut d'un rendez-vous est modifiable (pour déplacer, "
            "annulez puis réservez un autre créneau).",
            expression=[f"Appointment.{sorted(changed)[0]}"],
        )
    status = new.get("status")
    if status == current.get("status"):
        return
    try:
        if status == "cancelled":
            reason = new.get("cancelationReason") or {}
            codings = reason.get("coding") or []
            if len(codings) > 1:
                raise FhirError(
                    422,
                    "Un seul code de motif d'annulation est conservé.",
                    expression=["Appointment.cancelationReason.coding[1]"],
                )
            text = reason.get("text") or (codings[0].get("display", "") if codings else "")
            scheduling.appointment_cancel(user=user, appointment=appointment, reason=text)
            if codings:
                # http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason or
                # the sender's own system: kept as sent.
                scheduling.appointment_interop_record(
                    actor=user,
                    appointment=appointment,
                    cancel_reason_system=(codings[0].get("system") or "")[:200],
                    cancel_reason_code=(codings[0].get("code") or "")[:50],
                    cancel_reason_display=(codings[0].get("display") or "")[:200],
                )
        elif status in ("fulfilled", "noshow"):
            scheduling.appointment_set_outcome(user=user, appointment=appointment, status=status)
        else:
            raise FhirError(
                409,
                f"Passage de « {current.get('status')} » à « {status} » impossible.",
                code="conflict",
                expression=["Appointment.status"],
            )
    except scheduling.BookingError as exc:
        # Every refusal here means the appointment's state forbids the change (409).
        raise from_service_error(exc, status=409, expression=["Appointment.status"]) from None
