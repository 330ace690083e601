"""FHIR resources → keyword arguments of the domain services.

The body is first checked against the fhir.resources R4B model (a structural error is a 400);
the fields are then read from the plain JSON. Business rules stay in the services: a refusal
from them is a 422 pointing at the FHIR element the field came from.
"""

from __future__ import annotations

import base64
import binascii
import copy
from datetime import date
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.dateparse import parse_datetime
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError as PydanticValidationError

from parcours.accounts.models import User
from parcours.directory.models import HospitalService, Practitioner, PractitionerRole
from parcours.patients.forms import PatientForm
from parcours.referrals.forms import MessageForm, ReferralForm
from parcours.referrals.workflow import Kind

from . import codes
from .errors import FhirError
from .search import reference_id

# http://hl7.org/fhir/ValueSet/request-intent (fhir.resources checks the code's syntax only)
REQUEST_INTENTS = {
    "proposal",
    "plan",
    "directive",
    "order",
    "original-order",
    "reflex-order",
    "filler-order",
    "instance-order",
    "option",
}
GENDER_TO_SEX = {"female": "F", "male": "M", "other": "I"}

PATIENT_FIELDS = {
    "birth_name": "Patient.name.family",
    "birth_given_names": "Patient.name.given",
    "birth_date": "Patient.birthDate",
    "sex": "Patient.gender",
    "birthplace_insee": "Patient.extension",
    "ins_nir": "Patient.identifier",
    "used_name": "Patient.name",
    "used_first_name": "Patient.name",
    "phone": "Patient.telecom",
}
SERVICE_REQUEST_FIELDS = {
    "kind": "ServiceRequest.category",
    "question": "ServiceRequest.reasonCode",
    "service": "ServiceRequest.performer",
    "wished_until": "ServiceRequest.occurrencePeriod",
    "wished_from": "ServiceRequest.occurrencePeriod",
    "files": "ServiceRequest.contained",
}
TASK_FIELDS = {
    "answer_kind": "Task.output",
    "text": "Task.output",
    "proposed_at": "Task.output",
    "doctor": "Task.owner",
    "service": "Task.owner",
    "reason": "Task.statusReason",
    "question": "Task.statusReason",
    "body": "Task.note",
    "files": "Task.output",
}
COMMUNICATION_FIELDS = {"body": "Communication.payload", "files": "Communication.payload"}


def validate_structure(body, resource_type: str) -> dict:
    if not isinstance(body, dict):
        raise FhirError(400, "Le corps de la requête doit être une ressource FHIR (objet JSON).")
    if body.get("resourceType") != resource_type:
        raise FhirError(
            400,
            f"resourceType attendu : {resource_type}.",
            expression=[f"{resource_type}.resourceType"],
        )
    try:
        get_fhir_model_class(resource_type).model_validate(body)
    except PydanticValidationError as exc:
        issues = [
            {
                "severity": "error",
                "code": "structure",
                "diagnostics": f"{'.'.join(str(p) for p in err['loc'])} : {err['msg']}",
                "expression": [
                    ".".join(
                        [resource_type, *(str(p) for p in err["loc"] if not isinstance(p, int))]
                    )
                ],
            }
            for err in exc.errors()[:20]
        ]
        raise FhirError(400, "Ressource FHIR invalide.", issues=issues) from None
    return body


def check_length(value: str, form_class, field: str, expression: str) -> str:
    """Refuse a text longer than the web form accepts for the same field (422)."""
    limit = form_class.base_fields[field].max_length
    if limit and len(value or "") > limit:
        raise FhirError(
            422, f"Texte trop long : {limit} caractères au plus.", expression=[expression]
        )
    return value


def form_error(form, field_paths: dict[str, str]) -> FhirError:
    """A web form's errors as a 422 OperationOutcome, one issue per message."""
    issues = []
    for field, messages in form.errors.items():
        for message in messages:
            issue = {"severity": "error", "code": "business-rule", "diagnostics": message}
            if field in field_paths:
                issue["expression"] = [field_paths[field]]
            issues.append(issue)
    return FhirError(422, "; ".join(i["diagnostics"] for i in issues), issues=issues)


def _text_of(concept: dict | None) -> str:
    if not concept:
        return ""
    if concept.get("text"):
        return concept["text"]
    for c in concept.get("coding", []):
        if c.get("display"):
            return c["display"]
    return ""


def _ref_id(ref: dict | None, resource_type: str) -> str | None:
    if not ref or not ref.get("reference"):
        return None
    return reference_id(ref["reference"], resource_type)


def _decode(data: str, what: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise FhirError(400, f"{what} : données base64 invalides.") from None


def attachment_file(att: dict, where: str) -> SimpleUploadedFile:
    """A FHIR Attachment with inline data → an upload for the services' file checks."""
    if not att.get("data"):
        raise FhirError(
            422,
            "Seules les pièces jointes transmises en ligne (data) sont acceptées.",
            expression=[where],
        )
    content = _decode(att["data"], where)
    name = att.get("title") or "piece-jointe"
    return SimpleUploadedFile(name, content, content_type=att.get("contentType") or "")


# --- Patient ----------------------------------------------------------------------------------

# The elements of a Patient a creation stores (issue 21: any other is a 422 naming it).
PATIENT_WRITE = {
    "resourceType",
    "id",
    "meta",
    "text",
    "extension",
    "identifier",
    "active",
    "name",
    "telecom",
    "gender",
    "birthDate",
    "address",
}
PATIENT_EXTENSIONS = {
    codes.FR_CORE_IDENTITY_RELIABILITY,
    codes.BIRTH_PLACE,
    codes.BIRTH_LIST_GIVEN_NAME,
}
# FR Core validationMode → our identity documents (patients.services.IDENTITY_DOCUMENTS).
DOCUMENT_OF_MODE = {
    "CN": "CNI",
    "PA": "PASSEPORT",
    "CS": "TITRE_SEJOUR",
    "LE": "LIVRET_FAMILLE",
    "AN": "ACTE_NAISSANCE",
}


def patient_interop(body: dict) -> tuple[dict, str, str]:
    """What a Patient carries besides the form's fields, checked: (the fields of
    ``patient_interop_record``, the identity status asked — "" or PROV/VALI —, the identity
    document of a VALI). Refused with a 422 naming the element: any element outside
    ``PATIENT_WRITE``, an unknown extension, a second phone, an e-mail or a second address
    (the platform keeps one of each), an identity status RECUP or QUAL (they need the
    platform's own INSi call, RNIV), a VALI without its validationMode."""
    refuse_unknown(body, PATIENT_WRITE, "Patient")
    if body.get("active") is False:
        raise FhirError(422, "Un patient se crée actif.", expression=["Patient.active"])
    fields: dict[str, str] = {}
    status, document = "", ""
    for i, ext in enumerate(body.get("extension") or []):
        where = f"Patient.extension[{i}]"
        if ext.get("url") not in PATIENT_EXTENSIONS:
            raise FhirError(
                422, f"Extension non prise en charge : « {ext.get('url')} ».", expression=[where]
            )
        if ext["url"] == codes.BIRTH_PLACE:
            place = ext.get("valueAddress") or {}
            fields["birthplace_city"] = (place.get("city") or "")[:100]
            fields["birthplace_country"] = (place.get("country") or "")[:10]
        if ext["url"] == codes.FR_CORE_IDENTITY_RELIABILITY:
            subs = {e.get("url"): e for e in ext.get("extension") or []}
            status = ((subs.get("identityStatus") or {}).get("valueCoding") or {}).get("code", "")
            mode = ((subs.get("validationMode") or {}).get("valueCoding") or {}).get("code", "")
            if status in ("RECUP", "QUAL"):
                raise FhirError(
                    422,
                    f"Statut d'identité « {status} » : il suppose l'appel au téléservice INSi "
                    "par la plateforme (RNIV). Envoyez PROV, ou VALI avec la pièce contrôlée.",
                    expression=[f"{where}.extension"],
                )
            if status not in ("", "PROV", "VALI"):
                raise FhirError(
                    422, f"Statut d'identité inconnu : « {status} ».", expression=[where]
                )
            if status == "VALI":
                document = DOCUMENT_OF_MODE.get(mode, "")
                if not document:
                    raise FhirError(
                        422,
                        "Identité validée : indiquez la pièce d'identité contrôlée "
                        "(validationMode CN, PA, CS, LE ou AN).",
                        expression=[f"{where}.extension"],
                    )
    phones = [t for t in body.get("telecom") or [] if t.get("system") == "phone"]
    for i, t in enumerate(body.get("telecom") or []):
        if t.get("system") != "phone" or (phones and t is not phones[0]):
            raise FhirError(
                422,
                "La plateforme conserve un seul numéro de téléphone du patient.",
                expression=[f"Patient.telecom[{i}]"],
            )
    if phones and phones[0].get("use"):
        fields["phone_use"] = phones[0]["use"]
    addresses = body.get("address") or []
    if len(addresses) > 1:
        raise FhirError(
            422,
            "La plateforme conserve une seule adresse du patient.",
            expression=["Patient.address[1]"],
        )
    if addresses and addresses[0].get("use"):
        fields["address_use"] = addresses[0]["use"]
    if addresses and addresses[0].get("country"):
        fields["address_country"] = addresses[0]["country"][:10]
    # Inside the elements kept, the parts the platform stores (the others: a 422 naming them).
    parts = [
        ("telecom", {"system", "value", "use"}),
        ("address", {"use", "line", "postalCode", "city", "country"}),
        ("name", {"use", "family", "given", "extension"}),
    ]
    for element, kept in parts:
        for i, item in enumerate(body.get(element) or []):
            extra = sorted(k for k in item if k not in kept and not k.startswith("_"))
            if extra:
                raise FhirError(
                    422,
                    f"Élément(s) non conservés par la plateforme : {', '.join(extra)}.",
                    code="not-supported",
                    expression=[f"Patient.{element}[{i}].{k}" for k in extra],
                )
    return fields, status, document


def patient_args(body: dict) -> dict:
    """Patient → patient_create(**args), through the web's PatientForm so that the API applies
    exactly the checks of the patient form (then the service's identity checks)."""

    data = _patient_form_data(body)
    form = PatientForm(data)
    if not form.is_valid():
        raise form_error(form, PATIENT_FIELDS)
    return form.cleaned_data


def patient_local_identifiers(body: dict, allowed: dict[str, tuple]) -> list[tuple]:
    """The identifiers of a Patient other than the INS and our own id, as (system, value,
    kind, organisation), each one's system issued by the caller's organisation (``allowed``:
    system → (kind, organisation), from patients.services.local_system). Raises a 422 naming
    the system for any other: an identifier is never dropped silently (issue 12)."""
    found = []
    for i, ident in enumerate(body.get("identifier") or []):
        system, value = ident.get("system") or "", (ident.get("value") or "").strip()
        if system in codes.INS_SYSTEMS or system == codes.PATIENT_ID:
            continue
        where = f"Patient.identifier[{i}]"
        if not value:
            raise FhirError(422, "Identifiant sans valeur.", expression=[where])
        if system not in allowed:
            raise FhirError(
                422,
                f"Identifiant d'un système que votre organisation n'émet pas : "
                f"« {system or '(sans système)'} ». Systèmes acceptés : "
                f"{', '.join(sorted(allowed)) or 'aucun'} (numéros locaux de "
                f"votre organisation) et le matricule INS.",
                expression=[where],
            )
        kind, organisation = allowed[system]
        found.append((system, value, kind, organisation))
    return found


def patient_ins_system(body: dict) -> str:
    """The system of the INS identifier given (NIR, NIA, test or demo NIR), or ""."""
    return next(
        (
            i["system"]
            for i in body.get("identifier") or []
            if i.get("system") in codes.INS_SYSTEMS and i.get("value")
        ),
        "",
    )


def _patient_form_data(body: dict) -> dict:
    names = body.get("name") or []
    official = (
        next((n for n in names if n.get("use") == "official"), None)
        or next((n for n in names if n.get("use") in (None, "")), None)
        or (names[0] if names and names[0].get("use") != "usual" else None)
    )
    usual = next((n for n in names if n.get("use") == "usual"), None)
    ins = ""
    for ident in body.get("identifier") or []:
        if ident.get("system") in codes.INS_SYSTEMS and ident.get("value"):
            ins = ident["value"]
            break
    insee = ""
    for ext in body.get("extension") or []:
        if ext.get("url") == codes.BIRTH_PLACE:
            for sub in (ext.get("valueAddress") or {}).get("extension") or []:
                if sub.get("url") == codes.FR_CORE_INSEE_CODE:
                    insee = (sub.get("valueCoding") or {}).get("code", "")
    if body.get("gender") not in (None, "male", "female", "other", "unknown"):
        raise FhirError(
            400, f"gender invalide : « {body['gender']} ».", expression=["Patient.gender"]
        )
    birth_date = body.get("birthDate") or ""
    if birth_date and len(birth_date) != 10:
        raise FhirError(
            422,
            "La date de naissance doit être complète (AAAA-MM-JJ).",
            expression=["Patient.birthDate"],
        )
    phone = next(
        (t.get("value", "") for t in body.get("telecom") or [] if t.get("system") == "phone"), ""
    )
    # The home address first (FHIR address.use), else the first one given.
    addresses = [a for a in body.get("address") or [] if isinstance(a, dict)]
    address = next(
        (a for a in addresses if a.get("use") == "home"), addresses[0] if addresses else {}
    )
    # FR Core: the birth given names are the birth-list-given-name extension of the official
    # name ("PIERRE YVES", whole); ``given`` then holds the first one only.
    # On the official name (FR Core 2) or, in older examples, on the Patient itself.
    listed = next(
        (
            e.get("valueString")
            for e in [*((official or {}).get("extension") or []), *(body.get("extension") or [])]
            if e.get("url") == codes.BIRTH_LIST_GIVEN_NAME and e.get("valueString")
        ),
        "",
    )
    return {
        "birth_name": (official or {}).get("family", ""),
        "birth_given_names": listed or " ".join((official or {}).get("given") or []),
        "birth_date": birth_date,
        "sex": GENDER_TO_SEX.get(body.get("gender", ""), ""),
        "birthplace_insee": insee,
        "ins_nir": ins,
        "used_name": (usual or {}).get("family", "") if usual else "",
        "used_first_name": " ".join((usual or {}).get("given") or []) if usual else "",
        "phone": phone,
        "address_line": " ".join(address.get("line") or []),
        "postcode": address.get("postalCode") or "",
        "town": address.get("city") or "",
    }


# --- ServiceRequest -------------------------------------------------------------------------


# The elements of a ServiceRequest a submission stores (issue 21: any other is a 422 naming
# it). ``meta`` and ``text`` are the server's; ``priority`` is always « urgent » (an answer
# within 48 h) and ``authoredOn`` the submission time.
SERVICE_REQUEST_WRITE = {
    "resourceType",
    "id",
    "meta",
    "text",
    "identifier",
    "status",
    "intent",
    "category",
    "priority",
    "code",
    "subject",
    "occurrencePeriod",
    "occurrenceDateTime",
    "requester",
    "performer",
    "reasonCode",
    "note",
    "contained",
    "supportingInfo",
}


def refuse_unknown(body: dict, allowed: set[str], resource_type: str) -> None:
    """422 naming every top-level element of ``body`` outside ``allowed`` (the elements the
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


def service_request_interop(body: dict) -> dict:
    """The elements of a ServiceRequest kept besides the form's fields → the fields of
    ``referral_interop_record``: one identifier of the sender's (ours is given by the
    platform), ``code``, the codings of ``reasonCode``, the occurrence as sent."""
    fields: dict[str, Any] = {}
    idents = body.get("identifier") or []
    if any(i.get("system") == codes.REFERRAL_ID for i in idents):
        raise FhirError(
            422,
            "Le numéro de demande de la plateforme est attribué à l'envoi.",
            expression=["ServiceRequest.identifier"],
        )
    if len(idents) > 1:
        raise FhirError(
            422,
            "Un seul identifiant externe de la demande est conservé.",
            expression=["ServiceRequest.identifier[1]"],
        )
    if idents:
        ident = idents[0]
        if not ident.get("value") or set(ident) - {"system", "value", "use"}:
            raise FhirError(
                422,
                "identifier : system et value seulement.",
                expression=["ServiceRequest.identifier[0]"],
            )
        fields["identifier_system"] = (ident.get("system") or "")[:200]
        fields["identifier_value"] = ident["value"][:100]
    if body.get("code"):
        fields["code"] = body["code"]
    codings = [c for concept in body.get("reasonCode") or [] for c in concept.get("coding") or []]
    if codings:
        fields["reason_codings"] = codings
    if body.get("occurrenceDateTime"):
        fields["occurrence"] = {"occurrenceDateTime": body["occurrenceDateTime"]}
    elif body.get("occurrencePeriod"):
        fields["occurrence"] = {"occurrencePeriod": body["occurrencePeriod"]}
    if body.get("priority") not in (None, "urgent"):
        raise FhirError(
            422,
            "Une demande attend une réponse sous 48 heures : priority vaut « urgent ».",
            expression=["ServiceRequest.priority"],
        )
    return fields


def service_request_args(body: dict) -> dict:
    """ServiceRequest → referral_submit(**args), with references still to resolve:
    ``patient_id`` (access-checked by the caller) and ``service``. Elements outside
    ``SERVICE_REQUEST_WRITE`` are a 422."""
    refuse_unknown(body, SERVICE_REQUEST_WRITE, "ServiceRequest")
    if body.get("intent") not in REQUEST_INTENTS:
        raise FhirError(
            400,
            f"intent invalide : « {body.get('intent')} ».",
            expression=["ServiceRequest.intent"],
        )
    if body.get("intent") not in ("order", "original-order"):
        raise FhirError(
            422,
            "Une demande de prise en charge est un ordre (intent = order).",
            expression=["ServiceRequest.intent"],
        )
    if body.get("status") not in ("active", None):
        raise FhirError(
            422,
            "Une demande se crée avec le statut « active ».",
            expression=["ServiceRequest.status"],
        )
    kind = ""
    for concept in body.get("category") or []:
        for c in concept.get("coding") or []:
            if c.get("system") in (codes.REFERRAL_CATEGORY, None) and c.get("code") in Kind.values:
                kind = c["code"]
    patient_id = _ref_id(body.get("subject"), "Patient")
    if patient_id is None:
        raise FhirError(
            422,
            "subject doit référencer un Patient (Patient/id).",
            expression=["ServiceRequest.subject"],
        )
    performers = body.get("performer") or []
    service_ids = [_ref_id(p, "HealthcareService") for p in performers]
    if len(performers) != 1 or service_ids[0] is None:
        raise FhirError(
            422,
            "performer doit référencer un seul HealthcareService "
            "(le service hospitalier destinataire).",
            expression=["ServiceRequest.performer"],
        )
    service = HospitalService.objects.select_related("hospital").filter(pk=service_ids[0]).first()
    if service is None:
        raise FhirError(
            422,
            "Service hospitalier introuvable.",
            code="not-found",
            expression=["ServiceRequest.performer"],
        )
    questions = [_text_of(c) for c in body.get("reasonCode") or []]
    notes = [n.get("text", "") for n in body.get("note") or []]
    question = "\n".join(q for q in questions if q)
    if not question and notes:
        question, notes = notes[0], notes[1:]

    check_length(question, ReferralForm, "question", "ServiceRequest.reasonCode")
    check_length("\n".join(notes), ReferralForm, "context", "ServiceRequest.note")
    period = body.get("occurrencePeriod") or {}
    if body.get("occurrenceDateTime"):
        period = {"start": body["occurrenceDateTime"], "end": body["occurrenceDateTime"]}
    contained = {c.get("id"): c for c in body.get("contained") or []}
    files = []
    for info in body.get("supportingInfo") or []:
        ref = info.get("reference") or ""
        if not ref.startswith("#") or ref[1:] not in contained:
            raise FhirError(
                422,
                "supportingInfo doit désigner un DocumentReference ou un "
                "Binary contenu dans la demande (#id).",
                expression=["ServiceRequest.supportingInfo"],
            )
        files.append(_contained_file(contained[ref[1:]]))
    return {
        "patient_id": patient_id,
        "service": service,
        "kind": kind,
        "question": question,
        "context": "\n".join(n for n in notes if n),
        "wished_from": _date_part(period.get("start"), "ServiceRequest.occurrencePeriod.start"),
        "wished_until": _date_part(period.get("end"), "ServiceRequest.occurrencePeriod.end"),
        "files": files,
        "requester": body.get("requester"),
        "interop": service_request_interop(body),
    }


def _contained_file(resource: dict) -> SimpleUploadedFile:
    where = "ServiceRequest.contained"
    if resource.get("resourceType") == "Binary":
        return attachment_file(
            {
                "data": resource.get("data"),
                "contentType": resource.get("contentType"),
                "title": resource.get("id"),
            },
            where,
        )
    if resource.get("resourceType") == "DocumentReference":
        content = resource.get("content") or []
        if len(content) != 1:
            raise FhirError(
                422, "Un DocumentReference porte une seule pièce jointe.", expression=[where]
            )
        att = dict(content[0].get("attachment") or {})
        att.setdefault("title", resource.get("description") or "piece-jointe")
        return attachment_file(att, where)
    raise FhirError(
        422, "Seuls DocumentReference et Binary sont acceptés en pièce jointe.", expression=[where]
    )


def _date_part(value: str | None, where: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise FhirError(422, "Date incomplète : AAAA-MM-JJ attendu.", expression=[where]) from None


def requester_is(requester: dict | None, user) -> bool:
    """Whether a ServiceRequest.requester (or a Communication.sender) designates the calling
    user — by Practitioner or PractitionerRole reference or RPPS identifier — or is
    absent."""
    if not requester:
        return True
    pid = _ref_id(requester, "Practitioner")
    if pid is not None:
        return Practitioner.objects.filter(pk=pid, user=user).exists()
    # A PractitionerRole stands for its practitioner (FR Core / GAP name the role): the
    # caller's own activity designates the caller (issue 21).
    rid = _ref_id(requester, "PractitionerRole")
    if rid is not None:
        return PractitionerRole.objects.filter(pk=rid, practitioner__user=user).exists()
    ident = requester.get("identifier") or {}
    if ident.get("system") == codes.RPPS:
        return bool(user.rpps) and ident.get("value") == user.rpps
    return not requester.get("reference")


# --- Communication ----------------------------------------------------------------------------


# The elements of a Communication a message stores or checks (issue 21: others are a 422).
COMMUNICATION_WRITE = {
    "resourceType",
    "id",
    "meta",
    "text",
    "status",
    "basedOn",
    "partOf",
    "subject",
    "sender",
    "payload",
}


def communication_args(body: dict) -> dict:
    """Communication → referral_message_add arguments (``referral_id`` still to check).
    Elements outside ``COMMUNICATION_WRITE`` are a 422; ``status`` is « completed » (a
    message is sent when written); ``partOf`` and ``subject``, when given, must be the
    request's Task and patient (checked by the caller: ``task_id``, ``patient_id``)."""
    refuse_unknown(body, COMMUNICATION_WRITE, "Communication")
    if body.get("status") not in (None, "completed"):
        raise FhirError(
            422,
            "Un message est enregistré envoyé : status vaut « completed ».",
            expression=["Communication.status"],
        )
    based_on = [_ref_id(b, "ServiceRequest") for b in body.get("basedOn") or []]
    if len(based_on) != 1 or based_on[0] is None:
        raise FhirError(
            422,
            "basedOn doit référencer une seule ServiceRequest (la demande).",
            expression=["Communication.basedOn"],
        )
    texts, files = [], []
    for i, part in enumerate(body.get("payload") or []):
        if "contentString" in part:
            texts.append(part["contentString"])
        elif "contentAttachment" in part:
            files.append(attachment_file(part["contentAttachment"], f"Communication.payload[{i}]"))
        else:
            raise FhirError(
                422,
                "payload : texte (contentString) ou pièce jointe (contentAttachment) attendus.",
                expression=["Communication.payload"],
            )

    body_text = check_length("\n\n".join(texts), MessageForm, "body", "Communication.payload")
    part_of = [_ref_id(p, "Task") for p in body.get("partOf") or []]
    if part_of and part_of != [based_on[0]]:
        raise FhirError(
            422,
            "partOf : la Task de la demande (même id que la ServiceRequest).",
            expression=["Communication.partOf"],
        )
    subject = body.get("subject")
    return {
        "referral_id": based_on[0],
        "body": body_text,
        "files": files,
        "sender": body.get("sender"),
        "patient_id": _ref_id(subject, "Patient") if subject else None,
        "has_subject": bool(subject),
    }


# --- Task updates -----------------------------------------------------------------------------


def merge_patch(target: dict, patch: dict) -> dict:
    """RFC 7386 JSON merge patch (what fhirpy and most clients send with PATCH)."""
    result = copy.deepcopy(target)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge_patch(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def json_patch(target: dict, operations: list) -> dict:
    """RFC 6902 JSON Patch (the FHIR-specified PATCH format): add, remove, replace, test."""
    doc = copy.deepcopy(target)
    for op in operations:
        if not isinstance(op, dict) or "path" not in op or "op" not in op:
            raise FhirError(400, "Opération JSON Patch invalide.")
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        if not parts:
            raise FhirError(400, "JSON Patch : le chemin racine n'est pas modifiable.")
        parent = doc
        try:
            for p in parts[:-1]:
                parent = parent[int(p)] if isinstance(parent, list) else parent[p]
            last = parts[-1]
            kind = op["op"]
            if isinstance(parent, list):
                index = len(parent) if last == "-" else int(last)
                if kind == "add":
                    parent.insert(index, op["value"])
                elif kind == "remove":
                    parent.pop(index)
                elif kind == "replace":
                    parent[index] = op["value"]
                elif kind == "test":
                    if parent[index] != op["value"]:
                        raise FhirError(409, f"JSON Patch : test échoué sur {op['path']}.")
                else:
                    raise FhirError(400, f"JSON Patch : opération « {kind} » non prise en charge.")
            else:
                if kind in ("add", "replace"):
                    if kind == "replace" and last not in parent:
                        raise KeyError(last)
                    parent[last] = op["value"]
                elif kind == "remove":
                    del parent[last]
                elif kind == "test":
                    if parent.get(last) != op["value"]:
                        raise FhirError(409, f"JSON Patch : test échoué sur {op['path']}.")
                else:
                    raise FhirError(400, f"JSON Patch : opération « {kind} » non prise en charge.")
        except (KeyError, IndexError, ValueError, TypeError):
            raise FhirError(400, f"JSON Patch : chemin introuvable {op['path']}.") from None
    return doc


def owner_target(owner: dict | None):
    """Task.owner → ("user", User) | ("service", HospitalService); raises 422 if unknown."""

    where = ["Task.owner"]
    if not owner:
        raise FhirError(422, "owner est obligatoire.", expression=where)
    ref = owner.get("reference") or ""
    if ref:
        sid = reference_id(ref, "HealthcareService")
        if sid is not None:
            service = HospitalService.objects.select_related("hospital").filter(pk=sid).first()
            if service is None:
                raise FhirError(
                    422, "Service hospitalier introuvable.", code="not-found", expression=where
                )
            return "service", service
        pid = reference_id(ref, "Practitioner")
        user = None
        if pid is not None:
            user = User.objects.filter(practitioner__pk=pid).first()
        rid = reference_id(ref, "PractitionerRole")
        if rid is not None:
            role = (
                PractitionerRole.objects.select_related("practitioner__user").filter(pk=rid).first()
            )
            user = role.practitioner.user if role else None
        if user is None:
            raise FhirError(
                422,
                "owner : ce professionnel n'a pas de compte sur la plateforme.",
                code="not-found",
                expression=where,
            )
        return "user", user
    ident = owner.get("identifier") or {}
    if ident.get("system") == codes.RPPS and ident.get("value"):
        user = (
            User.objects.filter(rpps=ident["value"], is_active=True).first()
            or User.objects.filter(practitioner__rpps=ident["value"], is_active=True).first()
        )
        if user is None:
            raise FhirError(
                422, "owner : aucun compte avec ce RPPS.", code="not-found", expression=where
            )
        return "user", user
    raise FhirError(
        422,
        "owner : référence (Practitioner/id, PractitionerRole/id, "
        "HealthcareService/id) ou identifiant RPPS attendu.",
        expression=where,
    )


def answer_args(task: dict) -> dict:
    """Task.output → referral_answer(answer_kind, text, proposed_at)."""
    args: dict[str, Any] = {"answer_kind": "", "text": "", "proposed_at": None}
    for out in task.get("output") or []:
        code = next(
            (
                c.get("code")
                for c in (out.get("type") or {}).get("coding") or []
                if c.get("system") == codes.TASK_OUTPUT_TYPE
            ),
            None,
        )
        if code == "answer-kind":
            args["answer_kind"] = (
                (out.get("valueCoding") or {}).get("code")
                or out.get("valueCode")
                or out.get("valueString")
                or ""
            )
        elif code == "answer":
            args["text"] = out.get("valueString") or ""
        elif code == "proposed-date":
            value = out.get("valueDateTime") or ""
            parsed = parse_datetime(value) if "T" in value else None
            if parsed is None or parsed.tzinfo is None:
                raise FhirError(
                    422,
                    "proposed-date : date et heure avec fuseau attendues.",
                    expression=["Task.output"],
                )
            args["proposed_at"] = parsed
    return args


def text_of_reason(task: dict, current_reason: str) -> str:
    """The why of a transition: a new Task.statusReason, else the last Task.note."""
    reason = _text_of(task.get("statusReason"))
    if reason and reason != current_reason:
        return reason
    notes = [n.get("text", "") for n in task.get("note") or [] if n.get("text")]
    return notes[-1] if notes else ""
