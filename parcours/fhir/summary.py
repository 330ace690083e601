"""A hospital record summary pushed as a FHIR transaction Bundle (``POST /fhir``), or read
from a file by ``parcours import-summary``: Bundle → checked item dicts → one service call.

Accepted entries: one Patient (identified by an INS matricule or a local identifier — the
sender's IPP) and Encounter, Condition, AllergyIntolerance, MedicationStatement,
DocumentReference whose subject/patient refers to it. Anything malformed is refused before
anything is written: a structural error is a 400, a business rule a 422, both as
OperationOutcome.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime

from parcours.accounts.models import Membership
from parcours.lib.actions import action
from parcours.lib.identity import CERTAIN, Identity, compare
from parcours.lib.ins import ins_kind
from parcours.lib.text import ins_form, is_id
from parcours.patients.access import patient_queryset_for
from parcours.patients.matching import identity_of
from parcours.patients.models import HospitalRecordItem, Patient, PatientIdentifier
from parcours.patients.record import hospital_summary_import
from parcours.patients.services import patient_resolve

from . import codes
from .errors import FhirError, from_service_error
from .parse import GENDER_TO_SEX, _patient_form_data, validate_structure
from .summary_items import location as record_location

ITEM_TYPES = {
    "Encounter": "stay",
    "Condition": "problem",
    "AllergyIntolerance": "allergy",
    "MedicationStatement": "treatment",
    "DocumentReference": "document",
}
SOURCE_KINDS = ("hospital", "network")


def _err(status: int, message: str, where: str) -> FhirError:
    return FhirError(status, message, expression=[where])


def _text(concept) -> str:
    if not concept:
        return ""
    if isinstance(concept, list):
        return next((t for t in (_text(c) for c in concept) if t), "")
    if concept.get("text"):
        return concept["text"]
    for c in concept.get("coding") or []:
        if c.get("display") or c.get("code"):
            return c.get("display") or c["code"]
    return ""


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    tz = ZoneInfo(settings.TIME_ZONE)
    if len(value) == 10:
        return datetime.combine(datetime.fromisoformat(value).date(), time(), tz)
    if len(value) < 10:  # year or year-month precision: the first day
        parts = (value + "-01-01")[:10]
        return datetime.combine(datetime.fromisoformat(parts).date(), time(), tz)
    parsed = parse_datetime(value)
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def _item(resource: dict, where: str) -> dict:
    rtype = resource["resourceType"]
    r = resource
    period = r.get("effectivePeriod") or r.get("period") or {}
    if rtype == "Encounter":
        title = (
            _text(r.get("type"))
            or _text(r.get("serviceType"))
            or (r.get("class") or {}).get("display")
            or "Séjour"
        )
        date, end = period.get("start"), period.get("end")
        detail = _text(r.get("reasonCode")) or _text(
            (r.get("hospitalization") or {}).get("dischargeDisposition")
        )
        status = r.get("status", "")
    elif rtype == "Condition":
        title, date, end = (
            _text(r.get("code")),
            r.get("onsetDateTime") or r.get("recordedDate"),
            r.get("abatementDateTime"),
        )
        detail = " ".join(n.get("text", "") for n in r.get("note") or [])
        status = next(
            (c.get("code", "") for c in (r.get("clinicalStatus") or {}).get("coding") or []), ""
        )
    elif rtype == "AllergyIntolerance":
        title, date, end = (
            _text(r.get("code")),
            r.get("recordedDate") or r.get("onsetDateTime"),
            None,
        )
        detail = ", ".join(
            _text(m) for rx in r.get("reaction") or [] for m in rx.get("manifestation") or []
        )
        status = r.get("criticality", "")
    elif rtype == "MedicationStatement":
        title = _text(r.get("medicationCodeableConcept")) or (
            (r.get("medicationReference") or {}).get("display", "")
        )
        date = r.get("effectiveDateTime") or period.get("start") or r.get("dateAsserted")
        end = period.get("end")
        detail = " ; ".join(d.get("text", "") for d in r.get("dosage") or [] if d.get("text"))
        status = r.get("status", "")
    else:  # DocumentReference
        content = (r.get("content") or [{}])[0].get("attachment") or {}
        title = r.get("description") or _text(r.get("type")) or content.get("title", "")
        date = r.get("date") or ((r.get("context") or {}).get("period") or {}).get("start")
        end, detail, status = None, content.get("url", ""), r.get("status", "")
    if not title:
        raise _err(422, f"{rtype} : libellé manquant (code.text ou coding.display).", where)
    start = _when(date)
    if start is None:
        raise _err(422, f"{rtype} : date manquante ou invalide (chaque élément est daté).", where)
    external = r.get("id") or next(
        (i.get("value") for i in r.get("identifier") or [] if i.get("value")), ""
    )
    if not external:
        raise _err(422, f"{rtype} : id ou identifier requis (pour les mises à jour).", where)
    return {
        "kind": ITEM_TYPES[rtype],
        "external_id": external,
        "title": title,
        "detail": detail,
        "status": status,
        "date": start,
        "end": _when(end),
        "resource": resource,
    }


def _source(user, bundle: dict):
    orgs = {
        m.organisation_id: m.organisation
        for m in Membership.objects.filter(
            user=user, organisation__kind__in=SOURCE_KINDS
        ).select_related("organisation")
    }
    if not orgs:
        raise FhirError(
            403, "Seul un établissement ou un réseau de santé peut envoyer une synthèse de dossier."
        )
    wanted = ((bundle.get("meta") or {}).get("source") or "").rstrip("/")
    if wanted:
        oid = wanted.rsplit("/", 1)[-1]
        if not is_id(oid) or int(oid) not in orgs:
            raise _err(
                422,
                "meta.source doit désigner une de vos organisations (Organization/id).",
                "Bundle.meta.source",
            )
        return orgs[int(oid)]
    if len(orgs) > 1:
        raise _err(
            422,
            "Vous appartenez à plusieurs organisations : précisez l'émettrice "
            "dans meta.source (Organization/id).",
            "Bundle.meta.source",
        )
    return next(iter(orgs.values()))


def _resolve_patient(user, source, resource: dict, where: str):
    """(patient, new local identifiers). The sender may push for a patient it may already
    see, one it knows under its own local number, or one it identifies by INS matricule with
    the same traits (as creating the identity would find it); else the same 422 as unknown."""
    found, local = set(), []
    own_number = False
    ins_value = ""
    for ident in resource.get("identifier") or []:
        system, value = ident.get("system") or "", (ident.get("value") or "").strip()
        if not system or not value:
            continue
        if system in codes.INS_SYSTEMS:
            ins_value = "".join(value.split()).upper()
            found |= set(Patient.objects.filter(ins_nir=ins_value).values_list("pk", flat=True))
            continue
        known = PatientIdentifier.objects.filter(system=system, value=value).first()
        if known is None:
            local.append((system, value))
        else:
            found.add(known.patient_id)
            own_number = own_number or known.organisation_id == source.pk
    patients = {
        patient_resolve(p).pk: patient_resolve(p) for p in Patient.objects.filter(pk__in=found)
    }
    unknown = FhirError(
        422,
        "Patient introuvable (ou hors de votre périmètre) : identifiez-le "
        "par son matricule INS ou votre identifiant local connu.",
        code="not-found",
        expression=[where],
    )
    if len(patients) != 1:
        if len(patients) > 1:
            raise _err(
                422,
                "Les identifiants du patient désignent plusieurs identités : "
                "contactez l'identitovigilance.",
                where,
            )
        raise unknown
    patient = next(iter(patients.values()))
    if own_number or patient_queryset_for(user).filter(pk=patient.pk).exists():
        return patient, local
    if ins_value:
        data = _patient_form_data(resource)
        born = _when(resource.get("birthDate"))
        query = Identity(
            birth_name=ins_form(data["birth_name"]),
            given_names=ins_form(data["birth_given_names"]),
            birth_date=born.date() if born else None,
            sex=GENDER_TO_SEX.get(resource.get("gender", ""), ""),
            birthplace=data["birthplace_insee"],
            ins=ins_value,
            ins_kind=ins_kind(ins_value),
        )
        traits = identity_of(patient)
        same_traits = compare(
            Identity(**{**query.__dict__, "ins": ""}), Identity(**{**traits.__dict__, "ins": ""})
        )
        if same_traits.grade == CERTAIN or (
            query.birth_name == traits.birth_name
            and query.birth_date == traits.birth_date
            and query.sex == traits.sex
            and query.given_names.split()[:1] == traits.given_names.split()[:1]
        ):
            return patient, local
    raise unknown


@action
def import_bundle(*, user, bundle, channel: str = "api"):
    """Check a transaction Bundle and store its summary. Returns (import, response entries)."""
    bundle = validate_structure(bundle, "Bundle")
    if bundle.get("type") != "transaction":
        raise _err(
            422, "Seuls les Bundle de type « transaction » sont acceptés ici.", "Bundle.type"
        )
    entries = bundle.get("entry") or []
    source = _source(user, bundle)
    patient_entries = [
        (i, e)
        for i, e in enumerate(entries)
        if (e.get("resource") or {}).get("resourceType") == "Patient"
    ]
    if len(patient_entries) != 1:
        raise _err(422, "Le Bundle doit contenir exactement une ressource Patient.", "Bundle.entry")
    p_index, p_entry = patient_entries[0]
    where = f"Bundle.entry[{p_index}].resource"
    patient, local = _resolve_patient(user, source, p_entry["resource"], where)
    aliases = {
        p_entry.get("fullUrl"),
        f"Patient/{p_entry['resource'].get('id')}",
        f"Patient/{patient.pk}",
    } - {None, "Patient/None"}
    items, responses = [], []
    for i, entry in enumerate(entries):
        resource = entry.get("resource") or {}
        rtype = resource.get("resourceType")
        where = f"Bundle.entry[{i}]"
        if rtype == "Patient":
            responses.append(
                {"response": {"status": "200 OK", "location": f"Patient/{patient.pk}"}}
            )
            continue
        if rtype not in ITEM_TYPES:
            raise _err(
                422, f"Type de ressource non accepté dans une synthèse : « {rtype} ».", where
            )
        method = (entry.get("request") or {}).get("method")
        if method not in ("POST", "PUT"):
            raise _err(422, "request.method doit être POST ou PUT.", f"{where}.request")
        ref = (resource.get("subject") or resource.get("patient") or {}).get("reference")
        if ref not in aliases:
            raise _err(
                422, "subject/patient doit désigner le Patient du Bundle.", f"{where}.resource"
            )
        items.append(_item(resource, f"{where}.resource"))
        responses.append({"response": {}})
    if not items:
        raise _err(422, "Aucun élément de dossier dans le Bundle.", "Bundle.entry")
    # Re-sending an item (same source, kind, id) updates it: 200, else 201 (FHIR R4
    # transaction-response, http.html#transaction-response); both with the location to read.
    keys = [(item["kind"], item["external_id"][:100]) for item in items]
    known = set(
        HospitalRecordItem.objects.filter(
            source=source, external_id__in=[k[1] for k in keys]
        ).values_list("kind", "external_id")
    )
    try:
        received = hospital_summary_import(
            actor=user,
            source=source,
            patient=patient,
            items=items,
            identifiers=local,
            channel=channel,
            bundle_id=bundle.get("id") or "",
        )
    except ValidationError as exc:
        raise from_service_error(exc, field_paths={"identifier": "Patient.identifier"}) from None
    stored = {
        (i.kind, i.external_id): i
        for i in HospitalRecordItem.objects.filter(
            source=source, external_id__in=[k[1] for k in keys]
        )
    }
    pending = iter(keys)
    for entry in responses:
        if entry["response"]:
            continue  # the Patient's
        key = next(pending)
        entry["response"] = {
            "status": "200 OK" if key in known else "201 Created",
            "location": record_location(stored[key]),
        }
    return received, responses
