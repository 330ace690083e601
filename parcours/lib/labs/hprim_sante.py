"""HPRIM Santé 2.x (ASTM E1238 lineage): records H, P, OBR, OBX, C, A, L.

The separators are declared in the H record right after the "H" (``H|~^\\&|``, ``H|\\^&~|``…):
the field separator, then the component/repetition characters. Files disagree on which of the
first two splits code from label and family from given name, so both are accepted for that.
An ``A`` record continues the previous record's last field. Several patients may follow one
another (each P record starts a report).
"""

from __future__ import annotations

from .dates import parse_date, parse_datetime
from .model import FLAGS, LabParseError, LabPatient, LabReport, LabResult


def _separators(line: str) -> tuple[str, str]:
    if len(line) < 6 or line[0] != "H":
        raise LabParseError(1, "enregistrement H (en-tête) attendu en première ligne")
    field = line[1]
    declared = line[2:line.index(field, 2)] if field in line[2:] else ""
    if field.isalnum() or field.isspace() or len(declared) < 2:
        raise LabParseError(1, "séparateurs de l'en-tête H illisibles")
    return field, declared[:2]


def _parts(value: str, comps: str) -> list[str]:
    for sep in comps:
        if sep in value:
            return [p.strip() for p in value.split(sep)]
    return [value.strip()]


def _records(lines: list[str], field: str) -> list[tuple[int, list[str]]]:
    records: list[tuple[int, list[str]]] = []
    for n, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        fields = line.split(field)
        kind = fields[0].strip().upper()
        if kind == "A":
            if not records:
                raise LabParseError(n, "suite (A) sans enregistrement précédent")
            previous = records[-1][1]
            previous[-1] = f"{previous[-1]}\n{field.join(fields[1:])}"
            continue
        records.append((n, fields))
    return records


def _get(fields: list[str], i: int) -> str:
    return fields[i].strip() if i < len(fields) else ""


def parse(lines: list[str]) -> list[LabReport]:
    field, comps = _separators(lines[0])
    records = _records(lines, field)
    header = records[0][1]
    lab = _parts(_get(header, 4), comps)
    prescriber = _parts(_get(header, 10), comps)
    reports: list[LabReport] = []
    current: LabReport | None = None
    ended = False
    for n, f in records[1:]:
        kind = f[0].strip().upper()
        if ended:
            raise LabParseError(n, "enregistrement après la fin de fichier (L)")
        if kind == "P":
            name = _parts(_get(f, 5), comps)
            sex = _get(f, 8).upper()[:1]
            current = LabReport(
                format="hprim_sante", first_line=n,
                patient=LabPatient(local_id=_get(f, 3) or _get(f, 2), family=name[0],
                                   given=name[1] if len(name) > 1 else "",
                                   birth_date=parse_date(_get(f, 7), n, "date de naissance"),
                                   sex=sex if sex in ("F", "M", "U", "I") else ""),
                lab_code=lab[0], lab_name=lab[1] if len(lab) > 1 else "",
                prescriber_code=prescriber[0],
                prescriber_name=prescriber[1] if len(prescriber) > 1 else "",
                file_number=_get(f, 3))
            if not current.patient.family:
                raise LabParseError(n, "nom du patient absent")
            reports.append(current)
        elif kind in ("OBR", "OBX", "C"):
            if current is None:
                raise LabParseError(n, f"enregistrement {kind} avant le patient (P)")
            if kind == "OBR":
                current.report_date = current.report_date or (
                    parse_date(_get(f, 7) or _get(f, 6), n, "date de prélèvement"))
            elif kind == "OBX":
                current.results.append(_result(f, n, comps))
            else:
                text = _get(f, 3)
                if current.results:
                    current.results[-1].comment = f"{current.results[-1].comment}\n{text}" \
                        .strip()
                else:
                    current.text = f"{current.text}\n{text}".strip()
        elif kind == "L":
            ended = True
        elif kind == "H":
            raise LabParseError(n, "second en-tête H dans le fichier")
        else:
            raise LabParseError(n, f"type d'enregistrement inconnu « {f[0][:5]} »")
    if not reports:
        raise LabParseError(0, "aucun patient (enregistrement P) dans le fichier")
    for report in reports:
        if not report.results and not report.text:
            raise LabParseError(report.first_line, "patient sans résultat")
    return reports


def _result(f: list[str], n: int, comps: str) -> LabResult:
    code = _parts(_get(f, 3), comps)
    flag = _get(f, 8).upper()
    if flag and flag not in FLAGS:
        raise LabParseError(n, f"indicateur d'anomalie inconnu « {flag[:5]} »")
    range_text = _get(f, 7)
    low = high = ""
    if "-" in range_text.lstrip("-"):
        low, _, high = range_text.partition("-") if not range_text.startswith("-") \
            else ("-" + range_text[1:].partition("-")[0], "-", range_text[1:].partition("-")[2])
    if not code[0] and len(code) < 2:
        raise LabParseError(n, "résultat sans code ni libellé")
    return LabResult(code=code[0], label=code[1] if len(code) > 1 and code[1] else code[0],
                     code_system=code[2] if len(code) > 2 else "", kind=_get(f, 2),
                     value=_get(f, 5), unit=_get(f, 6), low=low.strip(), high=high.strip(),
                     range_text=range_text, flag=flag, status=_get(f, 11).upper(),
                     at=parse_datetime(_get(f, 14), n, "date du résultat"))
