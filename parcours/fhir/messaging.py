"""Discharge letters over FHIR: DocumentReference (read and search).

One DocumentReference per letter *sent*: the letter's text and its PDFs inline (base64), its
author, the hospital as custodian, the stay as context. A letter whose signature no longer
holds is served without its content, flagged, never silently.
"""

from __future__ import annotations

import base64
from typing import Any

from django.db.models import Q, QuerySet

from parcours.lib.text import is_id
from parcours.messaging.access import letter_queryset_for
from parcours.messaging.models import DischargeLetter, MailboxEntry, Message
from parcours.messaging.services import attachment_read, message_open

from .mappers import Ctx, _clean, coding, day, instant, reference, user_reference
from .search import SearchParam, any_of, date_param, id_param, reference_param, token

LOINC = "http://loinc.org"
# LOINC 11490-0 "Physician Discharge summary": the code the French CI-SIS uses for the
# "lettre de liaison à la sortie d'un établissement de santé" (LDL-SES).
LETTER_TYPE = ("11490-0", "Lettre de liaison à la sortie d'un établissement de santé")


def letters_for(user) -> QuerySet:
    return (
        letter_queryset_for(user)
        .filter(sent_at__isnull=False)
        .select_related(
            "patient",
            "service__hospital",
            "author__practitioner",
            "message__signing_key",
            "message__thread",
        )
        .prefetch_related("message__attachments", "message__entries")
    )


def document_reference(letter: DischargeLetter, ctx: Ctx) -> dict:
    message = letter.message
    if message is None:  # letters_for() returns sent letters only: each has its message
        raise ValueError(f"discharge letter {letter.pk} has not been sent")
    opened = message_open(message)
    content: list[dict[str, Any]] = []
    if opened.valid:
        if opened.body.strip():
            content.append(
                {
                    "attachment": {
                        "contentType": "text/plain; charset=utf-8",
                        "language": "fr",
                        "data": base64.b64encode(opened.body.encode()).decode(),
                        "title": "Lettre de liaison",
                        "creation": instant(letter.sent_at),
                    }
                }
            )
        for att in message.attachments.all():
            data = attachment_read(att)
            if data is None:
                continue
            content.append(
                {
                    "attachment": {
                        "contentType": att.content_type,
                        "data": base64.b64encode(data).decode(),
                        "size": att.size,
                        "title": att.name,
                        "creation": instant(letter.sent_at),
                    }
                }
            )
    if not content:
        content = [
            {
                "attachment": {
                    "title": "Contenu altéré : signature invalide, non délivré"
                    if not opened.valid
                    else "Lettre vide"
                }
            }
        ]
    period = _clean({"start": day(letter.admitted_on), "end": instant(letter.discharged_at)})
    return _clean(
        {
            "resourceType": "DocumentReference",
            "id": str(letter.pk),
            "status": "current",
            "docStatus": "final" if opened.valid else "entered-in-error",
            "type": {"coding": [coding(LOINC, *LETTER_TYPE)]},
            "category": [{"coding": [coding(LOINC, "34133-9", "Summary of episode note")]}],
            "subject": reference("Patient", letter.patient_id, letter.patient.display_name),
            "date": instant(letter.sent_at),
            "author": [a for a in [user_reference(letter.author)] if a],
            "custodian": reference(
                "Organization", letter.service.hospital_id, letter.service.hospital.name
            ),
            "description": f"{letter.service.name} — sortie le "
            f"{(instant(letter.discharged_at) or '')[:10]}",
            "content": content,
            "context": _clean({"period": period}),
        }
    )


def _type_param() -> SearchParam:
    def apply(qs, values, modifier):
        def one(value):
            system, code = token(value)

            ok = code == LETTER_TYPE[0] and system in (None, "", LOINC)
            return Q() if ok else Q(pk__in=[])

        return qs.filter(any_of(values, one))

    return SearchParam("token", f"document type ({LOINC}|{LETTER_TYPE[0]})", apply)


LETTER_SEARCH = {
    "_id": id_param(),
    "patient": reference_param("patient_id", "Patient", "Patient/id"),
    "subject": reference_param("patient_id", "Patient", "Patient/id"),
    "date": date_param("sent_at", "date sent (eq, lt, le, gt, ge)"),
    "period": date_param("discharged_at", "discharge date (eq, lt, le, gt, ge)"),
    "type": _type_param(),
}


# --- the secure mailbox as Communication --------------------------------------------------------
# The request exchange threads already are Communication (numeric ids). Mailbox messages are
# Communication too, with ids "mail-N", reached by searching with a mailbox ``category``.

MAIL_PREFIX = "mail-"
MAIL_CATEGORY = "https://parcours.esante.example/fhir/CodeSystem/mail-category"
MAIL_KINDS = {
    "mail": ("message", "Message sécurisé"),
    "letter": ("discharge-letter", "Lettre de liaison"),
    "lab": ("lab-result", "Résultats de biologie"),
}
MAIL_CODES = {code: kind for kind, (code, _d) in MAIL_KINDS.items()}


def mail_for(user) -> QuerySet:
    return (
        Message.objects.filter(pk__in=MailboxEntry.objects.filter(user=user).values("message_id"))
        .select_related("sender__practitioner", "signing_key", "thread__patient")
        .prefetch_related("attachments", "entries__user__practitioner")
    )


def is_mail_search(query) -> bool:
    for raw in query.getlist("category"):
        for value in raw.split(","):
            system, code = token(value)
            if system == MAIL_CATEGORY or (not system and code in MAIL_CODES):
                return True
    return False


def mail_communication(m, ctx: Ctx) -> dict:
    opened = message_open(m)
    payload: list[dict[str, Any]] = []
    if opened.valid:
        if opened.body.strip():
            payload.append({"contentString": opened.body})
        for att in m.attachments.all():
            data = attachment_read(att)
            if data is not None:
                payload.append(
                    {
                        "contentAttachment": {
                            "contentType": att.content_type,
                            "data": base64.b64encode(data).decode(),
                            "size": att.size,
                            "title": att.name,
                        }
                    }
                )
    code, display = MAIL_KINDS.get(m.kind, MAIL_KINDS["mail"])
    sender = user_reference(m.sender) if m.sender_id else {"display": m.sender_label or "Parcours"}
    return _clean(
        {
            "resourceType": "Communication",
            "id": f"{MAIL_PREFIX}{m.pk}",
            "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{m.uid}"}],
            "status": "completed" if opened.valid else "entered-in-error",
            "category": [{"coding": [coding(MAIL_CATEGORY, code, display)]}],
            "subject": reference("Patient", m.thread.patient_id) if m.thread.patient_id else None,
            "topic": {"text": opened.subject} if opened.subject else None,
            "about": [reference("DiagnosticReport", m.lab_report_id)] if m.lab_report_id else [],
            "sent": instant(m.sent_at),
            "sender": sender,
            "recipient": [
                r
                for r in (user_reference(e.user) for e in m.entries.all() if e.role != "from")
                if r
            ]
            + [{"display": a} for a in m.external_to],
            "payload": payload,
            "note": []
            if opened.valid
            else [
                {
                    "text": "Message altéré ou illisible : la "
                    "signature ne correspond pas, contenu non "
                    "délivré."
                }
            ],
        }
    )


def _mail_id_param() -> SearchParam:
    def apply(qs, values, modifier):
        ids = [
            v[len(MAIL_PREFIX) :]
            for v in values
            if v.startswith(MAIL_PREFIX) and is_id(v[len(MAIL_PREFIX) :])
        ]
        return qs.filter(pk__in=ids) if ids else qs.none()

    return SearchParam("token", "logical id (mail-N)", apply)


def _mail_category_param() -> SearchParam:
    def apply(qs, values, modifier):
        kinds = []
        for value in values:
            system, code = token(value)
            if system in (None, "", MAIL_CATEGORY) and code in MAIL_CODES:
                kinds.append(MAIL_CODES[code])
        return qs.filter(kind__in=kinds) if kinds else qs.none()

    return SearchParam(
        "token",
        f"message | discharge-letter | lab-result (the secure mailbox; system {MAIL_CATEGORY})",
        apply,
    )


MAIL_SEARCH = {
    "_id": _mail_id_param(),
    "category": _mail_category_param(),
    "patient": reference_param("thread__patient_id", "Patient", "Patient/id"),
    "subject": reference_param("thread__patient_id", "Patient", "Patient/id"),
    "sent": date_param("sent_at", "date sent (eq, lt, le, gt, ge)"),
}
