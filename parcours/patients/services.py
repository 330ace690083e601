"""Writes on patient identities."""

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from parcours.accounts.scopes import is_gp
from parcours.audit.services import audit_log
from parcours.lib.actions import action
from parcours.lib.errors import Conflict, ServiceError
from parcours.lib.ins import INS_NIA_SYSTEM, InsError, check_nir, ins_kind
from parcours.lib.text import ins_form, is_ins_name, search_key

from .access import can_open_emergency_access, has_care_relationship, is_identity_reviewer
from .matching import find_matches, identity_of
from .models import (
    CareLink,
    DuplicateCandidate,
    EmergencyAccess,
    IdentityLink,
    IdentityStatusChange,
    Patient,
    PatientIdentifier,
    PatientMerge,
)

# What must happen, in the same transaction, when an identity is created or gets its INS
# matricule. Apps above ``patients`` (labs: waiting results with the same INS attach by
# themselves) append a callable ``hook(*, actor, patient)`` in their ``AppConfig.ready()``:
# ``patients`` may not import them (conventions.md, "Apps import downward only").
IDENTITY_HOOKS: list[Callable[..., object]] = []


# Called, in the same transaction, when a professional opens a « bris de glace » access:
# ``hook(*, access)``. The notifications app registers there who is told (it sits above
# ``patients``).
EMERGENCY_ACCESS_HOOKS: list[Callable[..., object]] = []


def identity_hooks_run(*, actor, patient: Patient) -> None:
    """Run every registered identity hook inside the caller's transaction."""
    for hook in IDENTITY_HOOKS:
        hook(actor=actor, patient=patient)


@dataclass
class PatientResult:
    patient: Patient
    created: bool
    # Probable or possible duplicates flagged for the identitovigilance review queue.
    candidates: list[DuplicateCandidate] = dataclasses.field(default_factory=list)


def _clean_identity(
    *,
    birth_name,
    birth_given_names,
    birth_date,
    sex,
    birthplace_insee,
    ins_nir,
    used_name,
    used_first_name,
) -> dict:
    errors: dict[str, str] = {}
    data = {
        "birth_name": ins_form(birth_name or ""),
        "birth_given_names": ins_form(birth_given_names or ""),
        "used_name": ins_form(used_name or ""),
        "used_first_name": (used_first_name or "").strip(),
        "birth_date": birth_date,
        "sex": sex,
        "birthplace_insee": (birthplace_insee or "").strip().upper(),
        "ins_nir": "",
    }
    for field, required in (
        ("birth_name", _("Le nom de naissance est obligatoire.")),
        ("birth_given_names", _("Les prénoms de naissance sont obligatoires.")),
    ):
        if not data[field]:
            errors[field] = required
        elif not is_ins_name(data[field]):
            errors[field] = _(
                "Seules les lettres, espaces, traits d'union et apostrophes sont acceptés."
            )
    if data["used_name"] and not is_ins_name(data["used_name"]):
        errors["used_name"] = _(
            "Seules les lettres, espaces, traits d'union et apostrophes sont acceptés."
        )
    if not isinstance(birth_date, date):
        errors["birth_date"] = _("La date de naissance est obligatoire.")
    elif birth_date > timezone.localdate() or birth_date.year < 1900:
        errors["birth_date"] = _("La date de naissance n'est pas plausible.")
    if sex not in Patient.Sex.values:
        errors["sex"] = _("Le sexe est obligatoire.")
    code = data["birthplace_insee"]
    if code and not (
        len(code) == 5 and (code.isdigit() or code[:2] in {"2A", "2B"}) and code[2:].isdigit()
    ):
        errors["birthplace_insee"] = _(
            "Le code INSEE du lieu de naissance comporte 5 "
            "caractères (99xxx pour une naissance à l'étranger)."
        )
    if ins_nir and ins_nir.strip():
        try:
            data["ins_nir"] = check_nir(
                ins_nir,
                sex=sex if sex in {"M", "F"} else None,
                birth_date=birth_date if isinstance(birth_date, date) else None,
            )
        except InsError as exc:
            errors["ins_nir"] = str(exc)
    if errors:
        raise ValidationError(errors)
    return data


def _traits_agree(data: dict, known: Patient) -> bool:
    """Every trait entered agrees with the known identity (issue 12, "Reuse only when every
    entered trait agrees"): birth name, *all* birth given names, birth date, sex exactly; the
    birthplace, the used name and first name and the INS matricule whenever they were typed
    (a trait typed that the known identity lacks is a difference too: reusing would drop it).
    Takes the cleaned traits and a Patient; returns a bool."""
    if (data["birth_name"], data["birth_given_names"], data["birth_date"], data["sex"]) != (
        known.birth_name,
        known.birth_given_names,
        known.birth_date,
        known.sex,
    ):
        return False
    typed = {
        "birthplace_insee": data["birthplace_insee"],
        "used_name": data["used_name"],
        "ins_nir": data["ins_nir"],
    }
    for field, value in typed.items():
        if value and value != getattr(known, field):
            return False
    first = data["used_first_name"]
    return not first or search_key(first) == search_key(known.used_first_name)


def patient_find_existing(
    *, ins_nir: str, birth_name: str, birth_given_names: str, birth_date: date, sex: str
) -> Patient | None:
    """The identity carrying this INS matricule, else the oldest one with the same birth name,
    first given name, birth date and sex (not merged), or None. The caller still compares every
    trait (``_traits_agree``) before reusing it."""
    if ins_nir:
        holder = Patient.objects.filter(ins_nir=ins_nir).first()
        if holder is not None:
            return holder
    return _same_key(
        birth_name=birth_name, birth_given_names=birth_given_names, birth_date=birth_date, sex=sex
    ).first()


def _same_key(*, birth_name, birth_given_names, birth_date, sex):
    return Patient.objects.filter(
        search_name=search_key(f"{birth_name} {birth_given_names.split(' ')[0]}"),
        birth_date=birth_date,
        sex=sex,
        merged_into__isnull=True,
    ).order_by("id")


@action
def patient_create(
    *,
    actor,
    birth_name: str,
    birth_given_names: str,
    birth_date: date,
    sex: str,
    birthplace_insee: str = "",
    ins_nir: str = "",
    used_name: str = "",
    used_first_name: str = "",
    phone: str = "",
    ins_system: str = "",
    address_line: str = "",
    postcode: str = "",
    town: str = "",
) -> PatientResult:
    """Create a patient, or return the identity that already carries every trait typed.

    Takes the traits as typed; returns a PatientResult (``created`` False for a known
    identity). Raises ValidationError (French message per field) on a bad trait, or when the
    INS matricule typed belongs to an identity whose traits differ.

    Finding a known identity never grants access and never changes it (issue 12): the actor
    gets an ``IdentityLink`` — they may use the identity (request, booking, message) but see
    none of the data others recorded — and nothing typed is written onto it (no NIR, no
    trait). When the traits only resemble a known identity (a given name more, a hyphen, a
    birthplace, an INS the known one lacks), a new identity is created with what was typed and
    the pair goes to the identitovigilance review queue.
    """
    data = _clean_identity(
        birth_name=birth_name,
        birth_given_names=birth_given_names,
        birth_date=birth_date,
        sex=sex,
        birthplace_insee=birthplace_insee,
        ins_nir=ins_nir,
        used_name=used_name,
        used_first_name=used_first_name,
    )
    if data["ins_nir"]:
        holder = Patient.objects.filter(ins_nir=data["ins_nir"]).first()
        if holder is not None and not _traits_agree(data, holder):
            raise ServiceError(
                _(
                    "Ce matricule INS est déjà porté par une identité dont les traits "
                    "diffèrent de ceux saisis : vérifiez la saisie ; en cas de doute, "
                    "contactez la cellule d'identitovigilance."
                ),
                field="ins_nir",
            )
        if holder is not None:
            return _reuse(actor, patient_resolve(holder))
    near = list(
        _same_key(
            birth_name=data["birth_name"],
            birth_given_names=data["birth_given_names"],
            birth_date=data["birth_date"],
            sex=data["sex"],
        )
    )
    for known in near:
        if _traits_agree(data, known):
            return _reuse(actor, known)
    # Contact traits: supporting evidence for the duplicate review only (RNIV: they never
    # qualify an identity nor decide a reuse).
    patient = Patient(
        **data,
        phone=(phone or "").strip(),
        created_by=actor,
        address_line=" ".join((address_line or "").split())[:200],
        postcode=(postcode or "").strip()[:10],
        town=" ".join((town or "").split())[:100],
        ins_kind=ins_kind(data["ins_nir"], ins_system),
    )
    patient.set_keys()
    try:
        with transaction.atomic():  # savepoint: a refused INSERT leaves the action usable
            patient.save()
    except IntegrityError as exc:  # a concurrent creation with the same INS matricule
        raise ServiceError(
            _("Ce matricule INS est déjà attribué à une autre identité."), field="ins_nir"
        ) from exc
    CareLink.objects.create(patient=patient, user=actor)
    audit_log(user=actor, action="create", obj=patient, patient_id=patient.pk)
    candidates = flag_duplicates(patient=patient, source="creation")
    flagged = {c.low_id for c in candidates} | {c.high_id for c in candidates}
    for known in near:
        # Same name key, birth date and sex but a trait differs: always a pair to review,
        # whatever the matcher's grade.
        if known.pk not in flagged:
            candidates.append(
                _flag_pair(
                    patient,
                    known,
                    reason=_(
                        "mêmes nom, premier prénom, date de naissance et sexe ; un trait saisi "
                        "diffère"
                    ),
                )
            )
    identity_hooks_run(actor=actor, patient=patient)
    return PatientResult(patient, created=True, candidates=candidates)


def _reuse(actor, known: Patient) -> PatientResult:
    """The actor found ``known`` by its traits: record that they may use the identity (and
    nothing more), audit it, change nothing on the identity."""
    IdentityLink.objects.get_or_create(patient=known, user=actor)
    audit_log(
        user=actor,
        action="search",
        obj=known,
        patient_id=known.pk,
        detail="identité retrouvée par ses traits (sans accès au dossier)",
    )
    return PatientResult(known, created=False)


def _flag_pair(a: Patient, b: Patient, *, reason: str) -> DuplicateCandidate:
    low, high = sorted((a.pk, b.pk))
    candidate, _created = DuplicateCandidate.objects.get_or_create(
        low_id=low,
        high_id=high,
        defaults={
            "score": 0.9,
            "grade": "probable",
            "reasons": [str(reason)],
            "source": "creation",
        },
    )
    return candidate


@action
def flag_duplicates(*, patient: Patient, source: str) -> list[DuplicateCandidate]:
    """Put the probable and possible duplicates of ``patient`` in the review queue."""
    flagged = []
    for found in find_matches(identity_of(patient), exclude_id=patient.pk):
        low, high = sorted((patient.pk, found.patient.pk))
        candidate, created = DuplicateCandidate.objects.get_or_create(
            low_id=low,
            high_id=high,
            defaults={
                "score": found.match.score,
                "grade": found.match.grade,
                "reasons": found.match.reasons,
                "source": source,
            },
        )
        if not created and candidate.state == DuplicateCandidate.State.OPEN:
            candidate.score, candidate.grade = found.match.score, found.match.grade
            candidate.reasons = found.match.reasons
            candidate.save(update_fields=["score", "grade", "reasons"])
        flagged.append(candidate)
    return flagged


# --- identity status ------------------------------------------------------------------------

S = Patient.Status
# The moves an identity's status may make (INS rules, docs/architecture.md "Identities").
STATUS_TRANSITIONS: dict[str, set[str]] = {
    S.PROVISIONAL: {S.VALIDATED, S.RETRIEVED},
    S.VALIDATED: {S.QUALIFIED, S.PROVISIONAL},
    S.RETRIEVED: {S.QUALIFIED, S.PROVISIONAL},
    S.QUALIFIED: {S.PROVISIONAL},
}
_DOCUMENT = _lazy(
    "une pièce d'identité à haut niveau de confiance contrôlée (carte nationale "
    "d'identité, passeport, titre de séjour ; livret de famille ou extrait d'acte "
    "de naissance pour un mineur) — la carte Vitale ne suffit pas"
)
_INSI = _lazy("l'INS récupérée par le téléservice INSi (matricule renseigné sur l'identité)")
_NOT_NIA = _lazy("impossible avec un NIA (numéro d'attente)")
_DOUBT = _lazy("un doute sur l'identité : réservé à l'identitovigilance, motif obligatoire")
# The evidence each move needs, shown on the patient page next to the status form. Source:
# RNIV 1 "Principes communs" (ANS, 4 statuts de confiance, [EXI SI 07]): VALI = identity
# checked on a high-trust document; RECUP = INS retrieved by INSi; QUAL = both; a NIA
# (temporary number) cannot make a qualified identity.
STATUS_EVIDENCE: dict[tuple[str, str], object] = {
    (S.PROVISIONAL, S.VALIDATED): _DOCUMENT,
    (S.PROVISIONAL, S.RETRIEVED): _INSI,
    (S.VALIDATED, S.QUALIFIED): format_lazy("{} ; {}", _INSI, _NOT_NIA),
    (S.RETRIEVED, S.QUALIFIED): format_lazy("{} ; {}", _DOCUMENT, _NOT_NIA),
    (S.VALIDATED, S.PROVISIONAL): _DOUBT,
    (S.RETRIEVED, S.PROVISIONAL): _DOUBT,
    (S.QUALIFIED, S.PROVISIONAL): _DOUBT,
}
# High-trust identity documents: what validates an identity (a health insurance card does not).
IDENTITY_DOCUMENTS = {
    "CNI": _lazy("Carte nationale d'identité"),
    "PASSEPORT": _lazy("Passeport"),
    "TITRE_SEJOUR": _lazy("Titre de séjour"),
    "LIVRET_FAMILLE": _lazy("Livret de famille (mineur)"),
    "ACTE_NAISSANCE": _lazy("Extrait d'acte de naissance (mineur)"),
}


@action
def patient_set_status(
    *,
    actor,
    patient: Patient,
    status: str,
    document: str = "",
    insi: bool = False,
    reason: str = "",
) -> Patient:
    """Move an identity's status. The caller has checked that ``actor`` may see the patient.

    - VALI: a high-trust identity document was checked (``document``);
    - RECUP: the INS was retrieved from the INSi teleservice (``insi``), so a matricule exists;
    - QUAL: retrieved and checked on a document — from RECUP with a document, or from VALI
      with an INSi retrieval; a NIA (temporary number) cannot make a qualified identity;
    - back to PROV (a doubt on the identity): identity reviewers only, with a reason.
    """
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    old = patient.identity_status
    if status not in STATUS_TRANSITIONS.get(old, set()):
        allowed = [S(code).label for code in S.values if code in STATUS_TRANSITIONS.get(old, set())]
        raise ServiceError(
            _(
                "Passage de « %(old)s » à « %(new)s » non autorisé. Depuis « %(old)s » : "
                "%(allowed)s."
            )
            % {
                "old": S(old).label,
                "new": S(status).label if status in S.values else status,
                "allowed": ", ".join(f"« {label} »" for label in allowed) or "—",
            },
            field="status",
        )
    errors = {}
    needs_document = status == S.VALIDATED or (status == S.QUALIFIED and old == S.RETRIEVED)
    if needs_document and document not in IDENTITY_DOCUMENTS:
        errors["document"] = _("Indiquez la pièce d'identité à haut niveau de confiance contrôlée.")
    needs_insi = status == S.RETRIEVED or (status == S.QUALIFIED and old == S.VALIDATED)
    if needs_insi and not (insi and patient.ins_nir):
        errors["insi"] = _(
            "L'INS doit avoir été récupérée par le téléservice INSi (matricule renseigné)."
        )
    if status == S.QUALIFIED and patient.ins_kind == "NIA":
        errors["status"] = _(
            "Une identité portant un NIA (numéro d'attente) ne peut pas être qualifiée."
        )
    if status == S.PROVISIONAL:
        if not is_identity_reviewer(actor):
            errors["status"] = _("Seule l'identitovigilance peut rétrograder une identité.")
        if not reason.strip():
            errors["reason"] = _("Indiquez la raison du doute sur l'identité.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    patient.identity_status = status
    patient.status_changed_at, patient.status_changed_by = now, actor
    patient.status_document = document if status != S.PROVISIONAL else ""
    patient.save(
        update_fields=[
            "identity_status",
            "status_changed_at",
            "status_changed_by",
            "status_document",
        ]
    )
    IdentityStatusChange.objects.create(
        patient=patient,
        from_status=old,
        to_status=status,
        document=document,
        reason=reason[:300],
        by=actor,
        at=now,
    )
    audit_log(
        user=actor,
        action="update",
        obj=patient,
        patient_id=patient.pk,
        detail=f"statut {old} → {status} {document}".strip(),
    )
    if status in (S.RETRIEVED, S.QUALIFIED):
        # The identity now carries an INSi-retrieved matricule: results waiting for it
        # (labs) attach in this transaction.
        identity_hooks_run(actor=actor, patient=patient)
    return patient


# --- care relationships: médecin traitant, « bris de glace » ----------------------------------


@action
def treating_doctor_declare(*, actor, patient: Patient) -> Patient:
    """A GP who already follows the patient declares themselves the médecin traitant,
    audited with the previous one. Takes the GP and the patient; returns the patient. Raises
    ValidationError (French) if the actor is not a GP, or has no care relationship with the
    patient other than a « bris de glace »: an identity found by its traits opens none of its
    data (issue 12, "Matching never grants access"), so a one-click declaration must not
    either — it would be a « bris de glace » without reason, expiry nor notice."""

    if not is_gp(actor):
        raise ServiceError(
            _("Seul un médecin généraliste peut se déclarer médecin traitant."),
            field="treating_doctor",
        )
    if not has_care_relationship(actor, patient):
        raise ServiceError(
            _(
                "Vous ne suivez pas encore ce patient sur la plateforme : adressez une "
                "demande, écrivez à son sujet ou, en urgence, ouvrez un accès « bris de "
                "glace » motivé."
            ),
            field="treating_doctor",
        )
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    before = patient.treating_doctor_id
    if before == actor.pk:
        return patient
    patient.treating_doctor = actor
    patient.save(update_fields=["treating_doctor"])
    CareLink.objects.get_or_create(patient=patient, user=actor)
    audit_log(
        user=actor,
        action="update",
        obj=patient,
        patient_id=patient.pk,
        detail=f"médecin traitant déclaré : utilisateur {actor.pk} "
        f"(précédent : {before or 'aucun'})",
    )
    return patient


EMERGENCY_REASON_MIN_WORDS = 3
EMERGENCY_REASON_MIN_LENGTH = 15


@action
def emergency_access_open(*, actor, patient: Patient, reason: str):
    """« Bris de glace »: open the patient's data to ``actor`` without a recorded care
    relationship, for ``settings.EMERGENCY_ACCESS_HOURS`` hours (24 by default). Takes the
    clinician, the patient (whose identity they may see) and the reason (a sentence: at least
    three words); returns the EmergencyAccess. Raises ValidationError (French) without a
    reason or for an account that is not a clinician. Audited as its own action
    (``emergency``); the patient's treating professionals see it on the patient page."""

    reason = " ".join((reason or "").split())
    errors = {}
    if not can_open_emergency_access(actor):
        errors["reason"] = _(
            "Seul un professionnel de soins (médecin, accueil des parcours) "
            "peut ouvrir un accès en urgence."
        )
    elif (
        len(reason.split()) < EMERGENCY_REASON_MIN_WORDS
        or len(reason) < EMERGENCY_REASON_MIN_LENGTH
    ):
        errors["reason"] = _(
            "Expliquez en une phrase pourquoi l'accès en urgence est "
            "nécessaire (trois mots au moins)."
        )
    if errors:
        raise ValidationError(errors)
    hours = settings.EMERGENCY_ACCESS_HOURS
    now = timezone.now()
    access = EmergencyAccess.objects.create(
        patient=patient,
        user=actor,
        reason=reason[:500],
        opened_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    audit_log(
        user=actor,
        action="emergency",
        obj=access,
        patient_id=patient.pk,
        detail=f"bris de glace ({hours} h) : {reason}",
    )
    for hook in EMERGENCY_ACCESS_HOOKS:
        hook(access=access)
    return access


# --- local identifiers ----------------------------------------------------------------------


@action
def patient_identifier_add(
    *,
    actor,
    patient: Patient,
    system: str,
    value: str,
    kind: str = PatientIdentifier.Kind.IPP,
    organisation=None,
) -> PatientIdentifier:
    """Attach a local number (IPP, network file number) to an identity; the same number of the
    same system on another identity is refused (a collision identitovigilance must see)."""
    system, value = (system or "").strip(), (value or "").strip()
    if not system or not value:
        raise ServiceError(
            _("Système et valeur de l'identifiant sont obligatoires."), field="identifier"
        )
    existing = PatientIdentifier.objects.filter(system=system, value=value).first()
    if existing is not None:
        if _survivor(existing.patient) == _survivor(patient):
            return existing
        raise ServiceError(
            _("Cet identifiant local est déjà attribué à une autre identité."),
            field="identifier",
        )
    ident = PatientIdentifier.objects.create(
        patient=patient,
        system=system,
        value=value,
        kind=kind,
        organisation=organisation,
        created_by=actor,
    )
    audit_log(
        user=actor,
        action="update",
        obj=patient,
        patient_id=patient.pk,
        detail=f"identifiant local {system}|{value}",
    )
    return ident


@action
def patient_create_with_identifiers(
    *, actor, identifiers: Sequence[tuple[str, str, str, Any]] = (), **traits: Any
) -> PatientResult:
    """``patient_create`` with the traits, then ``patient_identifier_add`` for each local
    identifier (system, value, kind, issuing organisation) on the identity found or created:
    all or nothing (the FHIR Patient create). Returns the PatientResult; raises what they
    raise (ValidationError, ServiceError, Conflict with a French message)."""
    result = patient_create(actor=actor, **traits)
    for system, value, kind, organisation in identifiers:
        patient_identifier_add(
            actor=actor,
            patient=result.patient,
            system=system,
            value=value,
            kind=kind,
            organisation=organisation,
        )
    return result


def local_system(organisation, kind: str) -> str:
    """The identifier system of an organisation's local numbers entered by hand: one per
    organisation and kind, so two hospitals' IPP 12345 never collide. Numbers received by FHIR
    or the summary import keep the sender's own system."""
    return f"urn:parcours:{kind.lower()}:{organisation.finess or organisation.pk}"


def _survivor(patient: Patient) -> Patient:
    seen = 0
    while patient.merged_into is not None and seen < 20:
        patient, seen = patient.merged_into, seen + 1
    return patient


def patient_resolve(patient: Patient) -> Patient:
    """The identity a (possibly merged) identity now lives in."""
    return _survivor(patient)


# --- duplicates: scan, separate, merge, undo --------------------------------------------------


@action
def duplicates_scan(*, actor, patient: Patient) -> list[DuplicateCandidate]:
    """On demand: look for duplicates of one identity and queue them for review."""
    found = flag_duplicates(patient=patient, source="scan")
    audit_log(
        user=actor,
        action="search",
        obj=patient,
        patient_id=patient.pk,
        detail=f"recherche de doublons → {len(found)}",
    )
    return found


@action
def duplicate_separate(
    *, actor, candidate: DuplicateCandidate, reason: str = ""
) -> DuplicateCandidate:
    """A reviewer states the two identities are different people: the pair leaves the queue
    and is not proposed again. The reason (``MERGE_REASON_MIN_LENGTH`` characters at least)
    is audited: keeping two identities apart is a decision as weighty as merging them.
    Raises ValidationError (French) without a reason or for a pair already decided."""
    if len(" ".join((reason or "").split())) < MERGE_REASON_MIN_LENGTH:
        raise ServiceError(
            _("Indiquez pourquoi ce sont deux personnes distinctes (%(n)s caractères au moins).")
            % {"n": MERGE_REASON_MIN_LENGTH},
            field="reason",
        )
    candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.state != DuplicateCandidate.State.OPEN:
        raise Conflict(_("Cette paire a déjà été traitée."))
    candidate.state = DuplicateCandidate.State.SEPARATE
    candidate.decided_by, candidate.decided_at = actor, timezone.now()
    candidate.save(update_fields=["state", "decided_by", "decided_at"])
    for pid in (candidate.low_id, candidate.high_id):
        audit_log(
            user=actor,
            action="update",
            obj=candidate,
            patient_id=pid,
            detail=f"doublon écarté {candidate.low_id}/{candidate.high_id} {reason}".strip(),
        )
    return candidate


# Relations a merge does not move: they describe the identities themselves.
# An emergency access stays on the identity it was opened on (moving it would widen it).
_MERGE_KEEPS = {
    "patients.CareLink",
    "patients.DuplicateCandidate",
    "patients.PatientMerge",
    "patients.Patient",
    "patients.IdentityStatusChange",
    "patients.IdentityLink",
    "patients.EmergencyAccess",
}


def _moved_relations():
    """Every foreign key to Patient elsewhere (referrals, local identifiers, hospital record…):
    what a merge moves to the survivor, so all history is reachable from it."""
    for rel in Patient._meta.related_objects:
        if rel.one_to_many and rel.related_model._meta.label not in _MERGE_KEEPS:
            yield rel.related_model, rel.field.name


MERGE_REASON_MIN_LENGTH = 10


@action
def patient_merge(
    *,
    actor,
    survivor: Patient,
    merged: Patient,
    candidate: DuplicateCandidate | None = None,
    reason: str = "",
    confirmed: bool = False,
) -> PatientMerge:
    """Merge ``merged`` into ``survivor``. Nothing is deleted: the merged identity stays and
    redirects, its rows are moved (ids recorded), its care links copied, so that
    ``patient_merge_undo`` restores exactly the state before.

    Takes the identity to keep, the one merged into it, the reviewed pair if any, a reason
    (at least ``MERGE_REASON_MIN_LENGTH`` characters) and ``confirmed`` (the reviewer
    confirmed after seeing the traits side by side). Returns the PatientMerge. Raises
    ValidationError (French) without a reason or confirmation, on one identity merged with
    itself or already merged, or on two different INS matricules. A merge is an
    identitovigilance decision that must be traceable (RNIV 1, "Principes communs",
    gestion des doublons)."""
    if survivor.pk == merged.pk:
        raise ServiceError(_("Une identité ne peut pas être fusionnée avec elle-même."))
    errors = {}
    if len((reason or "").strip()) < MERGE_REASON_MIN_LENGTH:
        errors["reason"] = _(
            "Indiquez le motif de la fusion (quelques mots : les pièces ou "
            "les éléments qui montrent qu'il s'agit de la même personne)."
        )
    if not confirmed:
        errors["confirm"] = _(
            "Confirmez la fusion après avoir comparé les traits des deux identités."
        )
    if errors:
        raise ValidationError(errors)
    locked = {
        p.pk: p for p in Patient.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk])
    }
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    if survivor.merged_into_id or merged.merged_into_id:
        raise Conflict(_("L'une des identités a déjà été fusionnée."))
    undo: dict = {"moved": {}, "care_links": [], "identifiers": [], "ins": None}
    if merged.ins_nir and survivor.ins_nir and merged.ins_nir != survivor.ins_nir:
        if merged.ins_kind == "NIA" and survivor.ins_kind != "NIA":
            ident = PatientIdentifier.objects.create(
                patient=survivor,
                system=INS_NIA_SYSTEM,
                value=merged.ins_nir,
                kind=PatientIdentifier.Kind.OLD_INS,
                created_by=actor,
            )
            undo["identifiers"].append(ident.pk)
        else:
            raise ServiceError(
                _(
                    "Les deux identités portent des matricules INS "
                    "différents : gardez celle qui porte le NIR."
                )
            )
    elif merged.ins_nir and not survivor.ins_nir:
        # The matricule moves with the person (unique: clear it on the merged one first).
        undo["ins"] = {"nir": merged.ins_nir, "kind": merged.ins_kind}
        nir, kind = merged.ins_nir, merged.ins_kind
        merged.ins_nir, merged.ins_kind = "", ""
        merged.save(update_fields=["ins_nir", "ins_kind"])
        survivor.ins_nir, survivor.ins_kind = nir, kind
        survivor.save(update_fields=["ins_nir", "ins_kind"])
    for model, fk in _moved_relations():
        rows = model.objects.filter(**{fk: merged})
        ids = list(rows.values_list("pk", flat=True))
        if ids:
            model.objects.filter(pk__in=ids).update(**{fk: survivor})
            undo["moved"][f"{model._meta.label}.{fk}"] = ids
    linked = set(CareLink.objects.filter(patient=survivor).values_list("user_id", flat=True))
    for link in CareLink.objects.filter(patient=merged).exclude(user_id__in=linked):
        undo["care_links"].append(
            CareLink.objects.create(patient=survivor, user_id=link.user_id).pk
        )
    # Who could use the merged identity may use the survivor (and see no more of it).
    undo["identity_links"] = []
    found = set(IdentityLink.objects.filter(patient=survivor).values_list("user_id", flat=True))
    for identity_link in IdentityLink.objects.filter(patient=merged).exclude(user_id__in=found):
        undo["identity_links"].append(
            IdentityLink.objects.create(patient=survivor, user_id=identity_link.user_id).pk
        )
    if undo["ins"]:
        # The survivor gets its INS matricule from the merged identity.
        identity_hooks_run(actor=actor, patient=survivor)
    now = timezone.now()
    merged.merged_into, merged.merged_at = survivor, now
    merged.save(update_fields=["merged_into", "merged_at"])
    if candidate is not None:
        candidate.state = DuplicateCandidate.State.MERGED
        candidate.decided_by, candidate.decided_at = actor, now
        candidate.save(update_fields=["state", "decided_by", "decided_at"])
    merge = PatientMerge.objects.create(
        survivor=survivor,
        merged=merged,
        candidate=candidate,
        by=actor,
        at=now,
        reason=reason[:300],
        undo=undo,
    )
    for pid in (survivor.pk, merged.pk):
        audit_log(
            user=actor,
            action="merge",
            obj=merge,
            patient_id=pid,
            detail=f"fusion {merged.pk} → {survivor.pk} {reason}".strip(),
        )
    return merge


@action
def patient_merge_undo(*, actor, merge: PatientMerge, reason: str = "") -> PatientMerge:
    """Separate again two identities merged by mistake, moving back exactly what moved."""

    merge = PatientMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise Conflict(_("Cette fusion a déjà été annulée."))
    locked = {
        p.pk: p
        for p in Patient.objects.select_for_update().filter(
            pk__in=[merge.survivor_id, merge.merged_id]
        )
    }
    survivor, merged = locked[merge.survivor_id], locked[merge.merged_id]
    if survivor.merged_into_id is not None:
        raise Conflict(
            _(
                "L'identité conservée a depuis été fusionnée à son tour : "
                "annulez d'abord cette fusion-là."
            )
        )
    undo = merge.undo
    for key, ids in undo.get("moved", {}).items():
        label, fk = key.rsplit(".", 1)
        model = apps.get_model(label)
        model.objects.filter(pk__in=ids, **{fk: survivor}).update(**{fk: merged})
    CareLink.objects.filter(pk__in=undo.get("care_links", [])).delete()
    IdentityLink.objects.filter(pk__in=undo.get("identity_links", [])).delete()
    PatientIdentifier.objects.filter(pk__in=undo.get("identifiers", [])).delete()
    if undo.get("ins"):
        survivor.ins_nir, survivor.ins_kind = "", ""
        survivor.save(update_fields=["ins_nir", "ins_kind"])
        merged.ins_nir, merged.ins_kind = undo["ins"]["nir"], undo["ins"]["kind"]
    merged.merged_into, merged.merged_at = None, None
    merged.save(update_fields=["merged_into", "merged_at", "ins_nir", "ins_kind"])
    merge.undone_at, merge.undone_by = timezone.now(), actor
    merge.save(update_fields=["undone_at", "undone_by"])
    if merge.candidate_id:
        DuplicateCandidate.objects.filter(pk=merge.candidate_id).update(
            state=DuplicateCandidate.State.OPEN, decided_by=None, decided_at=None
        )
    for pid in (survivor.pk, merged.pk):
        audit_log(
            user=actor,
            action="unmerge",
            obj=merge,
            patient_id=pid,
            detail=f"annulation de la fusion {merged.pk} → {survivor.pk} {reason}".strip(),
        )
    return merge


PATIENT_INTEROP_FIELDS = (
    "birthplace_city",
    "birthplace_country",
    "phone_use",
    "address_use",
    "address_country",
)


@action
def patient_interop_record(*, actor, patient: Patient, **fields) -> Patient:
    """Keep on a *new* identity what the creating system sent and the form does not ask for
    (FR Core Patient: birthplace town and country, the ``use`` of its phone and address —
    issue 21, no silent loss). ``fields`` are among ``PATIENT_INTEROP_FIELDS`` (strings).
    Only the given fields are written; audited. Raises ``ValueError`` for another name."""
    unknown = set(fields) - set(PATIENT_INTEROP_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    if not fields:
        return patient
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    for name, value in fields.items():
        setattr(locked, name, value)
        setattr(patient, name, value)
    locked.save(update_fields=sorted(fields))
    audit_log(
        user=actor,
        action="update",
        obj=locked,
        patient_id=locked.pk,
        detail="éléments FHIR conservés : " + ", ".join(sorted(fields)),
    )
    return patient


@action
def patient_create_with_interop(
    *,
    actor,
    identifiers: Sequence[tuple[str, str, str, Any]] = (),
    kept: dict | None = None,
    validated_with: str = "",
    **traits: Any,
) -> PatientResult:
    """``patient_create_with_identifiers`` (the traits, then each local identifier: system,
    value, kind, issuing organisation); for a *new* identity only (a known one is never
    written), the elements ``kept`` (``patient_interop_record``) and, with
    ``validated_with`` (an IDENTITY_DOCUMENTS key: the sender checked that document), the
    status VALI as the page's « valider l'identité » sets it (``patient_set_status``). All or
    nothing (FHIR Patient create, issue 21). Returns the PatientResult; raises what they
    raise."""
    result = patient_create_with_identifiers(actor=actor, identifiers=identifiers, **traits)
    if result.created:
        patient_interop_record(actor=actor, patient=result.patient, **(kept or {}))
        if validated_with:
            patient_set_status(
                actor=actor, patient=result.patient, status="VALI", document=validated_with
            )
            result.patient.refresh_from_db()
    return result
