"""The common shape of a lab report, whatever file format it came in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

FLAGS = {"L", "H", "LL", "HH", "N", "A", "AA", "<", ">"}
# Flags that mean "outside the reference range": shown highlighted to the GP.
ABNORMAL = {"L", "H", "LL", "HH", "A", "AA", "<", ">"}


class LabParseError(ValueError):
    """A file refused: ``line`` (1-based, 0 for the whole file) and a French reason."""

    def __init__(self, line: int, reason: str):
        super().__init__(f"ligne {line} : {reason}" if line else reason)
        self.line = line
        self.reason = reason


@dataclass
class LabPatient:
    family: str = ""
    given: str = ""
    birth_date: date | None = None
    sex: str = ""  # F, M, I or ""
    nir: str = ""  # social-security number / INS when the file carries one
    local_id: str = ""  # the lab's or file's patient number


@dataclass
class LabResult:
    label: str
    code: str = ""
    code_system: str = ""  # "LN" (LOINC) when the file says so
    value: str = ""
    unit: str = ""
    low: str = ""
    high: str = ""
    range_text: str = ""
    flag: str = ""
    status: str = ""  # F final, P preliminary, C corrected…
    at: datetime | None = None
    comment: str = ""
    kind: str = ""  # N numeric, A alphanumeric, NM/ST/TX (HL7)

    @property
    def numeric(self) -> Decimal | None:
        try:
            return Decimal(self.value.replace(",", "."))
        except (InvalidOperation, ValueError):
            return None

    @property
    def abnormal(self) -> bool:
        return self.flag.upper() in ABNORMAL


@dataclass
class LabReport:
    format: str
    patient: LabPatient
    results: list[LabResult] = field(default_factory=list)
    lab_code: str = ""
    lab_name: str = ""
    prescriber_code: str = ""
    prescriber_name: str = ""
    report_date: date | None = None
    file_number: str = ""
    text: str = ""  # free text of the report (HPRIM Net body, comments)
    first_line: int = 1  # where the report starts in its file

    @property
    def abnormal_count(self) -> int:
        return sum(1 for r in self.results if r.abnormal)
