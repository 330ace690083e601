"""The common shape of a lab report, whatever file format it came in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

FLAGS = {"L", "H", "LL", "HH", "N", "A", "AA", "<", ">"}
# Flags that mean "outside the reference range": shown highlighted to the GP.
ABNORMAL = {"L", "H", "LL", "HH", "A", "AA", "<", ">"}
# Panic values (HL7 v2 table 0078: LL/HH "below/above lower/upper panic limits", AA "very
# abnormal"; HPRIM uses the same letters): they stand out from ordinary abnormal values on every
# page and in the notification ("résultat critique").
CRITICAL = {"LL", "HH", "AA"}
# Flags in words, as pages show them (never a bare letter to a GP).
FLAG_LABELS = {
    "N": "normal",
    "L": "bas",
    "H": "élevé",
    "LL": "critique bas",
    "HH": "critique haut",
    "A": "anormal",
    "AA": "critique",
    "<": "sous le seuil mesurable",
    ">": "au-dessus du seuil mesurable",
}


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
    # The INS matricule when the file says it is one (HL7 PID-3 with the INS-NIR / INS-NIA OID,
    # identifier type INS): "NIR" or "NIA"; "" when ``nir`` is only a number the file printed.
    ins_kind: str = ""
    used_name: str = ""  # nom d'usage (PAM-FR name type D)
    # The full list of birth given names (FR Core / PAM-FR: "PAUL ANDRE"); ``given`` is the
    # first given name.
    birth_given_names: str = ""
    identity_status: str = ""  # PROV / VALI / RECUP / QUAL when the sender states it (PID-32)


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
    # Structured value, when the file gives one (HL7 SN, "<5" in HPRIM, CWE/CE):
    # - ``comparator``: "<", "<=", ">", ">=" or "" before ``number``;
    # - ``number`` (and ``separator`` + ``number2``): SN's num1 [sep num2], as text ("182",
    #   "1", ":" "128" for a ratio 1:128, "-" for a range 10-20, "+" for a category 2+);
    # - ``value_code`` / ``value_code_system``: a coded value's code (``value`` keeps its text).
    comparator: str = ""
    number: str = ""
    separator: str = ""
    number2: str = ""
    value_code: str = ""
    value_code_system: str = ""

    @property
    def numeric(self) -> Decimal | None:
        try:
            return Decimal((self.number or self.value).replace(",", "."))
        except (InvalidOperation, ValueError):
            return None

    @property
    def abnormal(self) -> bool:
        return self.flag.upper() in ABNORMAL

    @property
    def critical(self) -> bool:
        return self.flag.upper() in CRITICAL


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
    encoding: str = ""  # how the file's bytes were decoded (Python codec name), for the report

    @property
    def critical_count(self) -> int:
        return sum(1 for r in self.results if r.critical)

    @property
    def abnormal_count(self) -> int:
        return sum(1 for r in self.results if r.abnormal)
