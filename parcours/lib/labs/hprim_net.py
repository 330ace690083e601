"""HPRIM Médecin ("HPRIM Net", recommendation H.PR.I.M. Médecins 3.0): per report, 12 header
lines, free text, then optionally a ``****LAB****`` block of ``RES|`` result lines and ``TEX|``
comment lines; ``****FIN****`` ends the report and ``****FINFICHIER****`` the file.

Header lines: 1 patient number, 2 family name, 3 given name, 4-5 address, 6 postcode and town,
7 birth date, 8 NIR, 9 file number, 10 report date, 11 lab (code, then name), 12 prescriber
(code, then name).

Outer structure as real files have it:
- several reports in one file, each with its own 12-line header, separated by ``****FIN****``:
  each becomes its own report and its results stay with it;
- text-only reports (no ``****LAB****`` block) are text reports;
- repeated or empty end markers (``****FIN****`` twice, a ``****FINFICHIER****`` after it,
  blank lines between reports) are skipped; a last report without ``****FIN****`` is kept
  unless its ``****LAB****`` block is left open (a cut file is refused);
- markers are recognised with any number of stars (≥ 3), spaces and letter case.
"""

from __future__ import annotations

import re

from stdnum.fr import nir as stdnum_nir

from .dates import parse_date
from .model import FLAGS, LabParseError, LabPatient, LabReport, LabResult
from .values import comparator_value
from .values import number as decimal_text

HEADER_LINES = 12
_MARKER = re.compile(r"^\*{3,}\s*(LAB|FIN|FINFICHIER)\s*\*{3,}$", re.IGNORECASE)
_SEX_BY_NIR = {"1": "M", "3": "M", "7": "M", "2": "F", "4": "F", "8": "F"}
# The same statuses as HPRIM Santé and HL7 (table 0085) allow a line without a value.
_NO_VALUE = {"X": "résultat impossible à obtenir", "I": "résultat en attente"}
_PRACTITIONER_ID = re.compile(r"^(\d{9}|\d{11}|8\d{11})$")  # ADELI, RPPS, idNatPs


def _marker(line: str) -> str:
    match = _MARKER.match(line.strip())
    return match.group(1).upper() if match else ""


def _split_code(value: str) -> tuple[str, str]:
    """« LABO53    Laboratoire … » → (code, name). The code is the first word when it is a
    practitioner number (ADELI 9, RPPS 11, idNatPs 12 digits) or fits the 10-character column;
    else the first 10 characters. Stripped before it is sliced."""
    value = value.strip()
    head, _, rest = value.partition(" ")
    if _PRACTITIONER_ID.match(head) or (rest and len(head) <= 10):
        return head, rest.strip()
    return value[:10].strip(), value[10:].strip()


def _chunks(lines: list[str]) -> list[tuple[int, list[str], bool]]:
    """(first line number, lines, closed by ****FIN****) of each report of the file."""
    chunks: list[tuple[int, list[str], bool]] = []
    start, current = 1, list[str]()
    for n, line in enumerate(lines, start=1):
        mark = _marker(line)
        if mark in ("FIN", "FINFICHIER"):
            if any(c.strip() for c in current):
                chunks.append((start, current, True))
            start, current = n + 1, []
        else:
            current.append(line)
    if any(c.strip() for c in current):
        chunks.append((start, current, False))
    return chunks


def parse(lines: list[str]) -> list[LabReport]:
    """Reports of the file, one per header; LabParseError(line, reason) when refused."""
    reports = [_report(first, chunk, closed) for first, chunk, closed in _chunks(lines)]
    if not reports:
        raise LabParseError(0, "aucun compte rendu dans le fichier")
    return reports


def _header_at(chunk: list[str]) -> int:
    """Where the 12 header lines start: at the chunk's first line, unless that reading is
    not a header (line 7 no birth date, line 2 no name) and skipping the leading blank lines
    gives one (a blank line between two reports). The first header line (patient number) may
    itself be empty, so blank lines are not skipped blindly."""
    skip = next((i for i, line in enumerate(chunk) if line.strip()), 0)
    if skip == 0:
        return 0
    for offset in (0, skip):
        head = chunk[offset : offset + HEADER_LINES]
        if len(head) < HEADER_LINES or not any(c.isalpha() for c in head[1]):
            continue
        try:
            if parse_date(head[6], 0, "") is not None:
                return offset
        except LabParseError:
            continue
    return 0


def _report(first: int, chunk: list[str], closed: bool) -> LabReport:
    offset = _header_at(chunk)
    first += offset
    chunk = chunk[offset:]
    if len(chunk) < HEADER_LINES:
        raise LabParseError(
            first,
            f"en-tête HPRIM incomplet : {HEADER_LINES} lignes attendues, {len(chunk)} trouvées",
        )
    h = [line.strip() for line in chunk[:HEADER_LINES]]
    nir = h[7].replace(" ", "").upper()
    patient = LabPatient(
        local_id=h[0],
        family=h[1],
        given=h[2],
        birth_given_names=h[2],
        birth_date=parse_date(h[6], first + 6, "date de naissance"),
        nir=nir if stdnum_nir.is_valid(nir) else "",
    )
    if not patient.family:
        raise LabParseError(first + 1, "nom du patient absent")
    # No sex line in the header: the NIR's first digit gives it (1/3/7 men, 2/4/8 women).
    patient.sex = _SEX_BY_NIR.get(patient.nir[:1], "")
    lab_code, lab_name = _split_code(chunk[10])
    prescriber_code, prescriber_name = _split_code(chunk[11])
    report = LabReport(
        format="hprim_net",
        patient=patient,
        file_number=h[8],
        report_date=parse_date(h[9], first + 9, "date du compte rendu"),
        lab_code=lab_code,
        lab_name=lab_name,
        prescriber_code=prescriber_code,
        prescriber_name=prescriber_name,
        first_line=first,
    )
    _refuse_embedded_header(chunk, first)
    text: list[str] = []
    in_lab = False
    for n, raw in enumerate(chunk[HEADER_LINES:], start=first + HEADER_LINES):
        line = raw.rstrip()
        if _marker(line) == "LAB":
            if in_lab:
                raise LabParseError(n, "bloc ****LAB**** ouvert deux fois")
            in_lab = True
        elif in_lab:
            _lab_line(report, line, n)
        else:
            text.append(line)
    if in_lab and not closed:
        raise LabParseError(
            first + len(chunk) - 1, "bloc ****LAB**** non terminé (****FIN**** attendu)"
        )
    report.text = _trim_blank_lines("\n".join([*text, report.text]))
    if not report.results and not report.text:
        raise LabParseError(first, "aucun résultat ni texte dans le compte rendu")
    return report


def _date_line(line: str) -> bool:
    try:
        return bool(line.strip()) and parse_date(line, 0, "") is not None
    except LabParseError:
        return False


def _refuse_embedded_header(chunk: list[str], first: int) -> None:
    """Refuse a report whose free text holds another report's 12-line header.

    A report without ``****FIN****`` (text-only senders write no marker at all) followed by
    another report reads as one report: the second patient's header and results would land
    on the first patient — the fault issue 12 opens with. A header is recognised by its shape:
    a name on line 2, a date alone on lines 7 (birth) and 10 (report), line 8 empty or a
    valid NIR. The file is refused with the line, nothing is guessed."""
    end = next(
        (i for i, line in enumerate(chunk) if i >= HEADER_LINES and _marker(line) == "LAB"),
        len(chunk),
    )
    for i in range(HEADER_LINES, end - HEADER_LINES + 1):
        head = chunk[i : i + HEADER_LINES]
        nir = head[7].replace(" ", "").upper()
        if (
            any(c.isalpha() for c in head[1])
            and _date_line(head[6])
            and _date_line(head[9])
            and (not nir or stdnum_nir.is_valid(nir))
        ):
            raise LabParseError(
                first + i,
                "un nouveau patient commence ici (en-tête HPRIM) "
                "sans ****FIN**** pour clore le compte rendu "
                "précédent : fichier refusé pour ne pas mêler "
                "deux patients",
            )


def _trim_blank_lines(text: str) -> str:
    """The text without its leading and trailing blank lines; indentation kept."""
    lines = text.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(line.rstrip() for line in lines)


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
        raise LabParseError(
            n, f"ligne de résultat inconnue « {fields[0][:10]} » (RES ou TEX attendu)"
        )
    fields += [""] * (14 - len(fields))
    label, code, vtype, value, unit, low, high, flag, status = (f.strip() for f in fields[1:10])
    if not label and not code:
        raise LabParseError(n, "résultat sans libellé ni code")
    if not value and status.upper() in _NO_VALUE:
        value = _NO_VALUE[status.upper()]
    elif not value:
        raise LabParseError(n, f"résultat « {(label or code)[:40]} » incomplet : valeur absente")
    if flag and flag.upper() not in FLAGS:
        raise LabParseError(n, f"indicateur d'anomalie inconnu « {flag[:5]} »")
    comparator, number = comparator_value(value) if vtype.upper() != "A" else ("", "")
    low, high = decimal_text(low) or low, decimal_text(high) or high  # "13,0" → "13.0"
    result = LabResult(
        label=label or code,
        code=code,
        kind=vtype,
        value=value,
        unit=unit,
        low=low,
        high=high,
        flag=flag.upper(),
        status=status,
        comparator=comparator,
        number=number,
        range_text=f"{low}-{high}"
        if low and high
        else (f"< {high}" if high else (f"> {low}" if low else "")),
    )
    report.results.append(result)
    # The same result in a second unit (e.g. µmol/L and mg/dL): kept as the comment.
    value2, unit2 = fields[10].strip(), fields[11].strip()
    if value2:
        low2, high2 = fields[12].strip(), fields[13].strip()
        extra = f"{value2} {unit2}".strip()
        if low2 or high2:
            extra += f" ({low2}–{high2})"
        result.comment = extra
