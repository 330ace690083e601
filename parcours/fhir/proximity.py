"""FHIR R4 EpisodeOfCare and Encounter for the Service Médical de Proximité (issue 18). Read and
search only; the pages write. Access is the pages' own (proximity/access.py): an episode to
the SMP's team (an intern: their patients), an encounter's content never to an assistant."""

from __future__ import annotations

from django.db.models import QuerySet

from parcours.proximity.access import consultation_queryset_for, episode_queryset_for
from parcours.proximity.models import Consultation, Episode

from .mappers import Ctx, _clean, coding, instant, reference, user_reference
from .search import SearchParam, date_param, id_param, reference_param, token

V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

# EpisodeOfCare.status (http://hl7.org/fhir/R4/valueset-episode-of-care-status.html): a
# hand-over waiting for its acknowledgement is still the SMP's care.
EPISODE_STATUS: dict[str, str] = {
    Episode.Status.WAITLIST: "waitlist",
    Episode.Status.ACTIVE: "active",
    Episode.Status.HANDOVER: "active",
    Episode.Status.FINISHED: "finished",
    Episode.Status.CANCELLED: "cancelled",
}
STATUS_FROM_FHIR: dict[str, list[str]] = {}
for _ours, _fhir in EPISODE_STATUS.items():
    STATUS_FROM_FHIR.setdefault(_fhir, []).append(_ours)


def episode_of_care(e: Episode, ctx: Ctx) -> dict:
    """An Episode as EpisodeOfCare: status, patient, the SMP, the period from sign-up to end,
    the declared SMP doctor as care manager, the priority criteria as diagnosis-free text."""
    return _clean(
        {
            "resourceType": "EpisodeOfCare",
            "id": str(e.pk),
            "identifier": [{"system": "urn:parcours:smp", "value": e.reference}],
            "status": EPISODE_STATUS[e.status],
            "type": [{"text": "Service Médical de Proximité"}],
            "patient": reference("Patient", e.patient_id),
            "managingOrganization": reference("Organization", e.organisation_id),
            "period": _clean({"start": instant(e.registered_at), "end": instant(e.finished_at)}),
            "careManager": user_reference(e.declared_doctor),
            "extension": [
                {
                    "url": "urn:parcours:smp:priority",
                    "valueInteger": e.priority,
                }
            ],
        }
    )


def encounter(c: Consultation, ctx: Ctx) -> dict:
    """A Consultation as an ambulatory Encounter: patient, doctor (and supervisor of an
    intern), period, reason, the SMP episode and the site."""
    participants: list[dict] = [{"individual": user_reference(c.doctor)}]
    if c.supervisor_id:
        participants.append(
            {"type": [{"text": "superviseur"}], "individual": user_reference(c.supervisor)}
        )
    return _clean(
        {
            "resourceType": "Encounter",
            "id": str(c.pk),
            "status": "finished",
            "class": coding(V3_ACT_CODE, "AMB", "ambulatory"),
            "subject": reference("Patient", c.patient_id),
            "episodeOfCare": [reference("EpisodeOfCare", c.episode_id)],
            "participant": participants,
            "period": {"start": instant(c.start)},
            "reasonCode": [{"text": c.reason}],
            "serviceProvider": reference("Organization", c.episode.organisation_id),
            "appointment": [reference("Appointment", c.appointment_id)] if c.appointment_id else [],
        }
    )


def episodes_for(user) -> QuerySet:
    return episode_queryset_for(user).select_related("declared_doctor")


def encounters_for(user) -> QuerySet:
    return consultation_queryset_for(user).select_related("episode", "doctor", "supervisor")


def _status_param() -> SearchParam:
    def apply(qs, values, modifier):
        ours = [s for v in values for s in STATUS_FROM_FHIR.get(token(v)[1], [])]
        return qs.filter(status__in=ours)

    return SearchParam("token", "waitlist | active | finished | cancelled", apply)


EPISODE_SEARCH = {
    "_id": id_param(),
    "patient": reference_param("patient_id", "Patient", "Patient/id"),
    "status": _status_param(),
    "date": date_param("registered_at", "sign-up date (eq, lt, le, gt, ge)"),
}

ENCOUNTER_SEARCH = {
    "_id": id_param(),
    "patient": reference_param("patient_id", "Patient", "Patient/id"),
    "subject": reference_param("patient_id", "Patient", "Patient/id"),
    "episode-of-care": reference_param("episode_id", "EpisodeOfCare", "EpisodeOfCare/id"),
    "date": date_param("start", "date of the consultation (eq, lt, le, gt, ge)"),
}
