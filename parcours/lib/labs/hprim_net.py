"""HPRIM Médecin ("HPRIM Net"): 12 header lines, free text, then a ``****LAB****`` block of
``RES|`` result lines and ``TEX|`` comment lines, closed by ``****FIN****``."""

from __future__ import annotations

from .dates import parse_date
from .model import FLAGS, LabParseError, LabPatient, LabReport, LabResult

HEADER_LINES = 12
LAB_START, LAB_END, FILE_END = "****LAB****", "****FIN****", "****FINFICHIER****"


def _split_code(value: str) -> tuple[str, str]:
    """« LABO53    Laboratoire … »: a 10-character code, then the name."""
    return value[:10].strip(), value[10:].strip()


def parse(lines: list[str]) -> list[LabReport]:
    if len(lines) < HEADER_LINES:
        raise LabParseError(0, f"en-tête HPRIM incomplet : {HEADER_LINES} lignes attendues, "
                               f"{len(lines)} trouvées")
    h = [line.strip() for line in lines[:HEADER_LINES]]
    patient = LabPatient(local_id=h[0], family=h[1], given=h[2],
                         birth_date=parse_date(h[6], 7, "date de naissance"),
                         nir=h[7].replace(" ", "")[:15])
    if not patient.family:
        raise LabParseError(2, "nom du patient absent")
    # No sex line in the header: the NIR's first digit gives it (1/3/7 men, 2/4/8 women).
    patient.sex = {"1": "M", "3": "M", "7": "M", "2": "F", "4": "F", "8": "F"}.get(
        patient.nir[:1], "")
    lab_code, lab_name = _split_code(lines[10].rstrip())
    prescriber_code, prescriber_name = _split_code(lines[11].rstrip())
    report = LabReport(format="hprim_net", patient=patient, file_number=h[8],
                       report_date=parse_date(h[9], 10, "date du compte rendu"),
                       lab_code=lab_code, lab_name=lab_name, prescriber_code=prescriber_code,
                       prescriber_name=prescriber_name)
    text: list[str] = []
    in_lab = ended = False
    for n, raw in enumerate(lines[HEADER_LINES:], start=HEADER_LINES + 1):
        line = raw.rstrip()
        marker = line.strip()
        if marker == LAB_START:
            if in_lab:
                raise LabParseError(n, "bloc ****LAB**** ouvert deux fois")
            in_lab = True
        elif marker in (LAB_END, FILE_END):
            if marker == LAB_END and not in_lab:
                raise LabParseError(n, "****FIN**** sans ****LAB****")
            in_lab, ended = False, True
        elif in_lab:
            _lab_line(report, line, n)
        elif not ended:
            text.append(line)
    if in_lab:
        raise LabParseError(len(lines), "bloc ****LAB**** non terminé (****FIN**** attendu)")
    report.text = "\n".join(text).strip()
    if not report.results and not report.text:
        raise LabParseError(0, "aucun résultat ni texte dans le compte rendu")
    return [report]


def _lab_line(report: LabReport, line: str, n: int) -> None:
    if not line.strip():
        return
    fields = line.split("|")
    kind = fields[0].strip().upper()
    if kind == "TEX":
        comment = "|".join(fields[1:]).rstrip("|").strip()
        if report.results:
            last = report.results[-1]
            last.comment = f"{last.comment}\n{comment}".strip()
        else:
            report.text = f"{report.text}\n{comment}".strip()
        return
    if kind != "RES":
        raise LabParseError(n, f"ligne de résultat inconnue « {fields[0][:10]} » (RES ou TEX "
                               "attendu)")
    fields += [""] * (14 - len(fields))
    label, code, vtype, value, unit, low, high, flag, status = (
        f.strip() for f in fields[1:10])
    if not label and not code:
        raise LabParseError(n, "résultat sans libellé ni code")
    if flag and flag.upper() not in FLAGS:
        raise LabParseError(n, f"indicateur d'anomalie inconnu « {flag[:5]} »")
    report.results.append(LabResult(label=label or code, code=code, kind=vtype, value=value,
                                    unit=unit, low=low, high=high, flag=flag.upper(),
                                    status=status))
    # The same result in a second unit (e.g. µmol/L and mg/dL): kept as the comment.
    value2, unit2 = fields[10].strip(), fields[11].strip()
    if value2:
        low2, high2 = fields[12].strip(), fields[13].strip()
        extra = f"{value2} {unit2}".strip()
        if low2 or high2:
            extra += f" ({low2}–{high2})"
        report.results[-1].comment = extra
