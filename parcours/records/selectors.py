"""Reads on the networks' shared record. Each read of patient data writes its audit row
(``audit_log``); what is returned is already cut to what the user's profile may read."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q, QuerySet

from parcours.audit.models import AuditEvent
from parcours.audit.services import audit_log

from . import formdef
from .access import (
    access_response,
    consent_current,
    coordinates,
    current_period,
    network_queryset_for,
    readable_sections,
    record_queryset_for,
    section_rights,
    writable_sections,
)
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


def networks_for(*, user) -> QuerySet[Network]:
    """The networks the user is a current member of, by name."""
    return network_queryset_for(user).order_by("organisation__name")


def records_for(*, user, network: Network | None = None) -> QuerySet[Record]:
    """The records the user may open now (consent in force; care circle or coordinator),
    with patient and network loaded, by patient name."""
    return (
        record_queryset_for(user, network)
        .select_related("patient", "network__organisation")
        .order_by("patient__birth_name", "patient__birth_given_names", "pk")
    )


def network_page(*, user, network: Network) -> dict:
    """What the network page shows the user: members (current), profiles, forms with their
    published and draft versions, the records the user may open; ``manage`` when the user
    coordinates. Audits the list of records shown (ids)."""
    manage = coordinates(user, network)
    members = (
        Member.objects.filter(current_period(), network=network)
        .select_related("user", "profile")
        .order_by("profile__label", "user__last_name")
    )
    forms = list(
        RecordForm.objects.filter(network=network)
        .annotate(
            published=Count("versions", filter=Q(versions__status=FormVersion.Status.PUBLISHED)),
            drafts=Count("versions", filter=Q(versions__status=FormVersion.Status.DRAFT)),
        )
        .order_by("title")
    )
    records = list(records_for(user=user, network=network))
    if records:
        audit_log(
            user=user,
            action=AuditEvent.Action.SEARCH,
            object_type="record",
            detail=f"dossiers du réseau {network.code}",
            object_ids=[r.pk for r in records],
        )
    closed = []
    if manage:
        # Records whose consent was withdrawn: the identity only, to record a new consent.
        closed = list(
            Record.objects.filter(network=network)
            .exclude(pk__in=Consent.objects.filter(withdrawn_at__isnull=True).values("record_id"))
            .select_related("patient")
            .order_by("patient__birth_name")
        )
    return {
        "network": network,
        "manage": manage,
        "closed": closed,
        "members": members,
        "profiles": network.profiles.all(),
        "forms": forms,
        "records": records,
    }


def record_page(*, user, record: Record) -> dict:
    """The record as the user may see it: consent, stage history, care circle, and per form
    the user reads at least one section of: its responses (newest first). Forms with no
    readable section are left out entirely. Audits the read (record and responses listed)."""
    rights = section_rights(user, record.network_id)
    forms = []
    form_rows = RecordForm.objects.filter(network_id=record.network_id).order_by("title")
    # The list shows who and when, not the answers: neither the answers nor the versions'
    # definitions (a 200-item form is ~40 kB of JSON per row) are read.
    responses = list(
        Response.objects.filter(record=record)
        .select_related("version", "updated_by")
        .defer("answers", "version__definition")
        .order_by("-updated_at", "-pk")
    )
    shown: list[int] = []
    for form in form_rows:
        readable = readable_sections(rights, form.pk)
        if not readable:
            continue
        mine = [r for r in responses if r.version.form_id == form.pk]
        shown.extend(r.pk for r in mine)
        forms.append(
            {
                "form": form,
                "responses": mine,
                "can_write": bool(writable_sections(rights, form.pk)),
            }
        )
    audit_log(
        user=user,
        action=AuditEvent.Action.READ,
        obj=record,
        patient_id=record.patient_id,
        detail="dossier de réseau",
        object_ids=shown,
    )
    return {
        "record": record,
        "consent": consent_current(record),
        "consents": record.consents.select_related("collected_by", "withdrawn_by").order_by(
            "-collected_at"
        ),
        "stages": record.stage_changes.select_related("by").order_by("-at", "-pk"),
        "circle": CareCircle.objects.filter(current_period(), record=record)
        .select_related("user")
        .order_by("user__last_name"),
        "forms": forms,
        "manage": coordinates(user, record.network_id),
    }


def render_tree(items: list[dict], answers: dict) -> list[dict]:
    """The definition joined with answers for display: ``[{item, value, display, rows,
    children}]`` (``rows``: a repeating group's answered rows, each a list of the same)."""
    out = []
    for item in items:
        value = answers.get(item["linkId"]) if isinstance(answers, dict) else None
        node: dict = {"item": item, "value": value, "display": "", "children": [], "rows": []}
        if item["type"] == "group":
            if item.get("repeats"):
                node["rows"] = [render_tree(item["items"], row) for row in value or []]
            else:
                node["children"] = render_tree(item["items"], value or {})
        else:
            node["display"] = display_value(item, value)
        out.append(node)
    return out


def display_value(item: dict, value) -> str:
    """An answer as French text (choices by their label, booleans oui/non, dates JJ/MM/AAAA,
    numbers with their unit, a score with its level)."""
    if value is None or value == "" or value == []:
        return ""
    kind = item["type"]
    labels = {str(o["code"]): o.get("display") or o["code"] for o in item.get("options") or []}
    if kind == "choice":
        return labels.get(str(value), str(value))
    if kind == "multichoice":
        return ", ".join(labels.get(str(v), str(v)) for v in value)
    if kind == "boolean":
        return "Oui" if value else "Non"
    if kind == "date":
        y, m, d = str(value).split("-")
        return f"{d}/{m}/{y}"
    if kind == "score":
        return f"{value.get('value')} — {value.get('level')}".strip(" —")
    if kind == "decimal":
        text = str(value).replace(".", ",")
        return f"{text} {item.get('unit', '')}".strip()
    if kind in ("integer", "scale"):
        return f"{value} {item.get('unit', '')}".strip()
    return str(value)


def response_view(*, user, response_id) -> dict:
    """One response rendered with the version it was filled with, cut to the user's
    readable sections, with its revisions (numbers, who, when, sections changed — the
    revisions' answers are cut the same way when shown). Raises Http404 as
    ``access_response``. Audits the read."""
    response, readable, writable = access_response(user, response_id)
    version = response.version
    answers = formdef.filter_sections(response.answers, readable)
    sections = [s for s in version.definition if s["linkId"] in readable]
    audit_log(
        user=user,
        action=AuditEvent.Action.READ,
        obj=response,
        patient_id=response.record.patient_id,
        detail=f"sections {','.join(sorted(readable))}",
    )
    newer = (
        FormVersion.objects.filter(
            form_id=version.form_id,
            status=FormVersion.Status.PUBLISHED,
            number__gt=version.number,
        )
        .order_by("-number")
        .first()
    )
    return {
        "response": response,
        "record": response.record,
        "version": version,
        "form": version.form,
        "answers": answers,
        "tree": render_tree(sections, answers),
        "readable": readable,
        "writable": writable,
        # Only the revisions that changed a section the user reads (or moved the version):
        # an edit of a hidden section would tell its content exists (issue 17).
        "revisions": [
            rev
            for rev in response.revisions.select_related("by", "version")
            .defer("answers", "version__definition")
            .order_by("-number")
            if rev.note or not rev.sections or set(rev.sections) & readable
        ],
        "newer": newer,
        "manage": coordinates(user, response.record.network_id),
    }


def who_could_see(*, record: Record, form: RecordForm, section: str, at: datetime) -> list:
    """Who could read ``section`` of ``form`` in ``record`` at ``at``: ``[(user, level)]``.

    Rebuilt from the history rows: a consent in force at ``at``; a membership current at
    ``at`` whose profile had a read/write right current at ``at`` on the section; and the
    member in the care circle at ``at`` or coordinating the network. (What they actually
    opened is in the audit trail: ``reads_of``.)"""
    if consent_current(record, at) is None:
        return []
    members = Member.objects.filter(
        current_period(at), network_id=record.network_id
    ).select_related("user", "profile")
    levels = {
        r.profile_id: r.level
        for r in SectionRight.objects.filter(
            current_period(at), form=form, section=section
        ).exclude(level=Right.NONE)
    }
    circle = set(
        CareCircle.objects.filter(current_period(at), record=record).values_list(
            "user_id", flat=True
        )
    )
    out = []
    for member in members:
        level = levels.get(member.profile_id)
        if level and (member.profile.coordinates or member.user_id in circle):
            out.append((member.user, level))
    return sorted(out, key=lambda pair: pair[0].last_name)


def reads_of(*, record: Record, until: datetime | None = None) -> QuerySet[AuditEvent]:
    """The audit rows of the record's patient written by this app's pages and API (reads
    and writes of the record and its responses), newest first, up to ``until``."""
    response_ids = [str(pk) for pk in record.responses.values_list("pk", flat=True)]
    rows = AuditEvent.objects.filter(
        Q(object_type="record", object_id=str(record.pk))
        | Q(object_type="response", object_id__in=response_ids)
    )
    if until is not None:
        rows = rows.filter(at__lte=until)
    return rows.select_related("user").order_by("-at", "-pk")


def visibility_page(*, user, record: Record, form: RecordForm | None, at: datetime) -> dict:
    """The coordinator's answer to "who could see what on date D": per section of each form
    (or of ``form``), who could read it at ``at``, and the audit of reads up to then.
    Audits the read of the record's access history."""
    forms = [form] if form else list(RecordForm.objects.filter(network_id=record.network_id))
    table = []
    for f in forms:
        version = (
            f.versions.filter(status__in=["active", "retired"], published_at__lte=at)
            .order_by("-number")
            .first()
        )
        if version is None:
            continue
        for section_id, text in formdef.sections_of(version.definition):
            table.append(
                {
                    "form": f,
                    "section": text,
                    "who": who_could_see(record=record, form=f, section=section_id, at=at),
                }
            )
    audit_log(
        user=user,
        action=AuditEvent.Action.READ,
        obj=record,
        patient_id=record.patient_id,
        detail=f"visibilité au {at.isoformat()}",
    )
    return {
        "record": record,
        "at": at,
        "consent": consent_current(record, at),
        "table": table,
        "reads": reads_of(record=record, until=at)[:200],
    }


def consents_of(record: Record) -> QuerySet[Consent]:
    """Every consent of the record, newest first."""
    return record.consents.order_by("-collected_at")


def member_choices(network: Network) -> QuerySet[Member]:
    """The network's current members, for the care-circle form."""
    return (
        Member.objects.filter(current_period(), network=network)
        .select_related("user", "profile")
        .order_by("user__last_name")
    )
