"""Folded keys for directory search: upper case, no accents, hyphens and apostrophes as
spaces. The importer folds millions of names, so ASCII input (most of it) takes a fast path
and results are cached; the query side folds with the same function."""

import re
import unicodedata
from functools import lru_cache

_SEPARATORS = re.compile(r"[\s'’\-]+")


def _latin_table() -> dict[int, str]:
    table = {}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        if base != char and base.isascii():
            table[code] = base
    table.update({ord("œ"): "oe", ord("Œ"): "OE", ord("æ"): "ae", ord("Æ"): "AE"})
    return table


_LATIN = _latin_table()


@lru_cache(maxsize=65536)
def fold(value: str) -> str:
    if not value:
        return ""
    if not value.isascii():
        # French names: a translation table covers them; anything else goes through NFKD.
        value = value.translate(_LATIN)
        if not value.isascii():
            decomposed = unicodedata.normalize("NFKD", value)
            value = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SEPARATORS.sub(" ", value.upper()).strip()


def practitioner_key(last_name: str, first_name: str) -> str:
    return fold(f"{last_name} {first_name}")


def family_words(family_key: str) -> set[str]:
    """What the typo-tolerant search may match a family name by: the whole folded name and,
    for a compound one (« DE LA MOTTE », « MARTIN-DUPONT »), each of its words of three
    letters or more, so that « Mote » finds « de La Motte »."""
    if not family_key:
        return set()
    return {family_key} | {w for w in family_key.split() if len(w) >= 3}
