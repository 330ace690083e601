"""Writes on the networks' shared record: one ``@action`` each (parcours/lib/actions.py).

Every service takes keyword arguments with the acting user (``actor``), checks the actor's
right through ``access.py`` (raising ``Forbidden``), locks the rows it changes, writes its
history row and an audit row (``audit_log``), and raises ``Invalid``/``Conflict`` with a French
message naming the field. Times are timezone-aware (Europe/Paris shown, UTC stored).
"""

from __future__ import annotations

import copy
import json

from django.db import IntegrityError
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from parcours.audit.services import audit_log
from parcours.lib.actions import action, current_action
from parcours.lib.errors import Conflict, Forbidden, Invalid
from parcours.lib.uploads import check_upload
from parcours.notifications.services import notify

from . import formdef
from .access import (
    access_record,
    consent_current,
    coordinates,
    member_of,
    readable_sections,
    section_rights,
    writable_sections,
)
from .models import (
    CareCircle,
    Consent,
    FormVersion,
    Member,
    Network,
    Profile,
    Record,
    RecordForm,
    Response,
    ResponseRevision,
    Right,
    SectionRight,
    StageChange,
)
from .questionnaire import questionnaire_to_definition

# The enrolment journey of seed 004 (admission request → assessments → coordination meeting
# → active follow-up → discharge); a discharged patient may be taken in again.
STAGE_TRANSITIONS: dict[str, set[str]] = {
    Record.Stage.ADMISSION: {Record.Stage.ASSESSMENT, Record.Stage.DISCHARGED},
    Record.Stage.ASSESSMENT: {Record.Stage.MEETING, Record.Stage.DISCHARGED},
    Record.Stage.MEETING: {Record.Stage.ACTIVE, Record.Stage.ASSESSMENT, Record.Stage.DISCHARGED},
    Record.Stage.ACTIVE: {Record.Stage.MEETING, Record.Stage.DISCHARGED},
    Record.Stage.DISCHARGED: {Record.Stage.ADMISSION},
}


def _require_coordinator(actor, network: Network | int) -> None:
    if not coordinates(actor, network):
        raise Forbidden(_("Réservé à la coordination du réseau."), code="forbidden")


# ---------------------------------------------------------------- networks and members


@action
def network_create(*, actor, organisation, code: str, profiles: list[tuple[str, str, bool]]):
    """Make ``organisation`` (kind ``network``) a care network with its ``profiles``
    ``[(code, label, coordinates)]``; returns the Network. Territory administration only
    (the admin and the demo call it). Raises Invalid for another kind of organisation."""
    if organisation.kind != "network":
        raise Invalid(_("Cette organisation n'est pas un réseau de santé."), field="organisation")
    network = Network.objects.create(organisation=organisation, code=slugify(code))
    for p_code, label, coord in profiles:
        Profile.objects.create(network=network, code=p_code, label=label, coordinates=coord)
    audit_log(user=actor, action="create", obj=network, detail=organisation.name)
    return network


@action
def member_set(*, actor, network: Network, user, profile: Profile) -> Member:
    """Give ``user`` the ``profile`` in ``network`` from now (a new member, or a change of
    profile: the old row is ended, history kept). Coordinator only. Returns the current
    Member; raises Forbidden, Invalid (profile of another network)."""
    _require_coordinator(actor, network)
    if profile.network_id != network.pk:
        raise Invalid(_("Ce profil n'appartient pas à ce réseau."), field="profile")
    now = timezone.now()
    current = (
        Member.objects.select_for_update()
        .filter(network=network, user=user, until__isnull=True)
        .first()
    )
    if current is not None:
        if current.profile_id == profile.pk:
            return current
        current.until = now
        current.save(update_fields=["until"])
    member = Member.objects.create(
        network=network, user=user, profile=profile, since=now, added_by=actor
    )
    audit_log(user=actor, action="update", obj=member, detail=f"{user.username}: {profile.code}")
    return member


@action
def member_end(*, actor, member: Member) -> Member:
    """End ``member``'s membership now (the user loses every record of the network at
    once). Coordinator only; a coordinator cannot end their own membership."""
    _require_coordinator(actor, member.network_id)
    if member.user_id == actor.pk:
        raise Conflict(_("Un coordinateur ne peut pas se retirer lui-même."), code="conflict")
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.until is None:
        member.until = timezone.now()
        member.save(update_fields=["until"])
        audit_log(user=actor, action="update", obj=member, detail="fin d'appartenance")
    return member


# ---------------------------------------------------------------- forms and versions


@action
def form_create(*, actor, network: Network, title: str, code: str = "", url_base: str = ""):
    """Create a form in ``network`` with an empty draft version 1; returns the RecordForm.
    ``url_base``: the FHIR base to build the canonical URL from. Coordinator only; raises
    Invalid for a missing title or a code already used."""
    _require_coordinator(actor, network)
    title = (title or "").strip()
    if not title:
        raise Invalid(_("Donnez un titre au formulaire."), field="title")
    code = slugify(code or title)[:60] or "formulaire"
    if RecordForm.objects.filter(network=network, code=code).exists():
        raise Invalid(_("Un formulaire de ce réseau porte déjà ce code."), field="title")
    now = timezone.now()
    base = (url_base or "https://parcours.invalid/fhir").rstrip("/")
    form = RecordForm.objects.create(
        network=network,
        code=code,
        title=title[:200],
        url=f"{base}/Questionnaire/{network.code}-{code}",
        created_at=now,
    )
    FormVersion.objects.create(form=form, number=1, created_at=now, created_by=actor)
    audit_log(user=actor, action="create", obj=form, detail=title)
    return form


@action
def draft_get_or_create(*, actor, form: RecordForm) -> FormVersion:
    """The draft of ``form``, created from its newest version when there is none (editing a
    published form makes a draft; the published one stays as it is). Coordinator only."""
    _require_coordinator(actor, form.network_id)
    RecordForm.objects.select_for_update().get(pk=form.pk)  # two editors: one draft
    draft = form.versions.filter(status=FormVersion.Status.DRAFT).first()
    if draft is not None:
        return draft
    latest = form.versions.order_by("-number").first()
    draft = FormVersion.objects.create(
        form=form,
        number=(latest.number + 1) if latest else 1,
        definition=copy.deepcopy(latest.definition) if latest else [],
        created_at=timezone.now(),
        created_by=actor,
    )
    audit_log(user=actor, action="create", obj=draft, detail=f"brouillon v{draft.number}")
    return draft


@action
def draft_save(*, actor, version: FormVersion, definition: list) -> FormVersion:
    """Replace the definition of a draft version. Coordinator only; raises Conflict for a
    published or retired version (it never changes), Invalid for a definition whose shape is
    wrong (``formdef.shape_problems``; the full check runs at publication)."""
    _require_coordinator(actor, version.form.network_id)
    version = FormVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != FormVersion.Status.DRAFT:
        raise Conflict(_("Une version publiée ne se modifie pas."), code="conflict")
    if not isinstance(definition, list) or not all(isinstance(i, dict) for i in definition):
        raise Invalid(_("Définition illisible."), field="definition")
    shape = formdef.shape_problems(definition)
    if shape:  # the builder and preview walk the draft: keep it walkable
        raise Invalid(" ".join(shape), field="definition")
    version.definition = definition
    version.save(update_fields=["definition"])
    audit_log(user=actor, action="update", obj=version, detail=f"v{version.number}")
    return version


@action
def version_publish(*, actor, version: FormVersion) -> FormVersion:
    """Publish a draft: it is frozen from now and new responses use it; the version
    published before is retired (its responses keep rendering with it). Coordinator only;
    raises Invalid listing the definition's problems (``formdef.check_definition``),
    Conflict if not a draft."""
    _require_coordinator(actor, version.form.network_id)
    version = FormVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != FormVersion.Status.DRAFT:
        raise Conflict(_("Cette version est déjà publiée."), code="conflict")
    problems = formdef.check_definition(version.definition)
    if problems:
        raise Invalid(" ".join(problems), field="definition")
    now = timezone.now()
    for old in FormVersion.objects.select_for_update().filter(
        form_id=version.form_id, status=FormVersion.Status.PUBLISHED
    ):
        old.status = FormVersion.Status.RETIRED
        old.save(update_fields=["status"])
    version.status = FormVersion.Status.PUBLISHED
    version.published_at = now
    version.published_by = actor
    version.save(update_fields=["status", "published_at", "published_by"])
    audit_log(user=actor, action="update", obj=version, detail=f"publication v{version.number}")
    return version


@action
def right_set(*, actor, form: RecordForm, section: str, profile: Profile, level: str):
    """Set ``profile``'s right on one section of ``form`` from now (none/read/write); the
    previous right is ended, history kept. Coordinator only; raises Invalid for an unknown
    level or a profile of another network. Returns the new SectionRight (or None for none)."""
    _require_coordinator(actor, form.network_id)
    if level not in Right.values:
        raise Invalid(_("Droit inconnu."), field="level")
    if profile.network_id != form.network_id:
        raise Invalid(_("Ce profil n'appartient pas à ce réseau."), field="profile")
    if not formdef.LINK_ID.match(section or ""):
        raise Invalid(_("Section inconnue."), field="section")
    now = timezone.now()
    current = (
        SectionRight.objects.select_for_update()
        .filter(form=form, section=section, profile=profile, until__isnull=True)
        .first()
    )
    if current is not None:
        if current.level == level:
            return current
        current.until = now
        current.save(update_fields=["until"])
    row = SectionRight.objects.create(
        form=form, section=section, profile=profile, level=level, since=now, set_by=actor
    )
    audit_log(
        user=actor, action="update", obj=form, detail=f"droit {profile.code} {section}={level}"
    )
    return row


@action
def rights_set(*, actor, form: RecordForm, levels: dict) -> int:
    """Set several rights of ``form`` at once (the rights table of the builder):
    ``levels`` is ``{(section linkId, profile id): level}``. Coordinator only. Returns how
    many rights changed; raises as ``right_set`` (then none changes)."""
    _require_coordinator(actor, form.network_id)
    profiles = {p.pk: p for p in Profile.objects.filter(network_id=form.network_id)}
    changed = 0
    for (section, profile_id), level in levels.items():
        profile = profiles.get(profile_id)
        if profile is None:
            raise Invalid(_("Ce profil n'appartient pas à ce réseau."), field="profile")
        before = SectionRight.objects.filter(
            form=form, section=section, profile=profile, until__isnull=True
        ).first()
        if (before.level if before else Right.NONE) == level:
            continue
        right_set(actor=actor, form=form, section=section, profile=profile, level=level)
        changed += 1
    return changed


@action
def form_import(*, actor, form: RecordForm, resource: dict) -> FormVersion:
    """Replace the draft of ``form`` with a FHIR Questionnaire (a dict): its items become the
    definition (``questionnaire.questionnaire_to_definition``). Coordinator only; raises
    Invalid for what cannot be mapped."""
    title, definition = questionnaire_to_definition(resource)
    draft = draft_get_or_create(actor=actor, form=form)
    return draft_save(actor=actor, version=draft, definition=definition)


@action
def form_create_from_questionnaire(*, actor, network: Network, resource: dict, url_base: str = ""):
    """Create a form from a FHIR Questionnaire and publish it when its status is ``active``
    (POST /fhir/Questionnaire). Returns the published (or draft) FormVersion. Coordinator
    only; raises Invalid naming what does not map or does not pass ``check_definition``."""
    title, definition = questionnaire_to_definition(resource)
    code = str(resource.get("name") or resource.get("id") or title)
    form = form_create(actor=actor, network=network, title=title, code=code, url_base=url_base)
    draft = form.versions.get()
    draft_save(actor=actor, version=draft, definition=definition)
    if resource.get("status") == "active":
        return version_publish(actor=actor, version=draft)
    return draft


# ---------------------------------------------------------------- records and consent


def _check_consent_fields(method: str, scope: str, document) -> None:
    if method not in Consent.Method.values:
        raise Invalid(_("Indiquez comment le consentement a été recueilli."), field="method")
    if not (scope or "").strip():
        raise Invalid(_("Indiquez la portée du consentement."), field="scope")
    if document:
        check_upload(document)


def _save_consent(*, actor, record, method, scope, collected_at, document) -> Consent:
    now = timezone.now()
    if collected_at is None or collected_at > now:
        raise Invalid(_("La date du recueil ne peut être dans le futur."), field="collected_at")
    consent = Consent(
        record=record,
        collected_by=actor,
        collected_at=collected_at,
        method=method,
        scope=scope.strip()[:500],
        recorded_at=now,
    )
    if document:
        consent.document.save(document.name, document, save=False)
        name = consent.document.name
        storage = consent.document.storage
        scope_ = current_action()
        if scope_ is not None:
            scope_.on_rollback(lambda: storage.delete(name))
    consent.save()
    return consent


@action
def record_open(
    *,
    actor,
    network: Network,
    patient,
    method: str,
    scope: str,
    collected_at=None,
    document=None,
) -> Record:
    """Open ``patient``'s record in ``network``, consent first: the consent (who collected
    it = the actor, when, how, scope, optional document) is recorded in the same action, and
    the actor joins the care circle. Coordinator only. Takes the regional identity
    (patients.Patient, resolved by the caller through patients' access). Returns the Record;
    raises Forbidden, Invalid (consent fields), Conflict (a record already exists: record a
    new consent on it instead)."""
    _require_coordinator(actor, network)
    _check_consent_fields(method, scope, document)
    if patient.merged_into_id:
        raise Invalid(_("Cette identité a été fusionnée."), field="patient")
    now = timezone.now()
    try:
        record = Record.objects.create(
            network=network, patient=patient, opened_at=now, opened_by=actor
        )
    except IntegrityError:
        raise Conflict(
            _("Ce patient a déjà un dossier dans ce réseau."), code="conflict", field="patient"
        ) from None
    _save_consent(
        actor=actor,
        record=record,
        method=method,
        scope=scope,
        collected_at=collected_at or now,
        document=document,
    )
    StageChange.objects.create(record=record, old="", new=record.stage, at=now, by=actor)
    CareCircle.objects.create(record=record, user=actor, since=now, added_by=actor)
    audit_log(user=actor, action="create", obj=record, patient_id=patient.pk, detail="consentement")
    return record


@action
def consent_withdraw(*, actor, record: Record, reason: str) -> Consent:
    """Record the withdrawal of the patient's consent now: the record closes at once for
    everyone (pages, API), the audit trail keeps everything. Coordinator only; raises
    Invalid without a reason, Conflict if no consent is in force."""
    _require_coordinator(actor, record.network_id)
    if not (reason or "").strip():
        raise Invalid(_("Indiquez le motif ou la forme du retrait."), field="reason")
    consent = (
        Consent.objects.select_for_update().filter(record=record, withdrawn_at__isnull=True).first()
    )
    if consent is None:
        raise Conflict(_("Aucun consentement en cours."), code="conflict")
    consent.withdrawn_at = timezone.now()
    consent.withdrawn_by = actor
    consent.withdrawal_reason = reason.strip()[:500]
    consent.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    audit_log(
        user=actor,
        action="update",
        obj=record,
        patient_id=record.patient_id,
        detail="retrait du consentement",
    )
    return consent


@action
def consent_record(
    *, actor, record: Record, method: str, scope: str, collected_at=None, document=None
) -> Consent:
    """Record a new consent on a record whose consent was withdrawn (the record reopens).
    Coordinator only; raises Invalid (also for a ``collected_at`` before the last
    withdrawal), Conflict if a consent is already in force."""
    _require_coordinator(actor, record.network_id)
    _check_consent_fields(method, scope, document)
    Record.objects.select_for_update().get(pk=record.pk)
    if consent_current(record):
        raise Conflict(_("Un consentement est déjà en cours."), code="conflict")
    last_withdrawal = (
        record.consents.filter(withdrawn_at__isnull=False)
        .order_by("-withdrawn_at")
        .values_list("withdrawn_at", flat=True)
        .first()
    )
    if collected_at is not None and last_withdrawal and collected_at < last_withdrawal:
        # A backdated consent would reopen, in the history, the time the record was closed:
        # "who could see it on date D" would answer wrongly for that time (issue 17).
        raise Invalid(
            _("Le nouveau consentement ne peut être daté d'avant le retrait du %(d)s.")
            % {"d": timezone.localtime(last_withdrawal).strftime("%d/%m/%Y %H:%M")},
            field="collected_at",
        )
    consent = _save_consent(
        actor=actor,
        record=record,
        method=method,
        scope=scope,
        collected_at=collected_at or timezone.now(),
        document=document,
    )
    audit_log(
        user=actor, action="update", obj=record, patient_id=record.patient_id, detail="consentement"
    )
    return consent


@action
def circle_add(*, actor, record: Record, user) -> CareCircle:
    """Add a current member of the network to the patient's care circle from now.
    Coordinator only; raises Invalid for a non-member. Returns the CareCircle row."""
    _require_coordinator(actor, record.network_id)
    if member_of(user, record.network_id) is None:
        raise Invalid(_("Cette personne n'est pas membre du réseau."), field="user")
    Record.objects.select_for_update().get(pk=record.pk)
    row = CareCircle.objects.filter(record=record, user=user, until__isnull=True).first()
    if row is None:
        row = CareCircle.objects.create(
            record=record, user=user, since=timezone.now(), added_by=actor
        )
        audit_log(
            user=actor,
            action="update",
            obj=record,
            patient_id=record.patient_id,
            detail=f"cercle de soins + {user.username}",
        )
        notify(
            users=[user],
            exclude=actor,
            kind="records.circle",
            title=_("Vous êtes ajouté(e) au cercle de soins d'un patient du réseau %s")
            % record.network,
            url=f"/reseaux/dossiers/{record.pk}/",
        )
    return row


@action
def circle_remove(*, actor, record: Record, user) -> None:
    """Remove ``user`` from the care circle from now (the record closes for them at once,
    unless they coordinate the network). Coordinator only."""
    _require_coordinator(actor, record.network_id)
    rows = CareCircle.objects.select_for_update().filter(
        record=record, user=user, until__isnull=True
    )
    now = timezone.now()
    for row in rows:
        row.until = now
        row.save(update_fields=["until"])
        audit_log(
            user=actor,
            action="update",
            obj=record,
            patient_id=record.patient_id,
            detail=f"cercle de soins - {user.username}",
        )


@action
def stage_move(*, actor, record: Record, stage: str, note: str = "") -> Record:
    """Move the record's enrolment stage along ``STAGE_TRANSITIONS`` and write the change.
    Coordinator only; raises Conflict for a move the journey does not allow."""
    _require_coordinator(actor, record.network_id)
    record = Record.objects.select_for_update().get(pk=record.pk)
    if stage not in STAGE_TRANSITIONS.get(record.stage, set()):
        raise Conflict(_("Cette étape ne peut suivre l'étape actuelle."), code="conflict")
    old = record.stage
    record.stage = stage
    record.save(update_fields=["stage"])
    StageChange.objects.create(
        record=record, old=old, new=stage, at=timezone.now(), by=actor, note=note[:500]
    )
    audit_log(
        user=actor,
        action="update",
        obj=record,
        patient_id=record.patient_id,
        detail=f"étape {old} → {stage}",
    )
    return record


# ---------------------------------------------------------------- responses


def _invalid_answers(errors: list[formdef.FieldError]) -> Invalid:
    exc = Invalid("; ".join(str(e) for e in errors), field="answers")
    exc.field_errors = errors  # type: ignore[attr-defined]  # for the form page
    return exc


@action
def response_save(
    *,
    actor,
    record: Record,
    version: FormVersion,
    answers: dict,
    response: Response | None = None,
    expected_revision: int | None = None,
) -> Response:
    """Save a filled form in a record: a new response (``response`` None) or a new revision
    of one. ``answers`` is the raw tree of ``formdef`` (strings accepted); only the sections
    the actor's profile writes are taken, the others are kept as they were (never erased by
    someone who cannot see them). Validation is the form's own (``formdef.validate``).

    ``expected_revision``: the revision the user edited; a save over a newer one is refused
    (Conflict) rather than silently overwriting a colleague's answers. A new response is
    filled with the newest published version; an existing one keeps its own.
    Raises Http404 (through access_record) when the record is not the actor's to open,
    Forbidden without a writable section, Invalid naming each refused item."""
    record = access_record(actor, record.pk)
    version = FormVersion.objects.select_related("form").get(pk=version.pk)
    if version.status != FormVersion.Status.PUBLISHED and response is None:
        raise Conflict(_("Cette version du formulaire n'est plus en usage."), code="conflict")
    if version.form.network_id != record.network_id:
        raise Invalid(_("Ce formulaire n'est pas celui du réseau."), field="form")
    rights = section_rights(actor, record.network_id)
    writable = writable_sections(rights, version.form_id)
    if not writable:
        raise Forbidden(_("Votre profil ne peut pas remplir ce formulaire."), code="forbidden")
    now = timezone.now()
    old: dict = {}
    if response is not None:
        response = Response.objects.select_for_update().get(pk=response.pk)
        if response.record_id != record.pk:
            raise Invalid(_("Réponse d'un autre dossier."), field="answers")
        if expected_revision is not None and expected_revision != response.revision:
            raise Conflict(
                _("Ce formulaire a été modifié entre-temps par %(who)s : rechargez-le.")
                % {"who": response.updated_by},
                code="conflict",
            )
        version = response.version
        old = response.answers
    merged = formdef.merge_sections(old, answers if isinstance(answers, dict) else {}, writable)
    clean, errors = formdef.validate(version.definition, merged, only=writable)
    if errors:
        raise _invalid_answers(errors)
    changed = sorted(s for s in writable if (old.get(s) if old else None) != clean.get(s))
    if response is None:
        response = Response.objects.create(
            record=record,
            version=version,
            answers=clean,
            revision=1,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )
    else:
        if not changed and clean == old:
            return response
        response.answers = clean
        response.revision += 1
        response.updated_at = now
        response.updated_by = actor
        response.save(update_fields=["answers", "revision", "updated_at", "updated_by"])
    ResponseRevision.objects.create(
        response=response,
        number=response.revision,
        version=version,
        answers=clean,
        sections=changed,
        at=now,
        by=actor,
    )
    audit_log(
        user=actor,
        action="create" if response.revision == 1 else "update",
        obj=response,
        patient_id=record.patient_id,
        detail=f"{version.form.title} v{version.number} sections {','.join(changed)}",
    )
    return response


@action
def response_migrate(*, actor, response: Response, version: FormVersion) -> Response:
    """Move a response to a newer published version of its form, explicitly: its answers
    are validated against the new version (answers to removed items are dropped, items the
    new version requires must already be answered). Coordinator only; raises Invalid naming
    the items that do not fit, Conflict for an older or unpublished version."""
    record = access_record(actor, response.record_id)
    _require_coordinator(actor, record.network_id)
    response = Response.objects.select_for_update().select_related("version").get(pk=response.pk)
    version = FormVersion.objects.get(pk=version.pk)  # its status now, not the caller's copy
    if (
        version.form_id != response.version.form_id
        or version.status != FormVersion.Status.PUBLISHED
        or version.number <= response.version.number
    ):
        raise Conflict(
            _("Migration possible vers une version publiée plus récente."), code="conflict"
        )
    clean, errors = formdef.validate(version.definition, response.answers)
    if errors:
        raise _invalid_answers(errors)
    old_number = response.version.number
    now = timezone.now()
    response.version = version
    response.answers = clean
    response.revision += 1
    response.updated_at = now
    response.updated_by = actor
    response.save(update_fields=["version", "answers", "revision", "updated_at", "updated_by"])
    ResponseRevision.objects.create(
        response=response,
        number=response.revision,
        version=version,
        answers=clean,
        sections=[s for s, _t in formdef.sections_of(version.definition)],
        at=now,
        by=actor,
        note=f"migration v{old_number} → v{version.number}",
    )
    audit_log(
        user=actor,
        action="update",
        obj=response,
        patient_id=record.patient_id,
        detail=f"migration v{old_number} → v{version.number}",
    )
    return response


def visible_answers(response: Response, readable: set[str]) -> dict:
    """The answers of ``response`` restricted to the ``readable`` sections (a pure read)."""
    return formdef.filter_sections(response.answers, readable)


def readable_for(actor, record: Record, form_id: int) -> set[str]:
    """The sections of ``form_id`` the actor reads now in ``record``'s network."""
    return readable_sections(section_rights(actor, record.network_id), form_id)


def definition_from_json(text: str) -> list:
    """A definition parsed from JSON text (the builder's raw editor); raises Invalid."""
    try:
        value = json.loads(text)
    except ValueError:
        raise Invalid(_("JSON illisible."), field="definition") from None
    if not isinstance(value, list):
        raise Invalid(_("La définition doit être une liste de sections."), field="definition")
    return value
