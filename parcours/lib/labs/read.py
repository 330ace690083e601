"""Bytes → text → format → reports.

Outer structure handled here for every format: MLLP framing bytes (0x0B before a message,
0x1C 0x0D after it) are removed; NUL bytes dropped; CR, LF and CRLF line ends all accepted;
the format is recognised by content, never by file name.
"""

from __future__ import annotations

import re

from ..encodings import decode_french, normalise_declared
from . import hl7v2, hprim_net, hprim_sante
from .model import LabParseError, LabReport

FORMATS = {
    "hprim_net": "HPRIM Médecin (HPRIM Net)",
    "hprim_sante": "HPRIM Santé",
    "hl7v2": "HL7 v2 ORU^R01",
}
MAX_BYTES = 20 * 1024 * 1024
_PARSERS = {"hprim_net": hprim_net.parse, "hprim_sante": hprim_sante.parse, "hl7v2": hl7v2.parse}
_HL7_START = ("MSH", "FHS", "BHS")
_FIRST_LINE = re.compile(rb"[^\r\n]*")


def declared_charset(data: bytes) -> str:
    """The character set a file declares, as written, '' when none: HL7 v2 MSH-18 (first
    repetition, table 0211: "8859/1", "UNICODE UTF-8"…) of the first MSH; for HPRIM Santé, a
    charset name in H.13 after the version or in a field after H.14 (the 2.x versions define
    no charset field; some senders add one)."""
    head = data[:65536].lstrip(b"\x0b\r\n \t")
    if head[:3] in (b"FHS", b"BHS", b"MSH"):
        start = head.find(b"MSH")
        found = _FIRST_LINE.match(head, start) if start >= 0 else None
        line = found.group(0) if found else b""
        if len(line) < 8:
            return ""
        sep = line[3:4]
        fields = line.split(sep)
        enc = fields[1] if len(fields) > 1 else b""
        if len(fields) <= 17 or len(enc) < 2:
            return ""
        value = fields[17].split(enc[1:2])[0].split(enc[0:1])[0]
        return value.decode("latin-1").strip()
    if head[:1] == b"H" and len(head) > 2 and not head[1:2].isalnum():
        first = _FIRST_LINE.match(head)  # matches always (possibly empty)
        fields = (first.group(0) if first else b"").split(head[1:2])
        # H.13 "version~…" (its later components) and any field after H.14.
        version = re.split(rb"[~^\\&]", fields[12])[1:] if len(fields) > 12 else []
        for value in [*version, *fields[14:]]:
            text = value.decode("latin-1").strip()
            if normalise_declared(text):
                return text
    return ""


def decode_with_encoding(data: bytes) -> tuple[str, str]:
    """(text, codec): the declared charset when it reads cleanly, else the French guess
    (``parcours.lib.encodings.decode_french``). LabParseError for a broken UTF-16 file."""
    try:
        return decode_french(data, declared_charset(data))
    except UnicodeDecodeError:
        raise LabParseError(0, "fichier Unicode mal encodé") from None


def decode(data: bytes) -> str:
    """The text of ``data`` (see ``decode_with_encoding``)."""
    return decode_with_encoding(data)[0]


def detect_format(text: str) -> str:
    """ "hl7v2", "hprim_sante" or "hprim_net" from the content; LabParseError otherwise."""
    head = text.lstrip("\ufeff \t\r\n")
    if head[:3] in _HL7_START:
        return "hl7v2"
    first_line = head.split("\n", 1)[0].split("\r", 1)[0]
    if (
        len(head) > 2
        and head[0] == "H"
        and not head[1].isalnum()
        and not head[1].isspace()
        and first_line.count(head[1]) >= 2
    ):
        return "hprim_sante"
    if "****LAB****" in text or len(text.splitlines()) >= 12:
        return "hprim_net"
    raise LabParseError(0, "format non reconnu (HPRIM Net, HPRIM Santé ou HL7 v2 attendu)")


def parse_text(text: str) -> tuple[str, list[LabReport]]:
    """Format and reports of a decoded file; LabParseError(line, reason) when refused."""
    # NUL bytes and the DOS end-of-file mark (Ctrl-Z) some senders append carry nothing.
    text = text.lstrip("\ufeff").replace("\x00", "").replace("\x1a", "")
    # MLLP framing (HL7 v2.5 appendix C): <VT> message <FS><CR>.
    text = text.replace("\x0b", "").replace("\x1c", "\r")
    if not text.strip():
        raise LabParseError(0, "fichier vide")
    fmt = detect_format(text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return fmt, _PARSERS[fmt](lines)


def parse_file(data: bytes) -> tuple[str, list[LabReport]]:
    """The format and the reports of one file; LabParseError for anything unreadable. Each
    report's ``encoding`` says how the bytes were decoded."""
    if len(data) > MAX_BYTES:
        raise LabParseError(0, "fichier trop volumineux (20 Mo au plus)")
    text, encoding = decode_with_encoding(data)
    fmt, reports = parse_text(text)
    for report in reports:
        report.encoding = encoding
    return fmt, reports
