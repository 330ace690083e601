"""Who may see what in a network's shared record (issue 17).

- A **network** is seen by its current members only; it is managed (members, forms, rights,
  enrolments, care circles) by members whose profile ``coordinates``.
- A **record** is opened only while the patient's consent is current, and only by a current
  member of the network who is in the patient's care circle or coordinates the network.
- Inside a record, a **section** of a form is shown to a profile with a current right
  ``read`` or ``write`` on it; written with ``write``. Without read on any section of a form,
  the form's responses are not listed at all (the profile does not learn they exist).

Everyone else gets the same 404 as for a missing object (house rule). The same functions serve
the pages, the FHIR API and exports.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from .models import (
    CareCircle,
    Consent,
    FormVersion,
    Member,
    Network,
    Record,
    RecordForm,
    Response,
    Right,
    SectionRight,
)


def current_period(at: datetime | None = None) -> Q:
    """The rows whose ``[since, until)`` period holds ``at`` (now by default)."""
    at = at or timezone.now()
    return Q(since__lte=at) & (Q(until__isnull=True) | Q(until__gt=at))


def member_of(user, network: Network | int, at: datetime | None = None) -> Member | None:
    """The user's membership of ``network`` at ``at`` (now by default), or None."""
    if not user.is_authenticated:
        return None
    network_id = network.pk if isinstance(network, Network) else network
    return (
        Member.objects.filter(current_period(at), network_id=network_id, user=user)
        .select_related("profile")
        .first()
    )


def coordinates(user, network: Network | int) -> bool:
    """Whether the user coordinates ``network`` now (a current member with a coordinating
    profile)."""
    member = member_of(user, network)
    return bool(member and member.profile.coordinates)


def network_queryset_for(user) -> QuerySet[Network]:
    """The networks the user is a current member of."""
    if not user.is_authenticated:
        return Network.objects.none()
    return Network.objects.filter(
        members__in=Member.objects.filter(current_period(), user=user)
    ).select_related("organisation")


def access_network(user, network_id) -> Network:
    """The network ``network_id`` if the user is a current member; Http404 otherwise."""
    try:
        return network_queryset_for(user).get(pk=network_id)
    except (Network.DoesNotExist, ValueError, TypeError):
        raise Http404("Réseau introuvable") from None


def access_form(user, form_id, *, manage: bool = False) -> RecordForm:
    """The form ``form_id`` if the user is a member of its network (its coordinator when
    ``manage``); Http404 otherwise."""
    try:
        form = RecordForm.objects.select_related("network__organisation").get(pk=form_id)
    except (RecordForm.DoesNotExist, ValueError, TypeError):
        raise Http404("Formulaire introuvable") from None
    member = member_of(user, form.network_id)
    if member is None or (manage and not member.profile.coordinates):
        raise Http404("Formulaire introuvable")
    return form


def consent_current(record: Record, at: datetime | None = None) -> Consent | None:
    """The consent in force for ``record`` at ``at`` (now by default), or None."""
    at = at or timezone.now()
    return (
        record.consents.filter(collected_at__lte=at)
        .filter(Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gt=at))
        .order_by("-collected_at")
        .first()
    )


def record_queryset_for(user, network: Network | None = None) -> QuerySet[Record]:
    """The records the user may open now: consent in force, current member, and in the care
    circle or coordinator of the network. Optionally within one network."""
    if not user.is_authenticated:
        return Record.objects.none()
    now = timezone.now()
    members = Member.objects.filter(current_period(now), user=user)
    if network is not None:
        members = members.filter(network=network)
    coordinated = members.filter(profile__coordinates=True).values("network_id")
    circles = CareCircle.objects.filter(current_period(now), user=user).values("record_id")
    consented = Consent.objects.filter(collected_at__lte=now, withdrawn_at__isnull=True).values(
        "record_id"
    )
    return Record.objects.filter(
        Q(network_id__in=members.values("network_id")),
        Q(pk__in=consented),
        Q(network_id__in=coordinated) | Q(pk__in=circles),
    )


def access_record(user, record_id) -> Record:
    """The record ``record_id`` if the user may open it (``record_queryset_for``); Http404
    otherwise — also when the consent was withdrawn."""
    try:
        return (
            record_queryset_for(user)
            .select_related("patient", "network__organisation")
            .get(pk=record_id)
        )
    except (Record.DoesNotExist, ValueError, TypeError):
        raise Http404("Dossier introuvable") from None


def section_rights(user, network: Network | int, at: datetime | None = None) -> dict:
    """``{(form_id, section linkId): level}`` of the user's profile in ``network`` at ``at``
    (now by default), levels ``read``/``write`` only (no row = no access). Empty for a
    non-member."""
    member = member_of(user, network, at)
    if member is None:
        return {}
    rows = SectionRight.objects.filter(current_period(at), profile_id=member.profile_id).exclude(
        level=Right.NONE
    )
    return {(r.form_id, r.section): r.level for r in rows}


def readable_sections(rights: dict, form_id: int) -> set[str]:
    """The section linkIds of ``form_id`` readable under ``rights`` (``section_rights``)."""
    return {s for (f, s), level in rights.items() if f == form_id}


def writable_sections(rights: dict, form_id: int) -> set[str]:
    """The section linkIds of ``form_id`` writable under ``rights``."""
    return {s for (f, s), level in rights.items() if f == form_id and level == Right.WRITE}


def access_response(user, response_id) -> tuple[Response, set[str], set[str]]:
    """The response ``response_id`` with the sections the user reads and writes, if the user
    may open its record and read at least one of its sections; Http404 otherwise."""
    try:
        response = Response.objects.select_related(
            "record", "version__form", "updated_by", "created_by"
        ).get(pk=response_id)
    except (Response.DoesNotExist, ValueError, TypeError):
        raise Http404("Réponse introuvable") from None
    record = access_record(user, response.record_id)
    rights = section_rights(user, record.network_id)
    readable = readable_sections(rights, response.version.form_id)
    if not readable:
        raise Http404("Réponse introuvable")
    response.record = record
    return response, readable, writable_sections(rights, response.version.form_id)


def published_version(form: RecordForm) -> FormVersion | None:
    """The newest published version of ``form`` (what new responses are filled with)."""
    return form.versions.filter(status=FormVersion.Status.PUBLISHED).order_by("-number").first()
