"""Lab result files → structured reports (pure Python, no Django models).

Three formats reach French GPs: HPRIM Médecin ("HPRIM Net"), HPRIM Santé 2.x and HL7 v2
ORU^R01 (docs/labs.md). ``parse_file`` decodes the bytes, recognises the format by content
(never by file name) and returns the reports, or raises ``LabParseError`` with the line and a
French reason. No other exception may escape: the importer relies on it (tests/fuzzing).
"""

from .model import LabParseError, LabPatient, LabReport, LabResult
from .read import FORMATS, decode, detect_format, parse_file, parse_text

__all__ = [
    "FORMATS",
    "LabParseError",
    "LabPatient",
    "LabReport",
    "LabResult",
    "decode",
    "detect_format",
    "parse_file",
    "parse_text",
]
