"""HL7 v2 ORU^R01 (MSH, PID, PV1, ORC, OBR, OBX, NTE), read with the ``hl7`` library.

A file may hold several messages (one per patient). OBX-3 is code^text^system (LOINC: LN);
an NTE after an OBX comments it. Dates are HL7 TS (YYYYMMDDHHMM…).
"""

from __future__ import annotations

import hl7

from .dates import parse_date, parse_datetime
from .model import FLAGS, LabParseError, LabPatient, LabReport, LabResult


def _messages(lines: list[str]) -> list[tuple[int, list[str]]]:
    messages: list[tuple[int, list[str]]] = []
    for n, raw in enumerate(lines, start=1):
        line = raw.strip("\r\n")
        if not line.strip():
            continue
        if line.startswith("MSH"):
            messages.append((n, [line]))
        elif not messages:
            raise LabParseError(n, "segment avant l'en-tête MSH")
        else:
            messages[-1][1].append(line)
    return messages


def _comp(field, i: int) -> str:
    """Component ``i`` (0-based) of a field, unescaped text, '' when absent."""
    try:
        value = field[0][i] if isinstance(field, hl7.Field) and isinstance(
            field[0], hl7.Repetition) else (field[i] if i else field)
    except (IndexError, TypeError):
        return ""
    return str(value).strip()


def _field(segment, i: int):
    try:
        return segment[i]
    except IndexError:
        return ""


def parse(lines: list[str]) -> list[LabReport]:
    reports = []
    for first, segments in _messages(lines):
        if len(segments[0]) < 8:
            raise LabParseError(first, "en-tête MSH trop court")
        try:
            message = hl7.parse("\r".join(segments))
        except Exception as exc:  # noqa: BLE001 - the library raises many kinds on bad input
            raise LabParseError(first, f"message HL7 illisible ({type(exc).__name__})") \
                from None
        reports.append(_report(message, first))
    if not reports:
        raise LabParseError(0, "aucun message HL7 (MSH) dans le fichier")
    return reports


_ESCAPES = {"F": "|", "S": "^", "T": "&", "R": "~", "E": "\\", ".br": "\n"}


def _unescape(value: str) -> str:
    """HL7 escape sequences (\\F\\ \\S\\ \\T\\ \\R\\ \\E\\ \\.br\\ \\Xhh\\); an unknown or
    unterminated one is dropped. (The library's own unescape logs and misreads mutated
    input: ours is total.)"""
    if "\\" not in value:
        return value
    out, i = [], 0
    while i < len(value):
        char = value[i]
        end = value.find("\\", i + 1) if char == "\\" else -1
        if end == -1:
            out.append(char if char != "\\" else "")
            i += 1
            continue
        code = value[i + 1:end]
        if code in _ESCAPES:
            out.append(_ESCAPES[code])
        elif code[:1] == "X" and len(code) > 1:
            try:
                out.append(bytes.fromhex(code[1:]).decode("latin-1"))
            except ValueError:
                pass
        i = end + 1
    return "".join(out)


def _text(message, value) -> str:
    return _unescape(str(value)).strip()


def _report(message, first: int) -> LabReport:
    msh = message.segment("MSH")
    try:
        pid = message.segment("PID")
    except KeyError:
        raise LabParseError(first, "segment PID (patient) absent") from None
    name = _field(pid, 5)
    family, given = _text(message, _part(name, 0)), _text(message, _part(name, 1))
    if not family:
        raise LabParseError(first, "nom du patient absent (PID-5)")
    sex = str(_field(pid, 8)).strip().upper()[:1]
    report = LabReport(
        format="hl7v2", first_line=first,
        patient=LabPatient(family=family, given=given,
                           local_id=_text(message, _part(_field(pid, 3), 0)),
                           birth_date=parse_date(str(_field(pid, 7))[:8], first,
                                                 "date de naissance (PID-7)"),
                           sex=sex if sex in ("F", "M", "U", "A", "O") else ""),
        lab_code=_text(message, _part(_field(msh, 4), 0)),
        lab_name=_text(message, _part(_field(msh, 4), 1)) or _text(message,
                                                                   _part(_field(msh, 3), 0)))
    for segment in message:
        kind = str(segment[0]).strip()
        if kind == "OBR":
            doctor = _field(segment, 16)
            report.prescriber_code = report.prescriber_code or _text(message, _part(doctor, 0))
            if not report.prescriber_name:
                report.prescriber_name = " ".join(
                    p for p in (_text(message, _part(doctor, 2)),
                                _text(message, _part(doctor, 1))) if p)
            report.file_number = report.file_number or _text(message,
                                                             _part(_field(segment, 3), 0))
            observed = str(_field(segment, 7))[:8]
            if observed and report.report_date is None:
                report.report_date = parse_date(observed, first, "date de prélèvement (OBR-7)")
        elif kind == "OBX":
            report.results.append(_result(message, segment, first))
        elif kind == "NTE":
            text = _text(message, _field(segment, 3))
            if report.results:
                report.results[-1].comment = f"{report.results[-1].comment}\n{text}".strip()
            else:
                report.text = f"{report.text}\n{text}".strip()
    if not report.results and not report.text:
        raise LabParseError(first, "message sans résultat (OBX)")
    return report


def _part(field, i: int):
    """Component ``i`` of a field that may or may not have components."""
    if isinstance(field, str):
        return field if i == 0 else ""
    try:
        if isinstance(field, hl7.Field) and len(field) and isinstance(field[0], hl7.Repetition):
            field = field[0]
        if isinstance(field, (hl7.Field, hl7.Repetition)) and len(field) > 1:
            return field[i] if i < len(field) else ""
        return field if i == 0 else ""
    except (IndexError, TypeError):
        return ""


def _result(message, segment, first: int) -> LabResult:
    code = _field(segment, 3)
    flag = _text(message, _field(segment, 8)).upper()
    if flag and flag not in FLAGS:
        flag = "A"  # HL7 has more abnormal flags than HPRIM (e.g. "S", "R"): kept as abnormal
    range_text = _text(message, _field(segment, 7))
    low, sep, high = range_text.partition("-")
    label = _text(message, _part(code, 1)) or _text(message, _part(code, 0))
    if not label:
        raise LabParseError(first, "résultat OBX sans code ni libellé (OBX-3)")
    return LabResult(code=_text(message, _part(code, 0)), label=label,
                     code_system=_text(message, _part(code, 2)),
                     kind=_text(message, _field(segment, 2)),
                     value=_text(message, _field(segment, 5)),
                     unit=_text(message, _part(_field(segment, 6), 0)),
                     low=low.strip() if sep else "", high=high.strip() if sep else "",
                     range_text=range_text, flag=flag,
                     status=_text(message, _field(segment, 11)).upper(),
                     at=parse_datetime(str(_field(segment, 14))[:12], first,
                                       "date du résultat (OBX-14)"))
