"""Bytes → text for files French senders write: a declared charset first, else a guess limited
to the code pages they use, chosen by which one reads French text cleanly. Never mojibake.

Used by the lab importers (``parcours.lib.labs.read``) and the Annuaire Santé import
(``parcours.directory.annuaire``). Pure functions, no Django.

Why not a general detector (charset-normalizer, chardet): on short files they pick Central
European or Cyrillic code pages (an Annuaire Santé extract in Windows-1252 was read as cp1250,
« CŒURDELION » became « CŚURDELION »). French senders use five encodings only (issue 12):
UTF-8, Windows-1252, Latin-1, Latin-9 and the DOS code page 850; among those, the right one is
the one whose text is made of French letters and typography rather than box-drawing, control
characters or the telltale pairs of UTF-8 read as 8-bit ("Ã©", "â€™").
"""

from __future__ import annotations

import codecs
import re

# The candidates, in order of preference when they score the same (Latin-1 before its
# superset Windows-1252: a file without bytes 0x80-0x9F reads the same in both, and is
# reported as the Latin-1 most labs declare).
FRENCH_CODECS = ("utf-8", "latin-1", "cp1252", "iso8859-15", "cp850")

# Declared names → Python codec. HL7 v2 table 0211 (MSH-18: "ASCII", "8859/1", "8859/15",
# "UNICODE UTF-8"…), IANA names (ISO-8859-1, windows-1252…) and what French senders write.
_DECLARED = {
    "ascii": "ascii",
    "usascii": "ascii",
    "ansix3.4": "ascii",
    "88591": "latin-1",
    "iso88591": "latin-1",
    "latin1": "latin-1",
    "isolatin1": "latin-1",
    "iso885915": "iso8859-15",
    "885915": "iso8859-15",
    "latin9": "iso8859-15",
    "latin0": "iso8859-15",
    "unicodeutf8": "utf-8",
    "utf8": "utf-8",
    "unicode": "utf-8",
    "unicodeutf16": "utf-16",
    "utf16": "utf-16",
    "windows1252": "cp1252",
    "cp1252": "cp1252",
    "ansi": "cp1252",
    "win1252": "cp1252",
    "cp850": "cp850",
    "ibm850": "cp850",
    "pc850": "cp850",
    "dos850": "cp850",
    "oem850": "cp850",
}

_FRENCH = set("àâäçéèêëîïôöùûüÿœÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒ")
# Rare in French (Lætitia) but what CP850 makes of Windows-1252's apostrophe (0x92 → Æ): neutral.
_RARE = set("æÆ")
# Characters French text does carry besides letters (typographic quotes and apostrophe, euro,
# degree, micro, dashes, ellipsis, non-breaking space, superscripts of units).
_TYPO = set("«»’‘“”€°µ–—…\u00a0²³±×·§")
# UTF-8 bytes read as one of the 8-bit code pages: "Ã©" (é), "Ã¨", "â€™" (’), "Å“" (œ), "Â°"…
_MOJIBAKE = re.compile(
    "[ÃÂÅâ][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e"
    "\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030"
    "\u2039\u203a\u20ac\u2122]"
)
# Non-ASCII characters; their neighbours are looked at too (the case of a letter inside a word
# tells a misread code page: "CîURDELION", "lÆhôpital").
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# Enough to tell the code pages apart; keeps a 20 MB file's guess fast.
_SAMPLE_CHARS = 4000


def normalise_declared(name: str) -> str:
    """The Python codec for a declared charset name (HL7 table 0211, IANA, common aliases),
    '' when the name is empty or unknown."""
    key = re.sub(r"[\s_\-/]", "", name or "").lower()
    return _DECLARED.get(key, "")


def french_score(text: str) -> int:
    """How French a decoded text looks, from its non-ASCII characters (the first 4,000): +2 per
    French letter, +1 per French typographic sign, 0 for æ/Æ, -3 per other character
    (box-drawing, foreign letters, symbols), -6 per C1 control or replacement character, -4
    more for a letter whose case differs from both neighbours ("CîUR") or a sign other than the
    apostrophe inside a word ("Lµtitia"), and -8 per mojibake
    pair of UTF-8 read as 8-bit ("Ã©")."""
    score = 0
    for n, match in enumerate(_NON_ASCII.finditer(text)):
        if n >= _SAMPLE_CHARS:
            break
        i = match.start()
        char, before, after = text[i], text[i - 1 : i], text[i + 1 : i + 2]
        if char in _FRENCH:
            score += 2
        elif char in _TYPO or char in _RARE:
            score += 1 if char in _TYPO else 0
        elif "\x80" <= char <= "\x9f" or char == "\ufffd":
            score -= 6
        else:
            score -= 3
        if before.isalpha() and after.isalpha() and char in _TYPO and char not in "’\u00a0":
            score -= 4  # a sign inside a word ("Lµtitia", "L‘titia"), but l’hôpital is French
        elif char.isalpha() and before.isalpha() and after.isalpha():
            if (char.isupper() and before.islower() and after.islower()) or (
                char.islower() and before.isupper() and after.isupper()
            ):
                score -= 4
    if not any(lead in text for lead in "ÃÂÅâ"):  # no mojibake pair can start
        return score
    return score - 8 * len(_MOJIBAKE.findall(text[:200000]))


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def guess(data: bytes) -> tuple[str, str]:
    """(text, codec) among ``FRENCH_CODECS``: strict UTF-8 when the bytes are valid UTF-8 (8-bit
    French text almost never is), else the 8-bit code page with the best ``french_score``
    (ties go to the earlier one in ``FRENCH_CODECS``). Never raises: Latin-1 decodes anything."""
    text = _strict(data, "utf-8")
    if text is not None:
        return text, "utf-8"
    best: tuple[int, str, str] | None = None
    for codec in FRENCH_CODECS[1:]:
        text = _strict(data, codec)
        if text is None:
            continue
        score = french_score(text)
        if best is None or score > best[0]:
            best = (score, text, codec)
    assert best is not None  # latin-1 decodes every byte
    return best[1], best[2]


def decode_french(data: bytes, declared: str = "") -> tuple[str, str]:
    """Decode ``data``; return (text, codec used).

    Order: a UTF-16 / UTF-8 byte-order mark; then the ``declared`` charset (any name
    ``normalise_declared`` knows) when it decodes strictly and reads as clean French (a file
    declared 8859/1 but written in Windows-1252 or UTF-8 is read as what it is); else ``guess``.
    Raises ``UnicodeDecodeError`` only for a UTF-16 file with a broken byte-order-marked body.
    """
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(codec), "utf-8" if codec == "utf-8-sig" else codec
    codec = normalise_declared(declared)
    if codec:
        text = _strict(data, codec)
        if text is not None and french_score(text) >= 0:
            return text, codec
    return guess(data)
