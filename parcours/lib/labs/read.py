"""Bytes → text → format → reports."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from . import hl7v2, hprim_net, hprim_sante
from .model import LabParseError, LabReport

FORMATS = {"hprim_net": "HPRIM Médecin (HPRIM Net)", "hprim_sante": "HPRIM Santé",
           "hl7v2": "HL7 v2 ORU^R01"}
MAX_BYTES = 20 * 1024 * 1024
_PARSERS = {"hprim_net": hprim_net.parse, "hprim_sante": hprim_sante.parse,
            "hl7v2": hl7v2.parse}


def decode(data: bytes) -> str:
    """UTF-16/UTF-8 by their BOM, then strict UTF-8, then Windows-1252 (a superset of the
    Latin-1 most labs send); bytes Windows-1252 does not define point to CP850 or MacRoman,
    chosen by charset-normalizer. (Guessing among 8-bit encodings from a few accents is
    unreliable: a short Latin-1 file would often be taken for CP850.)"""
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
                          (codecs.BOM_UTF8, "utf-8-sig")):
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                raise LabParseError(0, "fichier Unicode mal encodé") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data[:65536], cp_isolation=["latin_1", "cp1252", "cp850", "mac_roman"]) \
        .best()
    encoding = best.encoding if best is not None else "latin_1"
    return data.decode(encoding, errors="replace")


def detect_format(text: str) -> str:
    head = text.lstrip("\ufeff")
    if head.startswith("MSH"):
        return "hl7v2"
    if len(head) > 2 and head[0] == "H" and not head[1].isalnum() and not head[1].isspace():
        return "hprim_sante"
    if "****LAB****" in text or len(text.splitlines()) >= 12:
        return "hprim_net"
    raise LabParseError(0, "format non reconnu (HPRIM Net, HPRIM Santé ou HL7 v2 attendu)")


def parse_text(text: str) -> tuple[str, list[LabReport]]:
    text = text.lstrip("\ufeff").replace("\x00", "")
    if not text.strip():
        raise LabParseError(0, "fichier vide")
    fmt = detect_format(text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return fmt, _PARSERS[fmt](lines)


def parse_file(data: bytes) -> tuple[str, list[LabReport]]:
    """The format and the reports of one file; LabParseError for anything unreadable."""
    if len(data) > MAX_BYTES:
        raise LabParseError(0, "fichier trop volumineux (20 Mo au plus)")
    return parse_text(decode(data))
