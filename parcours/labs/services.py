"""Importing lab result files, attaching waiting reports and assigning their prescriber
(one transaction each).

Rules (issue 12; docs/labs.md, "Import rules"):

- every report of a file is matched to *its own* patient and *its own* prescriber: nothing is
  carried from one report to the next;
- a report attaches by itself only when its identity is certain: the number the file gives
  equals the identity's INS matricule *and* the traits agree (an INS the file declares as such
  tolerates the spellings the INS allows; a number only printed needs the exact traits);
- the prescriber is the one the file names, found by RPPS / idNatPs / ADELI in the accounts or
  the directory, never the uploader, never a name;
- critical values (HH, LL, AA) are told apart everywhere, and a critical value waiting for its
  patient or its prescriber is announced to the identitovigilance cell.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.accounts.models import Role, User
from parcours.accounts.scopes import is_territory_admin
from parcours.audit.services import audit_log
from parcours.directory.models import Practitioner
from parcours.lib.actions import action
from parcours.lib.errors import Conflict, ServiceError
from parcours.lib.identity import CERTAIN, Identity, levels, swapped
from parcours.lib.labs import LabParseError, parse_file
from parcours.lib.labs import LabPatient as ParsedPatient
from parcours.lib.labs import LabReport as ParsedReport
from parcours.lib.text import ins_form
from parcours.messaging.models import Message, Thread
from parcours.messaging.services import message_send
from parcours.notifications.services import notify
from parcours.patients.access import patient_queryset_for
from parcours.patients.matching import find_matches, identity_of
from parcours.patients.models import CareLink, Patient

from .models import LabImport, LabReport, LabResult


@dataclass
class ImportOutcome:
    """What one file gave (the import report of the upload page and of ``import-lab``)."""

    lab_import: LabImport
    created: bool  # False: the same file was imported before, nothing new was written
    reports: int = 0
    matched: int = 0
    pending: int = 0
    critical: int = 0  # reports holding at least one critical value
    unknown_prescriber: int = 0

    @property
    def encoding(self) -> str:
        return self.lab_import.encoding


# --- the prescriber ---------------------------------------------------------------------------


def prescriber_for_code(code: str) -> User | None:
    """The active user the file's prescriber identifier designates, or None.

    Takes the identifier as the file gives it: an RPPS (11 digits), an idNatPs ("8" + RPPS,
    12 digits; "0" + ADELI, 10 digits) or an ADELI number (9 digits) — the forms of the
    Annuaire Santé (docs/standards.md). Looks in ``User.rpps`` and in the directory's
    ``Practitioner`` (``rpps``, ``adeli``, ``national_id``) linked to an account. Returns None
    when nothing or more than one account answers: a name is never used (two doctors share
    one), nor the uploader.
    """
    value = re.sub(r"[\s.]", "", code or "")
    if not value.isdigit():
        return None
    rpps = adeli = ""
    if len(value) == 11:
        rpps = value
    elif len(value) == 12 and value.startswith("8"):
        rpps = value[1:]
    elif len(value) == 9:
        adeli = value
    elif len(value) == 10 and value.startswith("0"):
        adeli = value[1:]
    else:
        return None
    ids: set[int] = set()
    if rpps:
        ids |= set(User.objects.filter(rpps=rpps, is_active=True).values_list("pk", flat=True))
        ids |= set(
            Practitioner.objects.filter(rpps=rpps, user__is_active=True).values_list(
                "user_id", flat=True
            )
        )
        ids |= set(
            Practitioner.objects.filter(national_id="8" + rpps, user__is_active=True).values_list(
                "user_id", flat=True
            )
        )
    else:
        ids |= set(
            Practitioner.objects.filter(adeli=adeli, user__is_active=True).values_list(
                "user_id", flat=True
            )
        )
        ids |= set(
            Practitioner.objects.filter(national_id="0" + adeli, user__is_active=True).values_list(
                "user_id", flat=True
            )
        )
    found = {i for i in ids if i is not None}
    return User.objects.get(pk=found.pop()) if len(found) == 1 else None


# --- the patient ------------------------------------------------------------------------------


def report_traits(p) -> Identity:
    """The compared traits of a file's patient (a parsed ``LabPatient`` or a stored
    ``LabReport``), in INS form, without the number."""
    given = getattr(p, "birth_given_names", "") or p.given
    return Identity(
        birth_name=ins_form(p.family),
        given_names=ins_form(given),
        birth_date=p.birth_date,
        sex=p.sex if p.sex in ("F", "M") else "",
        used_name=ins_form(getattr(p, "used_name", "")),
    )


def _number(p) -> str:
    nir = (p.nir or "").replace(" ", "").upper()
    return nir if len(nir) == 15 else ""


# The comparison levels (lib/identity.levels) a file's traits may show against an identity
# whose INS equals the file's number. Source: the INS referential (RNIV) — a matricule is used
# only with the traits that go with it; an INS the file declares as such tolerates the
# variations the INS itself tolerates (hyphen or space in a compound name, birth / used name).
DECLARED_INS_LEVELS = {"family": {"exact", "compound", "used_name"}, "given": {"exact", "compound"}}
PRINTED_NUMBER_LEVELS = {"family": {"exact", "used_name"}, "given": {"exact"}}


def traits_agree(traits: Identity, patient, *, declared_ins: bool) -> bool:
    """Whether a file's traits agree with an identity whose INS equals the file's number.

    Takes the file's traits (``report_traits``), the identity, and whether the file declared
    the number as the INS; returns a bool. Birth date identical and sex not different (it may
    be missing from the file); names at the levels ``DECLARED_INS_LEVELS`` allow, or — for a
    number only printed — ``PRINTED_NUMBER_LEVELS`` (same first given name, same family name,
    birth or used).
    """
    if traits.birth_date is None:
        return False
    other = dataclasses.replace(identity_of(patient), ins="", ins_kind="")
    found = {trait: level for trait, (level, _reason) in levels(traits, other).items()}
    if found["birth_date"] != "exact" or found["sex"] == "other":
        return False
    allowed = DECLARED_INS_LEVELS if declared_ins else PRINTED_NUMBER_LEVELS
    return found["family"] in allowed["family"] and found["given"] in allowed["given"]


def identify(p: ParsedPatient) -> Patient | None:
    """The one identity a report attaches to by itself, or None (it waits for a person).

    Certain means: ``find_matches`` grades it certain and, when the certainty comes from the
    number, the traits agree too (``traits_agree``). Two certain identities: None.
    """
    number = _number(p)
    traits = report_traits(p)
    query = dataclasses.replace(traits, ins=number, ins_kind=p.ins_kind if number else "")
    certain = [m for m in find_matches(query, minimum="probable") if m.match.grade == CERTAIN]
    chosen = []
    for m in certain:
        if number and m.patient.ins_nir == number:
            if traits_agree(traits, m.patient, declared_ins=bool(p.ins_kind)):
                chosen.append(m)
        elif not number or not m.patient.ins_nir:
            chosen.append(m)  # the five traits agree (lib.identity.compare)
    if len(chosen) != 1:
        return None
    return Patient.objects.get(pk=chosen[0].patient.pk)


def uploader_may_attach(lab_import: LabImport, patient: Patient) -> bool:
    """Whether a report of this file may attach to ``patient`` without a reviewer.

    A file sent by the command or the demo (no uploader) or by the territory administrator
    may. A file a professional uploaded may only for a patient they already follow
    (``patient_queryset_for``): its content — patient, INS, prescriber — is whatever they
    typed, so a file naming someone else's patient (their INS and traits) and the uploader
    as prescriber would otherwise attach by itself, write invented results on that patient
    and give the uploader a care link to all their data (issue 12, "Matching never grants
    access"). Such a report waits for the identitovigilance desk instead."""

    uploader = lab_import.imported_by
    if uploader is None or is_territory_admin(uploader):
        return True
    return patient_queryset_for(uploader).filter(pk=patient.pk).exists()


# --- storing ----------------------------------------------------------------------------------


def _store(lab_import: LabImport, parsed: ParsedReport) -> LabReport:
    """One report and its results, matched to its own patient and its own prescriber."""
    p = parsed.patient
    patient = identify(p)
    if patient is not None and not uploader_may_attach(lab_import, patient):
        patient = None
    prescriber = prescriber_for_code(parsed.prescriber_code)
    critical = parsed.critical_count
    report = LabReport.objects.create(
        lab_import=lab_import,
        patient=patient,
        prescriber=prescriber,
        match=LabReport.Match.MATCHED if patient else LabReport.Match.PENDING,
        family=p.family[:100],
        given=p.given[:100],
        birth_date=p.birth_date,
        sex=p.sex[:1],
        nir=_number(p) or p.nir[:15],
        ins_kind=p.ins_kind[:3] if _number(p) else "",
        used_name=p.used_name[:100],
        birth_given_names=(p.birth_given_names or p.given)[:200],
        local_id=p.local_id[:50],
        lab_name=(parsed.lab_name or parsed.lab_code)[:200],
        prescriber_label=(parsed.prescriber_name or parsed.prescriber_code)[:200],
        prescriber_code=parsed.prescriber_code[:30],
        report_date=parsed.report_date,
        text=parsed.text,
        abnormal_count=parsed.abnormal_count,
        critical_count=critical,
        matched_at=timezone.now() if patient else None,
    )
    LabResult.objects.bulk_create(
        LabResult(
            report=report,
            position=i,
            code=r.code[:50],
            code_system=r.code_system[:20],
            label=r.label[:200],
            value=r.value[:200],
            unit=r.unit[:50],
            low=r.low[:30],
            high=r.high[:30],
            range_text=r.range_text[:60],
            flag=r.flag[:4],
            abnormal=r.abnormal,
            critical=r.critical,
            comparator=r.comparator[:2],
            number=r.number[:40],
            separator=r.separator[:1],
            number2=r.number2[:40],
            value_code=r.value_code[:50],
            value_code_system=r.value_code_system[:50],
            status=r.status[:4],
            observed_at=r.at,
            comment=r.comment,
        )
        for i, r in enumerate(parsed.results)
    )
    return report


def _result_line(r: LabResult) -> str:
    extra = "; ".join(x for x in (r.flag_label if r.flag else "", r.reference_range) if x)
    line = f"{r.label} : {r.value} {r.unit}".rstrip()
    return f"{line} ({extra})" if extra else line


def _to_mailbox(report: LabReport) -> None:
    """The prescriber receives the results as a message from the lab (signed by the platform):
    critical values first and marked as such, then the other abnormal ones, filed on the
    patient. The notification (and its e-mail) says "résultat critique" when there is one and
    never carries the patient's name nor a value (notifications.tasks: no health data)."""

    results = list(report.results.all())
    critical = [r for r in results if r.critical]
    abnormal = [r for r in results if r.abnormal and not r.critical]
    lines = []
    if critical:
        lines.append(_("RÉSULTATS CRITIQUES :"))
        lines += [f"  !! {_('CRITIQUE')} — {_result_line(r)}" for r in critical]
        lines.append("")
    if abnormal:
        lines.append(_("Valeurs anormales :"))
        lines += [f"  ! {_result_line(r)}" for r in abnormal]
        lines.append("")
    lines.append(_("%(n)s analyse(s) ; le tableau complet est ci-dessous.") % {"n": len(results)})
    day = f"{report.report_date:%d/%m/%Y}" if report.report_date else ""
    subject = (
        _("Résultats de biologie du %(d)s") % {"d": day} if day else _("Résultats de biologie")
    )
    lab = report.lab_name or _("Laboratoire")
    title = ""
    if critical:
        subject = _("Résultat critique — %(s)s") % {"s": subject}
        title = _("Résultat critique reçu (%(who)s)") % {"who": lab}
    message_send(
        sender=None,
        sender_label=lab,
        subject=subject,
        body="\n".join(lines),
        to=[report.prescriber],
        patient=report.patient,
        kind=Message.Kind.LAB,
        lab_report=report,
        notify_title=title,
    )


def _delivered(report: LabReport, *, actor, detail: str = "") -> None:
    """The report is on its patient: the prescriber (a care relationship: the prescription)
    may see the patient and is told. Without a known prescriber nobody is mailed; the report
    waits for a reviewer to name them."""
    if report.prescriber_id:
        CareLink.objects.get_or_create(patient_id=report.patient_id, user_id=report.prescriber_id)
        _to_mailbox(report)
    audit_log(
        user=actor,
        action="create",
        obj=report,
        patient_id=report.patient_id,
        detail=detail or f"résultats de biologie ({report.results.count()} analyse(s))",
    )


def _reviewers() -> list[User]:
    """Who is told that a critical value waits for its patient or prescriber: the regional
    identitovigilance cell; where none is set up, the territory administrators (the
    notification names no patient and no value)."""
    for role in (Role.IDENTITY_CELL, Role.TERRITORY_ADMIN):
        users = list(User.objects.filter(memberships__role=role, is_active=True).distinct())
        if users:
            return users
    return []


def _tell_reviewers(report: LabReport, *, actor) -> None:
    """A critical value cannot reach its prescriber (patient or prescriber unknown): urgent."""
    if not report.critical_count:
        return
    if report.patient_id is None:
        title = _("Résultat critique en attente d'identification du patient : urgent")
    else:
        title = _("Résultat critique sans prescripteur reconnu : urgent")
    notify(
        users=_reviewers(),
        kind="lab_urgent",
        title=title,
        url=reverse("labs:detail", args=[report.pk]),
        exclude=actor,
    )


@action
def lab_import_file(
    *, data: bytes, file_name: str, actor=None, channel: str = "command"
) -> ImportOutcome:
    """Import one file: every report it holds, or nothing.

    Takes the file's bytes and name, the importing user (None for the command) and the
    channel. Returns an ``ImportOutcome`` (counts of reports, matched, waiting, critical,
    unknown prescriber; the encoding). Raises ``LabParseError`` (line, French reason) for a
    file the parser refuses or a report that cannot be stored — then nothing is written (one
    transaction per file: conventions.md). The same bytes twice create nothing new.
    The uploader gains no access from uploading: reports go to the prescriber the file names.
    """
    digest = hashlib.sha256(data).hexdigest()
    existing = LabImport.objects.filter(sha256=digest).first()
    if existing is not None:
        return ImportOutcome(existing, created=False)
    fmt, reports = parse_file(data)
    encoding = next((r.encoding for r in reports if r.encoding), "")
    try:
        with transaction.atomic():  # savepoint: a refused INSERT leaves the action usable
            lab_import = LabImport.objects.create(
                sha256=digest,
                file_name=file_name[:255],
                format=fmt,
                channel=channel,
                imported_by=actor,
                encoding=encoding[:30],
            )
    except IntegrityError:  # the same file imported at the same instant by someone else
        return ImportOutcome(LabImport.objects.get(sha256=digest), created=False)
    outcome = ImportOutcome(lab_import, created=True)
    for parsed in reports:
        try:
            report = _store(lab_import, parsed)
        except (DataError, ValidationError, ValueError, TypeError) as exc:
            raise LabParseError(
                parsed.first_line,
                _("compte rendu impossible à enregistrer (%(e)s) ; rien n'a été importé")
                % {"e": str(exc)[:120]},
            ) from exc
        outcome.reports += 1
        outcome.critical += bool(report.critical_count)
        outcome.unknown_prescriber += report.prescriber_id is None
        if report.patient_id:
            outcome.matched += 1
            _delivered(report, actor=actor)
        else:
            outcome.pending += 1
            audit_log(
                user=actor,
                action="create",
                obj=report,
                detail="résultats en attente d'identification",
            )
        if report.patient_id is None or report.prescriber_id is None:
            _tell_reviewers(report, actor=actor)
    return outcome


# --- after the import -------------------------------------------------------------------------


def traits_mismatch(report: LabReport, patient: Patient) -> str:
    """Which hard trait of the file contradicts the identity, in French, or "".

    The sex (when both are known) and the birth date (when the file gives one; the day and
    month exchanged is tolerated, a common typing error the review search also finds). Names
    are left to the reviewer (used name, compound names). Source: RNIV — an identity is
    attached only when its traits agree; a reviewer's click on the wrong line must not put a
    woman born in 1939's blood count on a man born in 1979."""

    if report.sex in ("F", "M") and patient.sex in ("F", "M") and report.sex != patient.sex:
        return _("Le sexe")
    if (
        report.birth_date
        and patient.birth_date
        and report.birth_date != patient.birth_date
        and swapped(report.birth_date) != patient.birth_date
    ):
        return _("La date de naissance")
    return ""


@action
def lab_report_attach(
    *, actor, report: LabReport, patient: Patient, confirm_mismatch: bool = False, reason: str = ""
) -> LabReport:
    """An identitovigilance reviewer attaches a waiting report to the identity they chose.

    Raises ServiceError (French message; a Conflict when the report is no longer waiting),
    when the identity was merged into another, the file declared an INS the identity does not
    carry (another INS), or the file's sex or birth date contradicts the identity
    (``traits_mismatch``) and the reviewer did not confirm it with a reason
    (``confirm_mismatch``, ``reason``: a sentence of three words at least, audited). Audited;
    the prescriber, when known, is told."""
    r = LabReport.objects.select_for_update().get(pk=report.pk)
    if r.match != LabReport.Match.PENDING:
        raise Conflict(_("Ce compte rendu est déjà rattaché à un patient."))
    if patient.merged_into_id is not None:
        raise ServiceError(_("Cette identité a été fusionnée : choisissez l'identité conservée."))
    if r.ins_kind and patient.ins_nir and patient.ins_nir != r.nir:
        # The file declared an INS; another INS on the identity means another person.
        raise ServiceError(
            _(
                "Le matricule INS du fichier diffère de celui de cette "
                "identité : ce n'est pas le même patient."
            )
        )
    mismatch = traits_mismatch(r, patient)
    reason = " ".join((reason or "").split())
    if mismatch and not (confirm_mismatch and len(reason.split()) >= 3):
        raise ServiceError(
            _(
                "%(what)s du fichier diffère de celle de cette identité. "
                "Rattachez seulement si vous avez vérifié qu'il s'agit du même "
                "patient (erreur du laboratoire) : cochez la confirmation et "
                "indiquez le motif (trois mots au moins) ; sinon, demandez au "
                "laboratoire de corriger le fichier."
            )
            % {"what": mismatch}
        )
    r.patient, r.match = patient, LabReport.Match.MATCHED
    r.matched_at, r.matched_by = timezone.now(), actor
    r.save(update_fields=["patient", "match", "matched_at", "matched_by"])
    detail = "résultats rattachés par un référent d'identitovigilance"
    if mismatch:
        detail += f" malgré des traits différents ({mismatch.lower()}) : {reason[:300]}"
    _delivered(r, actor=actor, detail=detail)
    return r


DETACH_REASON_MIN_WORDS = 3


@action
def lab_report_detach(*, actor, report: LabReport, reason: str) -> LabReport:
    """Take a report off a patient it does not belong to (attached by mistake, or a file that
    named the wrong person): it goes back to the identitovigilance queue, waiting.

    Takes the professional who noticed (the caller has checked that they may see the report)
    and the reason (a sentence, three words at least). Returns the report, waiting again.
    Raises ServiceError (French) when the reason is missing, Conflict when it is not attached. The
    prescriber's mailbox message about it is unfiled from the patient; the prescriber (when
    it was not them) and the reviewers are told — urgently for a critical value. Audited on
    the patient it leaves. Source: issue 12 review (a result on the wrong patient could not
    be taken back)."""
    reason = " ".join((reason or "").split())
    if len(reason.split()) < DETACH_REASON_MIN_WORDS:
        raise ServiceError(
            _(
                "Indiquez pourquoi ce compte rendu n'est pas celui de ce patient "
                "(trois mots au moins)."
            )
        )

    r = LabReport.objects.select_for_update().get(pk=report.pk)
    if r.match != LabReport.Match.MATCHED or r.patient_id is None:
        raise Conflict(_("Ce compte rendu n'est rattaché à aucun patient."))
    former = r.patient_id
    r.patient, r.match, r.matched_at, r.matched_by = None, LabReport.Match.PENDING, None, None
    r.save(update_fields=["patient", "match", "matched_at", "matched_by"])
    Thread.objects.filter(messages__lab_report=r, patient_id=former).update(patient=None)
    audit_log(
        user=actor,
        action="update",
        obj=r,
        patient_id=former,
        detail=f"compte rendu détaché du patient {former} : {reason[:300]}",
    )
    url = reverse("labs:detail", args=[r.pk])
    title = (
        _("Résultat critique détaché de son patient : à réidentifier, urgent")
        if r.critical_count
        else _("Compte rendu de biologie détaché de son patient : à réidentifier")
    )
    notify(
        users=[*_reviewers(), *([r.prescriber] if r.prescriber_id else [])],
        kind="lab_detached",
        title=title,
        url=url,
        exclude=actor,
    )
    return r


@action
def lab_report_assign_prescriber(*, actor, report: LabReport, code: str) -> LabReport:
    """An identitovigilance reviewer names the prescriber the file did not let us recognise.

    Takes the prescriber's RPPS, idNatPs or ADELI (``prescriber_for_code``). Raises
    ServiceError (French message) when no single account answers, a Conflict when a prescriber
    is already set. Audited; once the report is on its patient, the prescriber is given the
    results."""
    prescriber = prescriber_for_code(code)
    if prescriber is None:
        raise ServiceError(_("Aucun compte ne correspond à cet identifiant (RPPS, ADELI)."))
    r = LabReport.objects.select_for_update().get(pk=report.pk)
    if r.prescriber_id is not None:
        raise Conflict(_("Ce compte rendu a déjà un prescripteur."))
    r.prescriber = prescriber
    r.save(update_fields=["prescriber"])
    audit_log(
        user=actor,
        action="update",
        obj=r,
        patient_id=r.patient_id,
        detail=f"prescripteur désigné (utilisateur {prescriber.pk})",
    )
    if r.patient_id:
        CareLink.objects.get_or_create(patient_id=r.patient_id, user_id=prescriber.pk)
        _to_mailbox(r)
    return r


@action
def lab_reports_attach_by_ins(*, actor, patient: Patient) -> list[LabReport]:
    """Identity hook (``patients.services.IDENTITY_HOOKS``), run in the transaction that
    creates an identity or gives it its INS: the waiting reports whose file declared this very
    INS matricule (``ins_kind`` set, not a number only printed) and whose traits agree
    (``traits_agree``: birth date, sex, names) attach by themselves, each with an audit row,
    and their prescriber is told. A report whose traits disagree keeps waiting.
    Returns the reports attached."""
    if not patient.ins_nir or patient.merged_into_id is not None:
        return []
    attached = []
    waiting = (
        LabReport.objects.select_for_update()
        .filter(match=LabReport.Match.PENDING, nir=patient.ins_nir)
        .exclude(ins_kind="")
    )
    for r in waiting:
        if not traits_agree(report_traits(r), patient, declared_ins=True):
            continue
        if not uploader_may_attach(r.lab_import, patient):
            continue
        r.patient, r.match, r.matched_at = patient, LabReport.Match.MATCHED, timezone.now()
        r.save(update_fields=["patient", "match", "matched_at"])
        _delivered(
            r,
            actor=actor,
            detail="résultats en attente rattachés par le matricule INS de l'identité créée",
        )
        attached.append(r)
    return attached
