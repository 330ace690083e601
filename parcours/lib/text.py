"""Name handling for identities: INS form and search keys."""

import re
import unicodedata

_INS_ALLOWED = re.compile(r"^[A-Z][A-Z '\-]*$")


def strip_accents(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return (
        "".join(c for c in decomposed if not unicodedata.combining(c))
        .replace("Œ", "OE")
        .replace("œ", "oe")
        .replace("Æ", "AE")
        .replace("æ", "ae")
    )


def ins_form(value: str) -> str:
    """Upper case, no diacritics, single spaces: the form INS traits are exchanged in."""
    folded = strip_accents(value).upper()
    return re.sub(r"\s+", " ", folded).strip()


def is_ins_name(value: str) -> bool:
    return bool(_INS_ALLOWED.match(value))


def search_key(value: str) -> str:
    """Accent- and case-insensitive key; hyphens and apostrophes become spaces."""
    return re.sub(r"[\s'\-]+", " ", ins_form(value)).strip()


MAX_ID_DIGITS = 18  # a PostgreSQL bigint has 19 digits: 18 always fits


def is_id(value) -> bool:
    """Whether ``value`` (a str) is a database id as URLs and references carry it: ASCII digits
    only, at most MAX_ID_DIGITS of them. ``str.isdigit()`` alone also accepts « ³ » or Arabic-
    Indic digits, which ``int()`` or the database then refuse (issue 13: a 500)."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_ID_DIGITS
        and value.isascii()
        and value.isdigit()
    )
