"""Care networks' shared record over FHIR: Questionnaire (a published form version) and
QuestionnaireResponse (a filled form), through ``parcours.records`` — the same access rules,
services and validation as the pages (docs/fhir.md, "Networks' shared record").

- ``Questionnaire``: one resource per published version (id = the version's id); ``url`` is
  the form's canonical URL, ``version`` its number; read and search by the network's
  members; create by a coordinator (the form is published when ``status`` is ``active``).
- ``QuestionnaireResponse``: ``questionnaire`` = ``url|version``; read and search show only
  the sections the caller's profile reads (a response of a form the profile reads nothing
  of is not found); create is ``records.services.response_save`` with the form's own rules,
  each refused answer an OperationOutcome issue naming the item.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from parcours.records import formdef, questionnaire
from parcours.records import services as records
from parcours.records.access import (
    access_record,
    coordinates,
    current_period,
    network_queryset_for,
    readable_sections,
    record_queryset_for,
    section_rights,
)
from parcours.records.models import (
    CareCircle,
    FormVersion,
    Member,
    Record,
    Response,
    SectionRight,
)

from .errors import FhirError, from_service_error
from .mappers import Ctx, _clean, instant, reference, user_reference
from .search import SearchParam, any_of, date_param, id_param, reference_param, token

STATUS = {"draft": "draft", "active": "active", "retired": "retired"}


# --- Questionnaire ----------------------------------------------------------------------------


def questionnaires_for(user) -> QuerySet[FormVersion]:
    """The published (current or retired) versions of the forms of the networks the user is
    a current member of."""
    return FormVersion.objects.filter(
        form__network__in=network_queryset_for(user),
        status__in=[FormVersion.Status.PUBLISHED, FormVersion.Status.RETIRED],
    ).select_related("form__network__organisation")


def questionnaire_resource(v: FormVersion, ctx: Ctx) -> dict:
    """A form version as a FHIR R4 Questionnaire (mapping: records/questionnaire.py)."""
    form = v.form
    return _clean(
        {
            "resourceType": "Questionnaire",
            "id": str(v.pk),
            "url": form.url,
            "version": str(v.number),
            "name": form.code.replace("-", "_"),
            "title": form.title,
            "status": STATUS[v.status],
            "date": instant(v.published_at) if v.published_at else None,
            "publisher": form.network.organisation.name,
            "subjectType": ["Patient"],
            "item": questionnaire.definition_to_items(v.definition),
        }
    )


def _url_param() -> SearchParam:
    def apply(qs, values, modifier):
        return qs.filter(any_of(values, lambda value: Q(form__url=value)))

    return SearchParam("uri", "URL canonique du formulaire", apply)


def _string_on(field: str, doc: str) -> SearchParam:
    def apply(qs, values, modifier):
        lookup = "iexact" if modifier == "exact" else "icontains"
        return qs.filter(any_of(values, lambda value: Q(**{f"{field}__{lookup}": value})))

    return SearchParam("string", doc, apply)


def _version_param() -> SearchParam:
    def apply(qs, values, modifier):
        def one(value):
            _system, code = token(value)
            return Q(number=int(code)) if code.isdigit() else Q(pk__in=[])

        return qs.filter(any_of(values, one))

    return SearchParam("token", "numéro de version", apply)


def _status_param() -> SearchParam:
    def apply(qs, values, modifier):
        return qs.filter(any_of(values, lambda value: Q(status=token(value)[1])))

    return SearchParam("token", "active | retired", apply)


QUESTIONNAIRE_SEARCH = {
    "_id": id_param(),
    "url": _url_param(),
    "version": _version_param(),
    "status": _status_param(),
    "title": _string_on("form__title", "titre du formulaire"),
    "name": _string_on("form__code", "code du formulaire"),
}


def questionnaire_create(user, body: dict, base: str) -> FormVersion:
    """POST Questionnaire: a new form in the caller's network (the one they coordinate, or
    the one named by ``publisher`` when they coordinate several), published when
    ``status`` is ``active``; its canonical URL is built on ``base`` (the API's base URL).
    403 for a non-coordinator; 422 naming what does not map."""
    networks = [n for n in network_queryset_for(user) if coordinates(user, n)]
    publisher = (body.get("publisher") or "").strip()
    if publisher:
        networks = [n for n in networks if n.organisation.name == publisher]
    if not networks:
        raise FhirError(403, "Réservé à la coordination d'un réseau de santé.")
    if len(networks) > 1:
        raise FhirError(
            422,
            "Vous coordonnez plusieurs réseaux : indiquez le réseau dans « publisher ».",
            expression=["Questionnaire.publisher"],
        )
    try:
        return records.form_create_from_questionnaire(
            actor=user, network=networks[0], resource=body, url_base=base
        )
    except ValidationError as exc:
        raise from_service_error(exc, expression=["Questionnaire.item"]) from None


# --- QuestionnaireResponse --------------------------------------------------------------------


def responses_for(user) -> QuerySet[Response]:
    """The responses of the records the user may open, in forms of which the user's current
    profile reads at least one section."""
    if not user.is_authenticated:
        return Response.objects.none()
    now = timezone.now()
    profiles = Member.objects.filter(current_period(now), user=user).values("profile_id")
    readable = SectionRight.objects.filter(
        current_period(now),
        form_id=OuterRef("version__form_id"),
        profile_id__in=profiles,
    ).exclude(level="none")
    return (
        Response.objects.filter(record__in=record_queryset_for(user))
        .filter(Exists(readable))
        .select_related("record__patient", "version__form", "updated_by")
    )


def response_resource(r: Response, ctx: Ctx) -> dict:
    """A response as a QuestionnaireResponse, cut to the sections the caller reads."""
    readable = readable_sections(section_rights(ctx.user, r.record.network_id), r.version.form_id)
    answers = formdef.filter_sections(r.answers, readable)
    sections = [s for s in r.version.definition if s["linkId"] in readable]
    return _clean(
        {
            "resourceType": "QuestionnaireResponse",
            "id": str(r.pk),
            "meta": {"versionId": str(r.revision), "lastUpdated": instant(r.updated_at)},
            "questionnaire": f"{r.version.form.url}|{r.version.number}",
            "status": "completed",
            "subject": reference("Patient", r.record.patient_id, r.record.patient.display_name),
            "authored": instant(r.updated_at),
            "author": user_reference(r.updated_by),
            "item": questionnaire.answers_to_items(sections, answers),
        }
    )


def _questionnaire_param() -> SearchParam:
    def apply(qs, values, modifier):
        def one(value):
            url, _bar, version = value.partition("|")
            condition = Q(version__form__url=url)
            if version:
                condition &= Q(version__number=int(version)) if version.isdigit() else Q(pk__in=[])
            return condition

        return qs.filter(any_of(values, one))

    return SearchParam("reference", "url|version du Questionnaire", apply)


RESPONSE_SEARCH = {
    "_id": id_param(),
    "patient": reference_param("record__patient_id", "Patient", "Patient/id"),
    "subject": reference_param("record__patient_id", "Patient", "Patient/id"),
    "questionnaire": _questionnaire_param(),
    "authored": date_param("updated_at", "date de dernière modification"),
}


def _version_of(canonical: str) -> FormVersion:
    url, _bar, number = (canonical or "").partition("|")
    versions = FormVersion.objects.filter(form__url=url).select_related("form")
    if number:
        version = versions.filter(number=int(number) if number.isdigit() else -1).first()
    else:
        version = versions.filter(status=FormVersion.Status.PUBLISHED).first()
    if version is None or version.status == FormVersion.Status.DRAFT:
        raise FhirError(
            422,
            "Questionnaire inconnu (url|version d'une version publiée attendu).",
            code="not-found",
            expression=["QuestionnaireResponse.questionnaire"],
        )
    return version


def response_create(user, body: dict) -> Response:
    """POST QuestionnaireResponse: fill a form in the subject's record of the form's network.

    ``questionnaire`` = ``url|version`` (the version in use; a retired one is refused, as on
    the page); ``subject`` = ``Patient/id`` with a consented record the caller may open; the
    items map to the answers (records/questionnaire.py) and are validated by the form's own
    rules. 422 with one issue per refused item (its linkId in ``expression``); 403 without a
    writable section; 409 for a retired version."""
    version = _version_of(body.get("questionnaire", ""))
    subject = (body.get("subject") or {}).get("reference", "")
    patient_id = subject.rsplit("/", 1)[-1] if subject.startswith("Patient/") else ""
    record = Record.objects.filter(
        network_id=version.form.network_id, patient_id=patient_id if patient_id.isdigit() else -1
    ).first()
    try:
        if record is None:
            raise Http404
        record = access_record(user, record.pk)
    except Http404:
        raise FhirError(
            422,
            "Pas de dossier de ce patient ouvert pour vous dans ce réseau.",
            code="not-found",
            expression=["QuestionnaireResponse.subject"],
        ) from None
    answers = questionnaire.items_to_answers(version.definition, body.get("item") or [])
    try:
        return records.response_save(actor=user, record=record, version=version, answers=answers)
    except ValidationError as exc:
        errors = getattr(exc, "field_errors", None)
        if errors:
            raise FhirError(
                422,
                str(exc),
                issues=[
                    {
                        "severity": "error",
                        "code": "invalid",
                        "diagnostics": str(e),
                        "expression": [
                            "QuestionnaireResponse.item"
                            + "".join(
                                f".where(linkId='{part}')"
                                for part in e.path.split(".")
                                if not part.isdigit()
                            )
                        ],
                    }
                    for e in errors
                ],
            ) from None
        raise from_service_error(exc, expression=["QuestionnaireResponse"]) from None


# --- CareTeam and EpisodeOfCare: the record's care circle and enrolment ---------------------

# Record.stage → EpisodeOfCare.status (FHIR R4 §EpisodeOfCare.status, issue 17): an admission
# request waits (planned), assessments and the coordination meeting come before the follow-up
# (waitlist), the follow-up is active, a discharge finishes the episode.
EPISODE_STATUS: dict[str, str] = {
    Record.Stage.ADMISSION: "planned",
    Record.Stage.ASSESSMENT: "waitlist",
    Record.Stage.MEETING: "waitlist",
    Record.Stage.ACTIVE: "active",
    Record.Stage.DISCHARGED: "finished",
}


def records_for(user) -> QuerySet[Record]:
    """The records the user may open now (``records.access.record_queryset_for``), with the
    current care circle prefetched."""
    now = timezone.now()
    return (
        record_queryset_for(user)
        .select_related("patient", "network__organisation")
        .prefetch_related(
            Prefetch(
                "circle",
                queryset=CareCircle.objects.filter(current_period(now)).select_related("user"),
                to_attr="current_circle",
            )
        )
    )


def care_team(record: Record, ctx: Ctx) -> dict:
    """The patient's care circle in a network as a CareTeam (id = the record's id)."""
    return _clean(
        {
            "resourceType": "CareTeam",
            "id": str(record.pk),
            "status": "active",
            "name": f"Cercle de soins — {record.network.organisation.name}",
            "subject": reference("Patient", record.patient_id, record.patient.display_name),
            "managingOrganization": [
                reference(
                    "Organization", record.network.organisation_id, record.network.organisation.name
                )
            ],
            "participant": [
                _clean(
                    {
                        "member": user_reference(row.user),
                        "period": {"start": instant(row.since)},
                    }
                )
                for row in getattr(record, "current_circle", [])
            ],
        }
    )


# The Service Médical de Proximité owns EpisodeOfCare (fhir/proximity.py); a network enrolment
# is a second source under it, like the on-call rosters under Schedule: ids reseau-N, searched
# with type=reseau.
EPISODE_PREFIX = "reseau-"
EPISODE_TYPE_SYSTEM = "https://parcours.invalid/fhir/CodeSystem/episode-type"
EPISODE_TYPE = "reseau"


def is_network_episode_search(query) -> bool:
    """True if an EpisodeOfCare search asks for network enrolments (``type=reseau``, with or
    without the system) or names one by ``_id=reseau-N``."""
    for raw in query.getlist("type"):
        for value in raw.split(","):
            system, code = token(value)
            if code == EPISODE_TYPE and system in (None, "", EPISODE_TYPE_SYSTEM):
                return True
    return any(v.startswith(EPISODE_PREFIX) for raw in query.getlist("_id") for v in raw.split(","))


def _episode_type_param() -> SearchParam:
    def apply(qs, values, modifier):
        return qs  # the type routed the search here; every enrolment has it

    return SearchParam("token", f"{EPISODE_TYPE}: the care networks' enrolments", apply)


def _episode_id_param() -> SearchParam:
    def apply(qs, values, modifier):
        ids = [v[len(EPISODE_PREFIX) :] for v in values if v.startswith(EPISODE_PREFIX)]
        return qs.filter(pk__in=[i for i in ids if i.isdigit()])

    return SearchParam("token", f"logical id ({EPISODE_PREFIX}N)", apply)


def episode_of_care(record: Record, ctx: Ctx) -> dict:
    """The patient's enrolment in a network as an EpisodeOfCare (id ``reseau-<record id>``,
    ``type`` reseau)."""
    return _clean(
        {
            "resourceType": "EpisodeOfCare",
            "id": f"{EPISODE_PREFIX}{record.pk}",
            "status": EPISODE_STATUS[record.stage],
            "type": [{"coding": [{"system": EPISODE_TYPE_SYSTEM, "code": EPISODE_TYPE}]}],
            "patient": reference("Patient", record.patient_id, record.patient.display_name),
            "managingOrganization": reference(
                "Organization", record.network.organisation_id, record.network.organisation.name
            ),
            "period": {"start": instant(record.opened_at)},
            "team": [reference("CareTeam", record.pk)],
        }
    )


RECORD_SEARCH = {
    "_id": id_param(),
    "patient": reference_param("patient_id", "Patient", "Patient/id"),
    "subject": reference_param("patient_id", "Patient", "Patient/id"),
}

EPISODE_SEARCH = {
    "_id": _episode_id_param(),
    "type": _episode_type_param(),
    "patient": reference_param("patient_id", "Patient", "Patient/id"),
}
