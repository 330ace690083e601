"""Importing lab result files and attaching waiting reports (one transaction each)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.accounts.models import Role, User
from parcours.audit.services import audit_batch, audit_log
from parcours.lib.identity import CERTAIN, Identity
from parcours.lib.labs import LabReport as ParsedReport
from parcours.lib.labs import parse_file
from parcours.lib.text import ins_form
from parcours.patients.matching import find_matches
from parcours.patients.models import CareLink, Patient

from .models import LabImport, LabReport, LabResult


@dataclass
class ImportOutcome:
    lab_import: LabImport
    created: bool  # False: the same file was imported before, nothing new was written
    matched: int = 0
    pending: int = 0


def _prescriber(parsed: ParsedReport, uploader) -> User | None:
    """The GP the results are for: the GP who uploads their own file; else the file's
    prescriber code as an RPPS (or idNatPs), else a GP whose name the file gives."""
    if uploader is not None and uploader.has_role(Role.GP):
        return uploader
    code = parsed.prescriber_code.strip()
    rpps = code[1:] if len(code) == 12 and code.startswith("8") else code
    gps = User.objects.filter(memberships__role=Role.GP, is_active=True).distinct()
    if rpps.isdigit() and len(rpps) == 11:
        found = gps.filter(rpps=rpps).first()
        if found:
            return found
    words = set(ins_form(parsed.prescriber_name).split())
    named = [u for u in gps.only("id", "last_name", "first_name")
             if u.last_name and ins_form(u.last_name) in words]
    return named[0] if len(named) == 1 else None


def _identify(parsed: ParsedReport) -> Patient | None:
    p = parsed.patient
    query = Identity(birth_name=ins_form(p.family), given_names=ins_form(p.given),
                     birth_date=p.birth_date, sex=p.sex if p.sex in ("F", "M") else "",
                     ins=p.nir if len(p.nir) == 15 else "")
    matches = find_matches(query, minimum="probable")
    # Only a certain match attaches results on its own (identitovigilance): a probable one
    # waits for a person.
    certain = [m for m in matches if m.match.grade == CERTAIN]
    if len(certain) == 1:
        return Patient.objects.get(pk=certain[0].patient.pk)
    return None


def _store(lab_import: LabImport, parsed: ParsedReport, *, prescriber, actor) -> LabReport:
    patient = _identify(parsed)
    p = parsed.patient
    report = LabReport.objects.create(
        lab_import=lab_import, patient=patient, prescriber=prescriber,
        match=LabReport.Match.MATCHED if patient else LabReport.Match.PENDING,
        family=p.family[:100], given=p.given[:100], birth_date=p.birth_date, sex=p.sex[:1],
        nir=p.nir[:15], lab_name=(parsed.lab_name or parsed.lab_code)[:200],
        prescriber_label=(parsed.prescriber_name or parsed.prescriber_code)[:200],
        report_date=parsed.report_date, text=parsed.text, abnormal_count=parsed.abnormal_count,
        matched_at=timezone.now() if patient else None)
    LabResult.objects.bulk_create(LabResult(
        report=report, position=i, code=r.code[:50], code_system=r.code_system[:20],
        label=r.label[:200], value=r.value[:200], unit=r.unit[:50], low=r.low[:30],
        high=r.high[:30], range_text=r.range_text[:60], flag=r.flag[:4], abnormal=r.abnormal,
        status=r.status[:4], observed_at=r.at, comment=r.comment)
        for i, r in enumerate(parsed.results))
    if patient is not None:
        _delivered(report, actor=actor)
    return report


def _to_mailbox(report: LabReport) -> None:
    """The prescriber receives the results as a message from the lab (signed by the platform),
    abnormal values first, filed on the patient (which also notifies them)."""
    from parcours.messaging.models import Message
    from parcours.messaging.services import message_send

    results = list(report.results.all())
    abnormal = [r for r in results if r.abnormal]
    lines = []
    if abnormal:
        lines.append(_("Valeurs anormales :"))
        lines += [f"  ! {r.label} : {r.value} {r.unit} ({r.reference_range or r.flag})".rstrip()
                  for r in abnormal]
        lines.append("")
    lines.append(_("%(n)s analyse(s) ; le tableau complet est ci-dessous.") % {
        "n": len(results)})
    date = f"{report.report_date:%d/%m/%Y}" if report.report_date else ""
    message_send(sender=None, sender_label=report.lab_name or _("Laboratoire"),
                 subject=_("Résultats de biologie du %(d)s") % {"d": date} if date
                 else _("Résultats de biologie"),
                 body="\n".join(lines), to=[report.prescriber], patient=report.patient,
                 kind=Message.Kind.LAB, lab_report=report)


def _delivered(report: LabReport, *, actor) -> None:
    """The report is on its patient: the prescriber may see the patient and is told."""
    if report.prescriber_id:
        CareLink.objects.get_or_create(patient_id=report.patient_id,
                                       user_id=report.prescriber_id)
        _to_mailbox(report)
    audit_log(user=actor, action="create", obj=report, patient_id=report.patient_id,
              detail=f"résultats de biologie ({report.results.count()} analyse(s))")


def lab_import_file(*, data: bytes, file_name: str, actor=None,
                    channel: str = "command") -> ImportOutcome:
    """Import one file: every report it holds, or nothing (LabParseError from the parser,
    with the line and the reason). The same file twice creates nothing new."""
    digest = hashlib.sha256(data).hexdigest()
    existing = LabImport.objects.filter(sha256=digest).first()
    if existing is not None:
        return ImportOutcome(existing, created=False)
    fmt, reports = parse_file(data)
    try:
        with transaction.atomic(), audit_batch():
            lab_import = LabImport.objects.create(sha256=digest, file_name=file_name[:255],
                                                  format=fmt, channel=channel,
                                                  imported_by=actor)
            outcome = ImportOutcome(lab_import, created=True)
            for parsed in reports:
                report = _store(lab_import, parsed, prescriber=_prescriber(parsed, actor),
                                actor=actor)
                if report.patient_id:
                    outcome.matched += 1
                else:
                    outcome.pending += 1
                    audit_log(user=actor, action="create", obj=report,
                              detail="résultats en attente d'identification")
    except IntegrityError:  # the same file imported at the same instant by someone else
        return ImportOutcome(LabImport.objects.get(sha256=digest), created=False)
    return outcome


def lab_report_attach(*, actor, report: LabReport, patient: Patient) -> LabReport:
    """An identitovigilance reviewer attaches a waiting report to the right identity."""
    with transaction.atomic(), audit_batch():
        r = LabReport.objects.select_for_update().get(pk=report.pk)
        if r.match != LabReport.Match.PENDING:
            raise ValueError(_("Ce compte rendu est déjà rattaché à un patient."))
        r.patient, r.match = patient, LabReport.Match.MATCHED
        r.matched_at, r.matched_by = timezone.now(), actor
        r.save(update_fields=["patient", "match", "matched_at", "matched_by"])
        _delivered(r, actor=actor)
    return r
