"""HL7 v2 result messages (ORU^R01, and ORU^R30–R32) → one report per patient.

Structure (HL7 v2.5 ch. 2 and 7, IHE PAM-FR for the French PID):
- A file holds one or more messages, each starting with MSH. Batch envelopes (FHS, BHS, BTS,
  FTS) are skipped: one report per patient of each MSH. MLLP framing bytes are removed before
  (``read.parse_text``).
- MSH-9 must be a result message: ORU with trigger R01 (unsolicited result), R30, R31 or R32
  (point-of-care results, same PID/OBR/OBX segments); ORU with no trigger (v2.1 files) is
  read as R01. Anything else (SIU, ADT, ORM, ACK, MDM, OUL…) is refused with its name. OUL
  (lab automation, specimen-oriented) is refused on purpose: its OBX may describe a specimen
  rather than a patient result.
- ORU^R01's PATIENT_RESULT group repeats: every PID starts a new report with its own OBR/OBX,
  so results never cross from one patient to the next. OBR/OBX before any PID is refused.
- Separators and the escape character come from MSH-1/MSH-2. Fields, repetitions, components
  and sub-components are split first, escapes decoded in each leaf.

Fields (HL7 v2.5): PID-3 identifiers (INS by its OID, PI local number), PID-5 names (PAM-FR
types L birth name, D used name, any order), PID-7 birth, PID-8 sex, PID-19 NIR (older French
senders), PID-32 identity reliability; OBR-3/OBR-2 file number, OBR-7 date, OBR-16 (else
ORC-12) prescriber; OBX-2 type, OBX-3 code (alternate triplet 4-6 when the first is empty),
OBX-5 value by type, OBX-6 unit, OBX-7 range, OBX-8 flag, OBX-11 status, OBX-14 date; NTE after
an OBX comments it.
"""

from __future__ import annotations

import re

from stdnum.fr import nir as stdnum_nir

from .dates import parse_date, parse_datetime
from .model import ABNORMAL, CRITICAL, LabParseError, LabPatient, LabReport, LabResult
from .values import comparator_value, hl7_flag, number, parse_range

RESULT_EVENTS = {"R01", "R30", "R31", "R32", ""}
_BATCH = {"FHS", "BHS", "BTS", "FTS"}
_SEGMENT_ID = re.compile(r"^[A-Z][A-Z0-9]{2}$")
_MESSAGE_NAMES = {
    "SIU": "un rendez-vous",
    "ADT": "un mouvement de patient",
    "ORM": "une demande d'examen",
    "OML": "une demande d'examen",
    "ACK": "un accusé de réception",
    "MDM": "un document",
    "OUL": "un message d'automate de laboratoire",
    "QRY": "une requête",
    "DFT": "une facture",
    "MFN": "une mise à jour de référentiel",
    "ORR": "une réponse à une demande",
    "RDE": "une prescription de médicament",
    "VXU": "une vaccination",
}
# INS matricule in PID-3 (ANS, « Guide d'implémentation de l'INS dans les standards d'interop »;
# IHE PAM-FR): assigning authority universal id, or the older ASIP namespaces; type code INS.
INS_OIDS = {"1.2.250.1.213.1.4.8": "NIR", "1.2.250.1.213.1.4.9": "NIA"}
INS_NAMESPACES = {"ASIP-SANTE-INS-NIR": "NIR", "ASIP-SANTE-INS-NIA": "NIA"}
# The INS-NIR / INS-NIA OIDs of test data sets (FR Core INS-NIR-TEST; ANS test identities): a
# number under them is no one's INS in production, so it is neither matched nor stored.
INS_TEST_OIDS = {"1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11"}
IDENTITY_STATUSES = {"PROV", "VALI", "RECUP", "QUAL"}
_CODED_TYPES = {"CE", "CWE", "CNE", "CF"}
_DOCUMENT_TYPES = {"ED", "RP"}  # encapsulated data, reference pointer (HL7 v2.5 §2.A.24, .66)
# OBX-11 (table 0085) statuses with no value expected: X "results cannot be obtained",
# I "specimen in lab, result pending"; N "not asked" and O "order detail only" carry no result.
_NO_VALUE = {"X": "résultat impossible à obtenir", "I": "résultat en attente"}
_NOT_A_RESULT = {"N", "O"}
_SEX = {"F": "F", "M": "M", "A": "I", "O": "I", "I": "I"}


class _Separators:
    def __init__(self, field: str, encoding: str, line: int):
        default = "^~\\&"  # a short MSH-2 (v2.1 files without sub-components) keeps the rest
        chars = encoding[:4] + default[len(encoding[:4]) :]
        self.field, self.component, self.repetition, self.escape, self.sub = (
            field,
            chars[0],
            chars[1],
            chars[2],
            chars[3],
        )
        if len({field, *chars}) != 5 or any(c.isalnum() or c.isspace() for c in (field, *chars)):
            raise LabParseError(line, "séparateurs HL7 (MSH-1, MSH-2) illisibles")


class _Segment:
    """One segment split on the message's separators; ``get(i, comp, rep, sub)`` gives a leaf,
    unescaped and stripped, '' when absent. Field numbers are HL7's (MSH-9 is ``get(9)``)."""

    def __init__(self, line: int, text: str, seps: _Separators):
        self.line, self.seps = line, seps
        self.id = text[:3]
        if self.id == "MSH":
            self.fields = ["MSH", seps.field, *text[4:].split(seps.field)]
        else:
            self.fields = text.split(seps.field)

    def raw(self, i: int) -> str:
        return self.fields[i] if i < len(self.fields) else ""

    def reps(self, i: int) -> list[str]:
        raw = self.raw(i)
        return [raw] if self.id == "MSH" and i == 2 else raw.split(self.seps.repetition)

    def comps(self, i: int, rep: int = 0) -> list[str]:
        reps = self.reps(i)
        return reps[rep].split(self.seps.component) if rep < len(reps) else []

    def get(self, i: int, comp: int = 0, rep: int = 0, sub: int = 0) -> str:
        comps = self.comps(i, rep)
        if comp >= len(comps):
            return ""
        subs = comps[comp].split(self.seps.sub)
        return unescape(subs[sub], self.seps.escape).strip() if sub < len(subs) else ""


def _split(lines: list[str]) -> list[list[tuple[int, str]]]:
    """Messages as lists of (line number, segment text); batch segments dropped."""
    messages: list[list[tuple[int, str]]] = []
    for n, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text:
            continue
        seg_id = text[:3].upper()
        if seg_id in _BATCH:
            continue
        if not _SEGMENT_ID.match(seg_id) or (len(text) > 3 and text[3].isalnum()):
            raise LabParseError(n, f"segment HL7 illisible « {text[:12]} »")
        if seg_id == "MSH":
            messages.append([(n, text)])
        elif not messages:
            raise LabParseError(n, "segment avant l'en-tête MSH")
        else:
            messages[-1].append((n, text))
    return messages


def parse(lines: list[str]) -> list[LabReport]:
    """Reports of every message of the file (one per PID); LabParseError(line, reason)."""
    reports: list[LabReport] = []
    for message in _split(lines):
        reports += _message(message)
    if not reports:
        raise LabParseError(0, "aucun message HL7 (MSH) dans le fichier")
    return reports


def _message(segments: list[tuple[int, str]]) -> list[LabReport]:
    first, msh_text = segments[0]
    if len(msh_text) < 8:
        raise LabParseError(first, "en-tête MSH trop court")
    seps = _Separators(msh_text[3], msh_text[4:].split(msh_text[3], 1)[0], first)
    msh = _Segment(first, msh_text, seps)
    kind, event = msh.get(9, 0).upper(), msh.get(9, 1).upper()
    if not event and "_" in kind:  # "ORU_R01" written as the type (the structure's name)
        kind, event = kind.split("_", 1)
    if not kind:
        raise LabParseError(first, "type de message absent (MSH-9)")
    if kind != "ORU" or event not in RESULT_EVENTS:
        what = _MESSAGE_NAMES.get(kind, "autre chose qu'un résultat d'analyses")
        raise LabParseError(
            first,
            f"message HL7 {kind}^{event} refusé : c'est {what} ; seuls "
            "les résultats d'analyses (ORU^R01) sont importés",
        )
    lab_code = msh.get(4, 0)
    lab_name = msh.get(4, 1) or msh.get(3, 0)
    reports: list[LabReport] = []
    preamble: list[str] = []  # NTE before the first PID: a note on the whole message
    report: LabReport | None = None
    in_order = False  # an OBR/ORC seen since the last OBX (an NTE then describes the order)
    for n, text in segments[1:]:
        if text[3:4] and text[3] != seps.field:
            raise LabParseError(n, "séparateur de champ différent de celui de MSH")
        seg = _Segment(n, text, seps)
        if seg.id == "PID":
            report = LabReport(
                format="hl7v2",
                first_line=n,
                patient=_patient(seg),
                lab_code=lab_code,
                lab_name=lab_name,
            )
            reports.append(report)
            in_order = False
        elif seg.id in ("OBR", "ORC", "OBX"):
            if report is None:
                raise LabParseError(n, f"segment {seg.id} avant le patient (PID)")
            if seg.id == "OBX" and seg.get(2).upper() in _DOCUMENT_TYPES:
                # An encapsulated document (often the PDF of the report): not a result value.
                what = seg.get(5, 2) or seg.get(5, 1) or seg.get(2).upper()  # ED-3 subtype
                report.text = f"{report.text}\n[document joint non importé : {what}]".strip()
            elif seg.id == "OBX":
                result = _result(seg)
                if result is not None:
                    report.results.append(result)
                in_order = False
            else:
                _order(report, seg)
                in_order = True
        elif seg.id == "NTE":
            note = "\n".join(_text_value(seg, 3))
            if report is None:
                preamble.append(note)
            elif report.results and not in_order:
                last = report.results[-1]
                last.comment = f"{last.comment}\n{note}".strip()
            else:
                report.text = f"{report.text}\n{note}".strip()
        # Other segments (PD1, PV1, SPM, TQ1, Z-segments…) carry nothing we store.
    if not reports:
        raise LabParseError(first, "segment PID (patient) absent")
    if preamble and any(p.strip() for p in preamble):
        if len(reports) > 1:
            raise LabParseError(
                first,
                "commentaire (NTE) avant le premier patient d'un message "
                "à plusieurs patients : impossible de savoir à qui il "
                "s'applique",
            )
        reports[0].text = "\n".join([*preamble, reports[0].text]).strip()
    for report in reports:
        if not report.results and not report.text:
            raise LabParseError(report.first_line, "patient sans résultat (OBX)")
    return reports


def _patient(pid: _Segment) -> LabPatient:
    patient = LabPatient()
    local: list[tuple[bool, str]] = []
    # PID-3: every repetition; the INS by its assigning authority, the local number (PI).
    for rep in range(len(pid.reps(3))):
        value = pid.get(3, 0, rep)
        if not value:
            continue
        namespace, oid = pid.get(3, 3, rep, 0).upper(), pid.get(3, 3, rep, 1)
        id_type = pid.get(3, 4, rep).upper()
        if oid in INS_TEST_OIDS:
            continue
        # The OID decides when there is one; the namespace only without it.
        kind = INS_OIDS.get(oid) if oid else INS_NAMESPACES.get(namespace)
        if kind and id_type in ("INS", "NH", ""):
            nir = value.replace(" ", "").upper()
            if not stdnum_nir.is_valid(nir):
                raise LabParseError(
                    pid.line,
                    f"matricule INS invalide « {value[:20]} » (PID-3) "
                    ": 15 caractères et clé de contrôle attendus",
                )
            if not patient.ins_kind or (patient.ins_kind == "NIA" and kind == "NIR"):
                patient.nir, patient.ins_kind = nir, kind
        else:
            local.append((id_type != "PI", value))
    # The PI (patient internal identifier) first, else the first other number.
    patient.local_id = next((v for not_pi, v in local if not not_pi), local[0][1] if local else "")
    if not patient.nir:  # PID-19 (SSN, withdrawn in v2.7): the NIR some French senders print
        ssn = pid.get(19).replace(" ", "").upper()
        if stdnum_nir.is_valid(ssn):
            patient.nir = ssn
    # PID-5 names: PAM-FR name type L = birth name, D = used name, in any order.
    names = [[pid.get(5, c, rep) for c in range(7)] for rep in range(len(pid.reps(5)))]
    names = [n for n in names if any(n[:3])]
    birth = next((n for n in names if n[6].upper() == "L"), None)
    used = next((n for n in names if n[6].upper() == "D"), None)
    if birth is None:
        birth = next((n for n in names if n[6].upper() != "D"), used)
    if birth is None or not birth[0]:
        raise LabParseError(pid.line, "nom du patient absent (PID-5)")
    patient.family = birth[0]
    patient.given = birth[1] or (used[1] if used else "")
    more = birth[2]
    # PAM-FR (INS): XPN-3 is the full list of birth given names ("PAUL ANDRE"); in HL7's
    # international use it is the second and further given names: then the list is XPN-2 + 3.
    first_given = patient.given.split()[0] if patient.given.split() else ""
    if more and first_given and more.split()[0] != first_given:
        patient.birth_given_names = f"{patient.given} {more}"
    else:
        patient.birth_given_names = more or patient.given
    if used is not None and used is not birth:
        patient.used_name = used[0]
    patient.birth_date = parse_date(pid.get(7), pid.line, "date de naissance (PID-7)")
    patient.sex = _SEX.get(pid.get(8).upper()[:1], "")
    # PID-32 (repeatable). Some senders write it one field late (PID-33 is a time stamp, so a
    # status code found there cannot be anything else): read there when PID-32 is empty.
    for field in (32, 33):
        statuses = [pid.get(field, 0, rep).upper() for rep in range(len(pid.reps(field)))]
        status = next((s for s in statuses if s in IDENTITY_STATUSES), "")
        if status:
            patient.identity_status = status
            break
        if any(statuses):
            break
    return patient


def _order(report: LabReport, seg: _Segment) -> None:
    """OBR (or ORC): prescriber, file number, date — the first one given wins."""
    doctor_field = 16 if seg.id == "OBR" else 12
    for rep in range(len(seg.reps(doctor_field))):
        code = seg.get(doctor_field, 0, rep)
        name = " ".join(
            p for p in (seg.get(doctor_field, 2, rep), seg.get(doctor_field, 1, rep)) if p
        )
        if (code or name) and not (report.prescriber_code or report.prescriber_name):
            report.prescriber_code, report.prescriber_name = code, name
    if seg.id == "OBR":
        report.file_number = report.file_number or seg.get(3) or seg.get(2)
        if report.report_date is None:
            report.report_date = parse_date(seg.get(7), seg.line, "date de prélèvement (OBR-7)")


def _text_value(seg: _Segment, i: int) -> list[str]:
    """Every repetition of a text field, formatting escapes decoded (one line each)."""
    reps = seg.reps(i)
    # Text types have no components: a stray trailing component separator is dropped.
    return [unescape(rep.rstrip(seg.seps.component), seg.seps.escape).rstrip() for rep in reps]


def _result(seg: _Segment) -> LabResult | None:
    n = seg.line
    code, label, system = seg.get(3, 0), seg.get(3, 1), seg.get(3, 2)
    if not code and not label:  # the first triplet empty: the alternate one (OBX-3.4-6)
        code, label, system = seg.get(3, 3), seg.get(3, 4), seg.get(3, 5)
    label = label or code
    if not label:
        raise LabParseError(n, "résultat OBX sans code ni libellé (OBX-3)")
    vtype = seg.get(2).upper()
    status = seg.get(11).upper()
    result = LabResult(
        code=code,
        label=label,
        code_system=system,
        kind=vtype,
        unit=seg.get(6, 0) or seg.get(6, 1),
        flag=_flag(seg),
        status=status,
        at=parse_datetime(seg.get(14), n, "date du résultat (OBX-14)"),
    )
    range_text = seg.get(7)
    result.range_text = range_text
    result.low, result.high = parse_range(range_text)
    if vtype == "SN":
        _structured_numeric(seg, result)
    elif vtype in _CODED_TYPES:
        texts, codes = [], []
        for rep in range(len(seg.reps(5))):
            text = (
                seg.get(5, 1, rep) or seg.get(5, 4, rep) or seg.get(5, 0, rep) or seg.get(5, 3, rep)
            )
            if text:
                texts.append(text)
                codes.append(
                    (
                        seg.get(5, 0, rep) or seg.get(5, 3, rep),
                        seg.get(5, 2, rep) if seg.get(5, 0, rep) else seg.get(5, 5, rep),
                    )
                )
        result.value = ", ".join(texts)
        if codes:
            result.value_code, result.value_code_system = codes[0]
    elif vtype != "NM":
        lines = _text_value(seg, 5)
        if vtype in ("TX", "FT", ""):
            result.value = "\n".join(lines).strip("\n")
        else:
            result.value = "\n".join(line.strip() for line in lines).strip()
        if vtype not in ("TX", "FT"):
            result.comparator, result.number = comparator_value(result.value)
    else:  # NM
        result.value = seg.get(5)
        # A word in an NM field ("non fait") is kept as the text the GP reads.
        result.comparator, result.number = comparator_value(result.value)
    if not result.value.strip():
        if status in _NOT_A_RESULT:
            return None
        if status in _NO_VALUE:
            result.value = _NO_VALUE[status]
        elif vtype in ("TX", "FT", "ST", ""):
            return None  # an empty line of a text report
        else:
            raise LabParseError(
                n,
                f"résultat « {label[:40]} » sans valeur (OBX-5) ; seul un "
                "statut X (impossible) ou I (en attente) l'autorise",
            )
    return result


def _flag(seg: _Segment) -> str:
    """OBX-8 repeats (v2.5): the most serious of its flags (critical, then abnormal, then
    normal), so that "D~HH" (a delta and a panic value) stays critical."""
    flags = [hl7_flag(seg.get(8, 0, rep)) for rep in range(len(seg.reps(8)))]

    def weight(flag: str) -> int:
        return 3 if flag in CRITICAL else 2 if flag in ABNORMAL else 1 if flag else 0

    return max(flags, key=weight, default="")


def _structured_numeric(seg: _Segment, result: LabResult) -> None:
    """SN (HL7 v2.5 §2.A.73): comparator ^ num1 ^ separator/suffix ^ num2. Shown as "< 5",
    "1:128", "10-20", "2+"; LabParseError when num1 is no number."""
    comparator, num1, separator, num2 = (seg.get(5, i) for i in range(4))
    if not (comparator or num1 or separator or num2):
        return
    if comparator not in ("", "<", ">", "<=", ">=", "=", "<>"):
        raise LabParseError(seg.line, f"comparateur SN inconnu « {comparator[:5]} » (OBX-5)")
    n1, n2 = number(num1), number(num2)
    if (num1 and not n1) or (num2 and not n2) or separator not in ("", "-", "+", "/", ".", ":"):
        raise LabParseError(seg.line, "valeur SN illisible (OBX-5)")
    result.comparator = "" if comparator == "=" else comparator
    result.number, result.separator, result.number2 = n1, separator, n2
    shown = (
        f"{num1}{separator}{num2}"
        if separator in (":", "/", "-", ".") and num2
        else f"{num1}{separator}"
    )
    result.value = f"{result.comparator} {shown}".strip()


_FORMATTING = re.compile(r"^\.(br|sp|in|ti|sk|ce|fi|nf)\s*([+-]?\d*)$")


def unescape(value: str, escape: str = "\\") -> str:
    """HL7 escape sequences (v2.5 §2.7): \\F\\ \\S\\ \\T\\ \\R\\ \\E\\ (separators), \\Xhh…\\
    (bytes), \\H\\ \\N\\ (highlight, dropped), \\Zxx\\ \\Cxx\\ \\Mxx\\ (dropped), and the
    formatted-text commands (§2.7.6): \\.br\\ and \\.ce\\ new line, \\.sp n\\ n new lines,
    \\.sk n\\ n spaces, \\.in\\ \\.ti\\ \\.fi\\ \\.nf\\ dropped. An unknown or unterminated
    sequence is dropped. Total: never raises."""
    if escape not in value:
        return value
    out: list[str] = []
    i = 0
    while i < len(value):
        char = value[i]
        end = value.find(escape, i + 1) if char == escape else -1
        if end == -1:
            out.append(char if char != escape else "")
            i += 1
            continue
        code = value[i + 1 : end]
        simple = {"F": "|", "S": "^", "T": "&", "R": "~", "E": escape}
        formatting = _FORMATTING.match(code)
        if code in simple:
            out.append(simple[code])
        elif formatting:
            command, count = formatting.groups()
            times = max(1, min(int(count), 20)) if count.lstrip("+-").isdigit() else 1
            if command in ("br", "ce"):
                out.append("\n")
            elif command == "sp":
                out.append("\n" * times)
            elif command == "sk":
                out.append(" " * times)
        elif code[:1] == "X" and len(code) > 1:
            try:
                raw = bytes.fromhex(code[1:])
                try:
                    out.append(raw.decode("utf-8"))
                except UnicodeDecodeError:
                    out.append(raw.decode("cp1252", errors="replace"))
            except ValueError:
                pass
        i = end + 1
    return "".join(out)
