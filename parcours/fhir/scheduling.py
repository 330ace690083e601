"""Shared agendas over FHIR: Schedule, Slot and Appointment, shaped after the ANS shared-agenda
guide (ans.fhir.fr.gap 3.0.0, which uses the FR Core Schedule/Slot/Appointment profiles).

Booking is ``POST Appointment`` naming one free Slot and the Patient; cancelling is a status
update (PUT or PATCH to ``cancelled``); the schedule's staff record ``fulfilled`` / ``noshow``.
Everything goes through ``parcours.scheduling.services``, the same functions as the pages.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

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
    actors.append(reference("Organization", s.organisation_id, s.organisation.name))
    return actors


def schedule(s: Schedule, ctx: Ctx) -> dict:
    today = timezone.localdate()
    return _clean(
        {
            "resourceType": "Schedule",
            "id": str(s.pk),
            "meta": {"profile": [f"{FR_CORE}fr-core-schedule"]},
            "active": s.active,
            "serviceType": [_act_concept(a) for a in s.acts.all()],
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
    participants = [
        {
            "actor": reference("Patient", a.patient_id, a.patient.display_name),
            "required": "required",
            "status": "accepted",
        },
        {
            "actor": user_reference(a.prescriber),
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
    return _clean(
        {
            "resourceType": "Appointment",
            "id": str(a.pk),
            "meta": {"profile": [f"{FR_CORE}fr-core-appointment"]},
            "identifier": [{"system": APPOINTMENT_ID, "value": a.reference}],
            "status": APPOINTMENT_STATUS[a.status],
            "cancelationReason": {"text": a.cancel_reason} if a.cancel_reason else None,
            "serviceType": [_act_concept(a.slot.act)],
            "reasonCode": [{"text": a.urgent_reason}] if a.urgent_reason else [],
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


def _service_type_param(field: str) -> SearchParam:
    """service-type=[system|]code: the act id in our act system, or the act name."""

    def apply(qs, values, modifier):
        def one(value):
            system, code = token(value)
            if system == ACT_SYSTEM:
                return Q(**{f"{field}_id": code}) if is_id(code) else Q(pk__in=[])
            if system:
                return Q(pk__in=[])
            return (
                Q(**{f"{field}_id": code}) if is_id(code) else Q(**{f"{field}__name__iexact": code})
            )

        return qs.filter(any_of(values, one))

    return SearchParam("token", "the act: its code in the act system, or its name", apply)


def _actor_param() -> SearchParam:
    def apply(qs, values, modifier):
        condition = Q(pk__in=[])
        for v in values:
            kind, _, pk = v.partition("/")
            if not is_id(pk):
                continue
            if kind == "HealthcareService":
                condition |= Q(service_id=pk)
            elif kind == "Organization":
                condition |= Q(organisation_id=pk)
            elif kind == "Practitioner":
                condition |= Q(practitioner__practitioner__pk=pk)
        return qs.filter(condition)

    return SearchParam(
        "reference", "HealthcareService/id, Organization/id or Practitioner/id", apply
    )


def _inverse(mapping: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for db, code in mapping.items():
        out.setdefault(code, []).append(str(db))
    return out


def _schedule_act(value: str) -> Q:
    system, code = token(value)
    if system not in (None, "", ACT_SYSTEM):
        return Q(pk__in=[])
    if is_id(code):
        return Q(acts__pk=code)
    return Q(pk__in=[]) if system else Q(acts__name__iexact=code)


SCHEDULE_SEARCH = {
    "_id": id_param(),
    "actor": _actor_param(),
    "service-type": SearchParam(
        "token",
        "an act of the schedule (code or name)",
        lambda qs, values, m: qs.filter(any_of(values, _schedule_act)).distinct(),
    ),
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
    "service-type": _service_type_param("act"),
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


@action
def appointment_create(*, user, body: dict) -> Appointment:
    """POST Appointment: book the one Slot it names for the Patient it names."""
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
            return scheduling.slot_book_for_referral(
                user=user, slot=slot, referral=referral, note=note
            )
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
        return scheduling.slot_book(
            user=user,
            slot=slot,
            patient=patient,
            referral=referral,
            note=note,
            urgent_reason=urgent_reason,
        )
    except scheduling.BookingError as exc:
        # A conflict points at the slot someone else took; a refusal at the appointment.
        where = "Appointment.slot" if error_kind(exc) == CONFLICT else "Appointment"
        raise from_service_error(exc, expression=[where]) from None


@action
def appointment_update(*, user, appointment: Appointment, current: dict, new: dict) -> None:
    """PUT/PATCH Appointment: only the status (and the cancellation reason) may change."""
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
            scheduling.appointment_cancel(
                user=user,
                appointment=appointment,
                reason=(new.get("cancelationReason") or {}).get("text", ""),
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
