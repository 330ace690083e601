"""HPRIM Santé 2.x (ASTM E1238 lineage): records H, P, OBR, OBX, C, A, L.

Field numbers are the specification's (record type = field 1): H.2 separators, H.5 sender
(lab), H.7 message type, H.10 receiver (the prescriber), H.13 version, H.14 date; P.3/P.4
patient numbers, P.6 name (name~given names), P.7 birth name, P.8 birth date, P.9 sex;
OBR.8 collection date, OBR.17 prescriber; OBX.3 type, OBX.4 code~label~system, OBX.6 value,
OBX.7 unit, OBX.8 range, OBX.9 flag, OBX.12 status, OBX.15 date; C.4 comment text.

- The separators are declared in H.2 right after the "H" (``H|~^\\&|``, ``H|\\^&~|``…): the
  field separator, then the component/repetition characters. Files disagree on which of the
  first two splits code from label and family from given name, so both are accepted for that.
- An ``A`` record continues the previous record (records were cut at a fixed length): its
  content is joined to the previous record's text, then the whole is split into fields.
- Several patients follow one another (each P record starts a report, its OBR/OBX/C stay with
  it); several messages (H … L, H … L) may share a file.
"""

from __future__ import annotations

from .dates import parse_date, parse_datetime
from .model import FLAGS, LabParseError, LabPatient, LabReport, LabResult
from .values import comparator_value, parse_range

_NO_VALUE = {"X": "résultat impossible à obtenir", "I": "résultat en attente"}
# HPRIM Santé records that carry no result for the doctor: attached files (AP, 2.4) and the
# billing records (FAC, ACT, REG). Skipped; any other unknown record is refused.
_NOT_RESULTS = {"AP", "FAC", "ACT", "REG"}


def _separators(line: str, n: int) -> tuple[str, str]:
    if len(line) < 6 or line[0] != "H":
        raise LabParseError(n, "enregistrement H (en-tête) attendu en première ligne")
    field = line[1]
    declared = line[2 : line.index(field, 2)] if field in line[2:] else ""
    if field.isalnum() or field.isspace() or len(declared) < 2:
        raise LabParseError(n, "séparateurs de l'en-tête H illisibles")
    return field, declared[:2]


def _parts(value: str, comps: str) -> list[str]:
    for sep in comps:
        if sep in value:
            return [p.strip() for p in value.split(sep)]
    return [value.strip()]


def _records(lines: list[str], field: str) -> list[tuple[int, list[str]]]:
    """(line number, fields) of each record, A continuations joined first."""
    raw: list[tuple[int, str]] = []
    for n, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        if line[:1].upper() == "A" and line[1:2] == field:
            if not raw:
                raise LabParseError(n, "suite (A) sans enregistrement précédent")
            raw[-1] = (raw[-1][0], raw[-1][1] + line[2:])
            continue
        raw.append((n, line))
    return [(n, text.split(field)) for n, text in raw]


def _get(fields: list[str], i: int) -> str:
    return fields[i].strip() if i < len(fields) else ""


def parse(lines: list[str]) -> list[LabReport]:
    """Reports of the file, one per P record; LabParseError(line, reason) when refused."""
    start = next((i for i, line in enumerate(lines) if line.strip()), 0)
    field, comps = _separators(lines[start].strip(), start + 1)
    records = _records(lines, field)
    reports: list[LabReport] = []
    current: LabReport | None = None
    header: dict[str, str] = {}
    ended = False
    for n, f in records:
        kind = f[0].strip().upper()
        if kind == "H":
            if header and not ended:
                raise LabParseError(n, "second en-tête H sans fin (L) du message précédent")
            new_field, comps = _separators(field.join(f).strip(), n)
            if new_field != field:
                raise LabParseError(n, "séparateur de champ différent du premier en-tête H")
            lab = _parts(_get(f, 4), comps)
            receiver = _parts(_get(f, 9), comps)  # H.10
            header = {
                "lab_code": lab[0],
                "lab_name": lab[1] if len(lab) > 1 else "",
                "prescriber_code": receiver[0],
                "prescriber_name": receiver[1] if len(receiver) > 1 else "",
            }
            current, ended = None, False
            continue
        if ended:
            raise LabParseError(
                n, "enregistrement après la fin du message (L) sans nouvel en-tête H"
            )
        if kind == "P":
            current = _patient(f, n, comps, header)
            reports.append(current)
        elif kind in ("OBR", "OBX", "C"):
            if current is None:
                raise LabParseError(n, f"enregistrement {kind} avant le patient (P)")
            if kind == "OBR":
                current.report_date = current.report_date or (
                    parse_date(_get(f, 7) or _get(f, 6), n, "date de prélèvement")
                )
                if not current.prescriber_code and not current.prescriber_name:
                    doctor = _parts(_get(f, 16), comps)  # OBR.17
                    current.prescriber_code = doctor[0]
                    # code~family~given, as HL7's XCN: shown "given family" like HL7's.
                    current.prescriber_name = " ".join(p for p in doctor[2:3] + doctor[1:2] if p)
                current.file_number = current.file_number or _get(f, 2) or _get(f, 3)
            elif kind == "OBX":
                result = _result(f, n, comps)
                if result is not None:
                    current.results.append(result)
            else:
                text = _get(f, 3)
                if current.results:
                    current.results[-1].comment = f"{current.results[-1].comment}\n{text}".strip()
                else:
                    current.text = f"{current.text}\n{text}".strip()
        elif kind == "L":
            ended = True
        elif kind in _NOT_RESULTS:
            continue
        else:
            raise LabParseError(n, f"type d'enregistrement inconnu « {f[0][:5]} »")
    if not reports:
        raise LabParseError(0, "aucun patient (enregistrement P) dans le fichier")
    for report in reports:
        if not report.results and not report.text:
            raise LabParseError(report.first_line, "patient sans résultat")
    return reports


def _patient(f: list[str], n: int, comps: str, header: dict[str, str]) -> LabReport:
    name = _parts(_get(f, 5), comps)  # P.6: name~given name~second given names
    birth_name = _parts(_get(f, 6), comps)[0]  # P.7: birth (maiden) name
    family = birth_name or name[0]
    given = name[1] if len(name) > 1 else ""
    more = name[2] if len(name) > 2 else ""
    sex = _get(f, 8).upper()[:1]
    report = LabReport(
        format="hprim_sante",
        first_line=n,
        patient=LabPatient(
            local_id=_get(f, 3) or _get(f, 2),
            family=family,
            given=given,
            birth_given_names=f"{given} {more}".strip(),
            used_name=name[0] if birth_name and name[0] != birth_name else "",
            birth_date=parse_date(_get(f, 7), n, "date de naissance"),
            sex={"F": "F", "M": "M", "I": "I", "A": "I", "O": "I"}.get(sex, ""),
        ),
        file_number=_get(f, 3),
        lab_code=header.get("lab_code", ""),
        lab_name=header.get("lab_name", ""),
        prescriber_code=header.get("prescriber_code", ""),
        prescriber_name=header.get("prescriber_name", ""),
    )
    if not report.patient.family:
        raise LabParseError(n, "nom du patient absent")
    return report


def _result(f: list[str], n: int, comps: str) -> LabResult | None:
    code = _parts(_get(f, 3), comps)
    flag = _get(f, 8).upper()
    if flag and flag not in FLAGS:
        raise LabParseError(n, f"indicateur d'anomalie inconnu « {flag[:5]} »")
    if not code[0] and len(code) < 2:
        raise LabParseError(n, "résultat sans code ni libellé")
    label = code[1] if len(code) > 1 and code[1] else code[0]
    kind, status = _get(f, 2).upper(), _get(f, 11).upper()
    raw_value = _get(f, 5)
    value_code = ""
    if kind in ("CE", "CWE") and any(c in raw_value for c in comps):
        parts = _parts(raw_value, comps)
        value_code, value = parts[0], (parts[1] if len(parts) > 1 and parts[1] else parts[0])
    else:
        value = raw_value
    if not value:
        if status in ("N", "O"):
            return None
        if status not in _NO_VALUE:
            raise LabParseError(
                n,
                f"résultat « {label[:40]} » sans valeur ; seul un statut X "
                "(impossible) ou I (en attente) l'autorise",
            )
        value = _NO_VALUE[status]
    range_text = _get(f, 7)
    low, high = parse_range(range_text)
    comparator, number = (
        comparator_value(value) if kind not in ("CE", "CWE", "TX", "FT") else ("", "")
    )
    return LabResult(
        code=code[0],
        label=label,
        code_system=code[2] if len(code) > 2 else "",
        kind=_get(f, 2),
        value=value,
        unit=_get(f, 6),
        low=low,
        high=high,
        range_text=range_text,
        flag=flag,
        status=status,
        comparator=comparator,
        number=number,
        value_code=value_code,
        at=parse_datetime(_get(f, 14), n, "date du résultat"),
    )
