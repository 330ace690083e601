"""Domain objects → FHIR R4 resources (plain dicts, checked against fhir.resources in tests).

For lists, mappers read only what the search queryset loaded (``resources.py`` holds the
select_related/prefetch each one expects), so a search page costs a constant number of
queries; for a single object a related list the state does not show is never loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise

from parcours.directory.models import HospitalService, Organisation, Practitioner, PractitionerRole
from parcours.patients.models import Patient
from parcours.referrals.models import Referral, ReferralAttachment, ReferralMessage
from parcours.referrals.workflow import AnswerKind, Kind, Status

from . import codes


@dataclass(frozen=True)
class Ctx:
    """Who is asking and the absolute base URL of the API (for fullUrl and attachment URLs)."""

    user: object
    base: str  # e.g. "http://127.0.0.1:8000/fhir/"


# --- the referral workflow seen as a Task (docs/fhir.md, "Task status") ---------------------

TASK_STATUS: dict[str, str] = {
    Status.SUBMITTED: "requested",
    Status.RECEIVED: "received",
    Status.ASSIGNED: "accepted",
    Status.INFO_REQUESTED: "on-hold",
    Status.ANSWERED: "in-progress",
    Status.TAKEN_IN_CHARGE: "completed",
    Status.DECLINED: "rejected",
    Status.CANCELLED: "cancelled",
}
BUSINESS_STATUS: dict[str, str] = {
    Status.SUBMITTED: "submitted",
    Status.RECEIVED: "received",
    Status.ASSIGNED: "assigned",
    Status.INFO_REQUESTED: "info-requested",
    Status.ANSWERED: "answered",
    Status.TAKEN_IN_CHARGE: "taken-in-charge",
    Status.DECLINED: "declined",
    Status.CANCELLED: "cancelled",
}
SERVICE_REQUEST_STATUS: dict[str, str] = {
    Status.SUBMITTED: "active",
    Status.RECEIVED: "active",
    Status.ASSIGNED: "active",
    Status.INFO_REQUESTED: "on-hold",
    Status.ANSWERED: "active",
    Status.TAKEN_IN_CHARGE: "completed",
    Status.DECLINED: "revoked",
    Status.CANCELLED: "revoked",
}
PATIENT_GENDER = {"F": "female", "M": "male", "I": "other"}
ORGANISATION_KIND_DISPLAY = dict(Organisation.Kind.choices)


def instant(value: datetime | None) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _clean(resource: dict) -> dict:
    """Drop empty elements: FHIR forbids empty strings, lists and objects."""
    return {k: v for k, v in resource.items() if v not in (None, "", [], {})}


def coding(system: str, code: str, display: str | Promise = "") -> dict:
    return _clean({"system": system, "code": code, "display": str(display) if display else ""})


def telecom(phone: str = "", email: str = "", *extra: dict) -> list[dict]:
    points = []
    if phone:
        points.append({"system": "phone", "value": phone, "use": "work"})
    if email:
        points.append({"system": "email", "value": email, "use": "work"})
    points.extend(extra)
    return points


def user_reference(user) -> dict | None:
    """A platform user as a Practitioner reference: the directory entry linked to the account
    when there is one, else the RPPS identifier, else just the name."""
    if user is None:
        return None
    ref: dict = {"display": user.display_name}
    practitioner = getattr(user, "practitioner", None) if _has_practitioner(user) else None
    if practitioner is not None:
        ref = {"reference": f"Practitioner/{practitioner.pk}", "type": "Practitioner", **ref}
    elif user.rpps:
        ref = {
            "type": "Practitioner",
            "identifier": {"system": codes.RPPS, "value": user.rpps},
            **ref,
        }
    return ref


def _has_practitioner(user) -> bool:
    try:
        return user.practitioner is not None
    except Practitioner.DoesNotExist:
        return False


def reference(resource_type: str, pk, display: str = "") -> dict:
    return _clean({"reference": f"{resource_type}/{pk}", "display": str(display)})


# --- directory ------------------------------------------------------------------------------


def idnst(org: Organisation) -> str:
    """The national structure identifier (IDNST, idNat_Struct of the ANS directory): the
    identifier type of TRE_G07 (1 = FINESS, 3 = SIRET) followed by the identifier; "" when the
    structure has neither."""
    if org.finess:
        return f"1{org.finess}"
    if org.siret:
        return f"3{org.siret}"
    return ""


def organization(org: Organisation, ctx: Ctx) -> dict:
    identifiers = []
    national = idnst(org)
    if national:
        identifiers.append(
            {
                "use": "official",
                "type": {
                    "coding": [
                        coding(
                            codes.FR_CORE_V2_0203, "IDNST", "Identification nationale de structure"
                        )
                    ]
                },
                "system": codes.ID_NAT_STRUCT,
                "value": national,
            }
        )
    if org.finess:
        identifiers.append(
            {
                "type": {"coding": [coding(codes.FR_CORE_V2_0203, "FINEG")]},
                "system": codes.FINESS,
                "value": org.finess,
            }
        )
    if org.siret:
        identifiers.append(
            {
                "type": {"coding": [coding(codes.FR_CORE_V2_0203, "SIRET")]},
                "system": codes.SIRET,
                "value": org.siret,
            }
        )
    address = _clean(
        {
            "line": [org.address] if org.address else [],
            "postalCode": org.postcode,
            "city": org.town,
            "country": "FR",
        }
    )
    return _clean(
        {
            "resourceType": "Organization",
            "id": str(org.pk),
            "identifier": identifiers,
            "active": org.active,
            "type": [
                {
                    "coding": [
                        coding(
                            codes.ORGANISATION_KIND,
                            org.kind,
                            ORGANISATION_KIND_DISPLAY.get(org.kind, ""),
                        )
                    ]
                }
            ],
            "name": org.name,
            "telecom": telecom(org.phone, org.email),
            "address": [address] if len(address) > 1 else [],
        }
    )


def healthcare_service(service: HospitalService, ctx: Ctx) -> dict:
    extra = []
    if service.senior_line:
        # The dedicated line to a senior doctor of the service (seed 003).
        extra.append(
            _clean({"system": "phone", "value": service.senior_line, "use": "work", "rank": 1})
        )
    return _clean(
        {
            "resourceType": "HealthcareService",
            "id": str(service.pk),
            "identifier": [{"system": codes.HEALTHCARE_SERVICE_ID, "value": str(service.pk)}],
            "active": service.accepts_requests,
            "providedBy": reference("Organization", service.hospital_id, service.hospital.name),
            "name": service.name,
            "specialty": [{"text": service.specialty}] if service.specialty else [],
            "comment": service.description,
            "telecom": telecom(service.phone, service.email, *extra),
            "availabilityExceptions": (
                f"Ligne senior : {service.senior_line_hours}" if service.senior_line_hours else ""
            ),
            "referralMethod": [
                {
                    "coding": [
                        coding(
                            "http://terminology.hl7.org/CodeSystem/service-referral-method",
                            "elec",
                            "Secure Messaging",
                        )
                    ]
                }
            ]
            if service.accepts_requests
            else [],
        }
    )


def profession_concept(code: str, label: str) -> dict:
    """A profession as the Annuaire codes it (ANS TRE_G15 code when imported) and its label."""
    return _clean(
        {"coding": [coding(codes.TRE_G15_PROFESSION, code, label)] if code else [], "text": label}
    )


def specialty_concept(code: str, label: str) -> dict:
    """A specialty: the ANS TRE_R38 code (ordinal specialties, codes S…) when imported, and
    its label."""
    coded = code.startswith("S")
    return _clean(
        {"coding": [coding(codes.TRE_R38_SPECIALTY, code, label)] if coded else [], "text": label}
    )


def practitioner(p: Practitioner, ctx: Ctx) -> dict:
    identifiers = []
    if p.rpps:
        identifiers.append({"system": codes.RPPS, "value": p.rpps})
        # idNatPs: "8" + RPPS (docs/standards.md)
        identifiers.append({"system": codes.ID_NAT_PS, "value": f"8{p.rpps}"})
    mssante = []
    if p.mssante:
        mssante.append({"system": "email", "value": p.mssante, "use": "work", "rank": 1})
    return _clean(
        {
            "resourceType": "Practitioner",
            "id": str(p.pk),
            "identifier": identifiers,
            "active": p.active,
            "name": [
                _clean(
                    {
                        "use": "official",
                        "family": p.last_name,
                        "given": [p.first_name] if p.first_name else [],
                        "prefix": [p.title] if p.title else [],
                    }
                )
            ],
            # Local contact modalities first, else the national directory's (models.py).
            "telecom": telecom(p.contact_phone, p.contact_email, *mssante),
            "qualification": [{"code": profession_concept(p.profession_code, p.profession)}]
            if p.profession
            else [],
        }
    )


def practitioner_role(role: PractitionerRole, ctx: Ctx) -> dict:
    p = role.practitioner
    return _clean(
        {
            "resourceType": "PractitionerRole",
            "id": str(role.pk),
            "active": role.active,
            "practitioner": reference("Practitioner", p.pk, str(p)),
            "organization": reference("Organization", role.organisation_id, role.organisation.name),
            "healthcareService": [
                reference("HealthcareService", role.service_id, role.service.name)
            ]
            if role.service
            else [],
            "code": [
                c
                for c in (
                    profession_concept(role.profession_code, role.profession)
                    if role.profession
                    else None,
                    {"text": role.function} if role.function else None,
                )
                if c
            ],
            "specialty": [
                specialty_concept(
                    role.specialty_code if role.specialty else p.specialty_code,
                    role.specialty or p.specialty,
                )
            ]
            if (role.specialty or p.specialty)
            else [],
            "telecom": telecom(role.phone, role.email),
            "availabilityExceptions": p.contact_hours,
        }
    )


# --- patients -------------------------------------------------------------------------------


def ins_system(nir: str, kind: str = "") -> tuple[str, str]:
    """(system, FR Core identifier type) of an INS matricule: NIA when stored as such (or, for
    rows without a kind, when it starts with 7 or 8)."""
    if kind == "NIA" or (not kind and nir[:1] in {"7", "8"}):
        return codes.INS_NIA, "INS-NIA"
    return codes.INS_NIR, "INS-NIR"


MATCH_GRADE = "http://hl7.org/fhir/StructureDefinition/match-grade"
STATUS_DISPLAY = {
    "PROV": "Identité provisoire",
    "VALI": "Identité validée",
    "RECUP": "Identité récupérée",
    "QUAL": "Identité qualifiée",
}
# Our identity documents (patients.services.IDENTITY_DOCUMENTS) → FR Core validationMode.
VALIDATION_MODE = {
    "CNI": ("CN", "Carte nationale d'identité"),
    "PASSEPORT": ("PA", "Passeport"),
    "TITRE_SEJOUR": ("CS", "Carte de séjour"),
    "LIVRET_FAMILLE": ("LE", "Livret de famille"),
    "ACTE_NAISSANCE": ("AN", "Extrait d'acte de naissance"),
}


def identity_reliability(p: Patient) -> dict:
    """FR Core fr-core-identity-reliability: the RNIV status (identityStatus, code system
    fr-core-cs-identity-status), and for a validated or qualified identity the document
    checked (validationMode) and the day (validationDate)."""
    subs = [
        {
            "url": "identityStatus",
            "valueCoding": coding(
                codes.IDENTITY_STATUS_SYSTEM,
                p.identity_status,
                STATUS_DISPLAY.get(p.identity_status, ""),
            ),
        }
    ]
    if p.identity_status in ("VALI", "QUAL") and p.status_changed_at:
        subs.append(
            {
                "url": "validationDate",
                "valueDate": timezone.localtime(p.status_changed_at).date().isoformat(),
            }
        )
    mode = VALIDATION_MODE.get(p.status_document)
    if p.identity_status in ("VALI", "QUAL") and mode:
        subs.append(
            {"url": "validationMode", "valueCoding": coding(codes.IDENTITY_VALIDATION_MODE, *mode)}
        )
    return {"url": codes.FR_CORE_IDENTITY_RELIABILITY, "extension": subs}


def patient(p: Patient, ctx: Ctx) -> dict:
    identifiers: list[dict[str, Any]] = [
        {"use": "secondary", "system": codes.PATIENT_ID, "value": str(p.pk)}
    ]
    if p.ins_nir:
        system, type_code = ins_system(p.ins_nir, p.ins_kind)
        identifiers.insert(
            0,
            {
                "use": "official",
                "type": {"coding": [coding(codes.FR_CORE_V2_0203, type_code)]},
                "system": system,
                "value": p.ins_nir,
            },
        )
    # Local numbers (each hospital's IPP, each network's file number), with who assigned them.
    for ident in p.local_identifiers.all():
        identifiers.append(
            _clean(
                {
                    "use": "usual" if ident.kind != "INS" else "old",
                    "type": {"coding": [coding(codes.FR_CORE_V2_0203, "PI")]}
                    if ident.kind == "IPP"
                    else None,
                    "system": ident.system,
                    "value": ident.value,
                    "assigner": reference(
                        "Organization", ident.organisation_id, ident.organisation.name
                    )
                    if ident.organisation
                    else None,
                }
            )
        )
    # FR Core: the first birth given name in ``given``, the whole list ("PIERRE YVES") in the
    # birth-list-given-name extension, never cut.
    names = [
        _clean(
            {
                "use": "official",
                "family": p.birth_name,
                "given": [p.first_given_name] if p.first_given_name else [],
                "extension": [
                    {"url": codes.BIRTH_LIST_GIVEN_NAME, "valueString": p.birth_given_names}
                ]
                if p.birth_given_names
                else [],
            }
        )
    ]
    if p.used_name or p.used_first_name:
        names.append(
            _clean(
                {
                    "use": "usual",
                    "family": p.used_name or p.birth_name,
                    "given": [p.used_first_name] if p.used_first_name else [],
                }
            )
        )
    extensions = [identity_reliability(p)]
    if p.birthplace_insee or p.birthplace_city or p.birthplace_country:
        extensions.append(
            {
                "url": codes.BIRTH_PLACE,
                "valueAddress": _clean(
                    {
                        "extension": [
                            {
                                "url": codes.FR_CORE_INSEE_CODE,
                                "valueCoding": coding(codes.COG_COMMUNES, p.birthplace_insee),
                            }
                        ]
                        if p.birthplace_insee
                        else [],
                        "city": p.birthplace_city,
                        "country": p.birthplace_country,
                    }
                ),
            }
        )
    # A merged identity points to the one that replaced it; the survivor lists what it
    # replaces (http://hl7.org/fhir/link-type).
    links = []
    if p.merged_into_id:
        links.append({"other": reference("Patient", p.merged_into_id), "type": "replaced-by"})
    for old in p.merged_from.all():
        links.append({"other": reference("Patient", old.pk), "type": "replaces"})
    return _clean(
        {
            "resourceType": "Patient",
            "id": str(p.pk),
            "extension": extensions,
            "identifier": identifiers,
            "active": p.merged_into_id is None,
            "name": names,
            "telecom": [_clean({"system": "phone", "value": p.phone, "use": p.phone_use})]
            if p.phone
            else [],
            "gender": PATIENT_GENDER.get(p.sex, "unknown"),
            "birthDate": day(p.birth_date),
            "address": [
                _clean(
                    {
                        "use": p.address_use or "home",
                        "line": [p.address_line] if p.address_line else [],
                        "postalCode": p.postcode,
                        "city": p.town,
                        "country": p.address_country,
                    }
                )
            ]
            if p.address_line or p.postcode or p.town
            else [],
            "link": links,
        }
    )


# --- referrals ------------------------------------------------------------------------------


def _binary_url(att: ReferralAttachment, ctx: Ctx) -> str:
    return f"{ctx.base}Binary/{att.pk}"


def attachment(att: ReferralAttachment, ctx: Ctx) -> dict:
    return {
        "contentType": att.content_type,
        "url": _binary_url(att, ctx),
        "size": att.size,
        "title": att.name,
        "creation": instant(att.uploaded_at),
    }


def _last_updated(r: Referral) -> str | None:
    return instant(getattr(r, "last_event_at", None) or r.submitted_at)


def service_request(r: Referral, ctx: Ctx) -> dict:
    kind = Kind(r.kind)
    request_files = [a for a in r.attachments.all() if a.part == ReferralAttachment.Part.REQUEST]
    contained = [
        {
            "resourceType": "DocumentReference",
            "id": f"att{a.pk}",
            "status": "current",
            "description": a.name,
            "content": [{"attachment": attachment(a, ctx)}],
        }
        for a in request_files
    ]
    occurrence = _clean({"start": day(r.wished_from), "end": day(r.wished_until)})
    identifiers = [{"system": codes.REFERRAL_ID, "value": r.reference}]
    if r.identifier_value:
        identifiers.append(_clean({"system": r.identifier_system, "value": r.identifier_value}))
    sent = r.occurrence or {}
    return _clean(
        {
            "resourceType": "ServiceRequest",
            "id": str(r.pk),
            "meta": {"lastUpdated": _last_updated(r)},
            "contained": contained,
            "identifier": identifiers,
            "status": SERVICE_REQUEST_STATUS[r.status],
            "intent": "order",
            "category": [{"coding": [coding(codes.REFERRAL_CATEGORY, kind.value, kind.label)]}],
            "priority": "urgent",  # semi-urgent requests: answer expected within 48 h
            "subject": reference("Patient", r.patient_id, r.patient.display_name),
            "code": r.code or None,
            # The occurrence as the sender gave it (with its times), else the wished days.
            "occurrenceDateTime": sent.get("occurrenceDateTime"),
            "occurrencePeriod": sent.get("occurrencePeriod")
            or (None if "occurrenceDateTime" in sent else occurrence),
            "authoredOn": instant(r.submitted_at),
            "requester": user_reference(r.author),
            "performer": [reference("HealthcareService", r.service_id, r.service.name)],
            "reasonCode": [_clean({"coding": r.reason_codings, "text": r.question})],
            "note": [{"text": r.context}] if r.context else [],
            "supportingInfo": [
                {"reference": f"#att{a.pk}", "type": "DocumentReference"} for a in request_files
            ],
        }
    )


def _status_reason(r: Referral) -> str:
    if r.status in (Status.DECLINED, Status.CANCELLED):
        return r.close_reason
    if r.status == Status.INFO_REQUESTED:
        events = getattr(r, "info_events", None)
        if events is None:
            events = list(r.events.filter(action="info_requested").order_by("-at", "-id")[:1])
        return events[0].reason if events else ""
    return ""


def task(r: Referral, ctx: Ctx) -> dict:
    outputs: list[dict[str, Any]] = []
    if r.status in (Status.ANSWERED, Status.TAKEN_IN_CHARGE) and r.answer_kind:
        outputs.append(
            {
                "type": {"coding": [coding(codes.TASK_OUTPUT_TYPE, "answer-kind")]},
                "valueCoding": coding(
                    codes.ANSWER_KIND, r.answer_kind, AnswerKind(r.answer_kind).label
                ),
            }
        )
        outputs.append(
            {
                "type": {"coding": [coding(codes.TASK_OUTPUT_TYPE, "answer")]},
                "valueString": r.answer_text,
            }
        )
        if r.answer_date:
            outputs.append(
                {
                    "type": {"coding": [coding(codes.TASK_OUTPUT_TYPE, "proposed-date")]},
                    "valueDateTime": instant(r.answer_date),
                }
            )
        for a in r.attachments.all():
            if a.part == ReferralAttachment.Part.ANSWER:
                outputs.append(
                    {
                        "type": {"coding": [coding(codes.TASK_OUTPUT_TYPE, "attachment")]},
                        "valueAttachment": attachment(a, ctx),
                    }
                )
    if r.assigned_to_id:
        owner = user_reference(r.assigned_to)
    else:
        owner = reference("HealthcareService", r.service_id, r.service.name)
    reason = _status_reason(r)
    business = BUSINESS_STATUS[r.status]
    return _clean(
        {
            "resourceType": "Task",
            "id": str(r.pk),
            "meta": {"lastUpdated": _last_updated(r)},
            "identifier": [{"system": codes.REFERRAL_ID, "value": r.reference}],
            "basedOn": [reference("ServiceRequest", r.pk)],
            "status": TASK_STATUS[r.status],
            "statusReason": {"text": reason} if reason else None,
            "businessStatus": {
                "coding": [coding(codes.TASK_BUSINESS_STATUS, business, Status(r.status).label)]
            },
            "intent": "order",
            "priority": "urgent",
            "code": {"coding": [coding(codes.TASK_CODE, "fulfill", "Fulfill the focal request")]},
            "focus": reference("ServiceRequest", r.pk),
            "for": reference("Patient", r.patient_id, r.patient.display_name),
            "authoredOn": instant(r.submitted_at),
            "lastModified": _last_updated(r),
            "requester": user_reference(r.author),
            "owner": owner,
            "restriction": {"period": {"end": instant(r.due_at)}},
            "output": outputs,
        }
    )


def communication(m: ReferralMessage, ctx: Ctx) -> dict:
    r = m.referral
    payload: list[dict[str, Any]] = [{"contentString": m.body}]
    payload += [{"contentAttachment": attachment(a, ctx)} for a in m.attachments.all()]
    return _clean(
        {
            "resourceType": "Communication",
            "id": str(m.pk),
            "basedOn": [reference("ServiceRequest", r.pk)],
            "partOf": [reference("Task", r.pk)],
            "status": "completed",
            "subject": reference("Patient", r.patient_id),
            "sent": instant(m.created_at),
            "sender": user_reference(m.author),
            "payload": payload,
        }
    )


def binary(att: ReferralAttachment, data_b64: str) -> dict:
    return {
        "resourceType": "Binary",
        "id": str(att.pk),
        "contentType": att.content_type,
        "data": data_b64,
    }
