"""Values, reference ranges and flags as the three formats write them.

- A value "<5", "< 5", "<=0,5", "≥ 90" carries a comparator (HPRIM and HL7 NM/ST alike); the
  number is kept with a decimal point.
- A range is "low-high" with negative bounds ("-2.0--1.0", "-2 - 2"), "_", ";" or spaces
  between the bounds ("3.5_5.0", "3.5 5.0"), "à"/"to" in words, or one-sided ("<1", "> 60",
  "<=5"); brackets or parentheses around it and a unit after it are allowed.
- HL7 flags (table 0078, v2.5) are folded to the letters the model knows.
"""

from __future__ import annotations

import re

_NUM = r"[+-]?\d+(?:[.,]\d+)?"
_COMPARATORS = {
    "<": "<",
    "<=": "<=",
    "=<": "<=",
    "≤": "<=",
    ">": ">",
    ">=": ">=",
    "=>": ">=",
    "≥": ">=",
}
_VALUE = re.compile(rf"^(<=|=<|>=|=>|<|>|≤|≥)\s*({_NUM})$")
_NUMBER = re.compile(rf"^{_NUM}$")
# A unit written after the range ("3.5-5.0 mmol/L", "<5 mg/L"): letters, µ, %, / and digits
# after a letter or slash.
_UNIT = r"(?:\s*[a-zA-Zµ%/][\w/%.µ²³^*-]*)?"
_RANGE = re.compile(
    rf"^[\[(]?\s*({_NUM})\s*(?:-|_|–|—|;|\.\.|à|a|to|\s)\s*({_NUM})\s*[\])]?"
    rf"{_UNIT}$",
    re.IGNORECASE,
)
_ONE_SIDED = re.compile(rf"^[\[(]?(<=|=<|>=|=>|<|>|≤|≥)\s*({_NUM})\s*[\])]?{_UNIT}$")


def number(text: str) -> str:
    """The decimal number of ``text`` with a point ("5,2" → "5.2"), '' when not a number."""
    text = text.strip()
    return text.replace(",", ".").lstrip("+") if _NUMBER.match(text) else ""


def comparator_value(text: str) -> tuple[str, str]:
    """("<", "5") for "<5" / "< 5", ("<=", "0.5") for "<=0,5" or "≤0,5"; ("", number) for a
    plain number; ("", "") otherwise."""
    text = text.strip()
    match = _VALUE.match(text)
    if match:
        return _COMPARATORS[match.group(1)], number(match.group(2))
    return "", number(text)


def parse_range(text: str) -> tuple[str, str]:
    """(low, high) of a reference range, each '' when absent or one-sided ("<1" → ("", "1"),
    ">60" → ("60", "")); ("", "") for text that is no range (kept by callers as range_text)."""
    text = text.strip()
    if not text:
        return "", ""
    match = _RANGE.match(text)
    if match:
        return number(match.group(1)), number(match.group(2))
    match = _ONE_SIDED.match(text)
    if match:
        bound = number(match.group(2))
        return ("", bound) if match.group(1) in ("<", "<=", "=<", "≤") else (bound, "")
    return "", ""


# HL7 v2.5 table 0078 (abnormal flags) → the model's letters. Susceptibility (S, MS, VS: the
# germ is sensitive) and deltas (U, D, B, W: better/worse than before) say nothing abnormal
# about the patient's value; resistant (R), intermediate (I), positive/detected are abnormal.
HL7_FLAGS = {
    "L": "L",
    "H": "H",
    "LL": "LL",
    "HH": "HH",
    "N": "N",
    "A": "A",
    "AA": "AA",
    "<": "<",
    ">": ">",
    "NEG": "N",
    "ND": "N",
    "NR": "N",
    "S": "N",
    "MS": "N",
    "VS": "N",
    "U": "",
    "D": "",
    "B": "",
    "W": "",
    "R": "A",
    "I": "A",
    "POS": "A",
    "DET": "A",
    "IND": "A",
    "RR": "A",
    "TOX": "AA",
    "QCF": "A",
    "LU": "L",
    "HU": "H",
}


def hl7_flag(raw: str) -> str:
    """The model's flag for an HL7 OBX-8 flag: the table above; any other non-empty flag is
    kept as abnormal ("A") so that nothing a lab marked goes unseen."""
    raw = raw.strip().upper()
    if not raw:
        return ""
    return HL7_FLAGS.get(raw, "A")
