"""Birthplaces from the Code officiel géographique (COG, INSEE): communes by name, the INSEE
code behind them.

The data is vendored in ``data/cog_communes.json.gz``, built by ``data/build_cog.py`` from the
``communes.json`` of Etalab's npm package ``@etalab/decoupage-administratif`` (its version and
the COG year: ``COG_YEAR``, ``COG_SOURCE``; docs/dependencies.md). It holds the current
communes, delegated and associated communes, municipal arrondissements, and the former codes
of merged communes (a person keeps the code of their birthplace at their birth). Birth abroad:
a code 99xxx (INSEE's country codes), accepted on its form.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from parcours.lib.text import search_key

DATA = Path(__file__).with_name("data") / "cog_communes.json.gz"
CODE_RE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
ABROAD_RE = re.compile(r"^99\d{3}$")
_SAINT = re.compile(r"\bST(E?)\b")
KIND_LABELS = {
    "": "",
    "D": "commune déléguée",
    "A": "commune associée",
    "M": "arrondissement municipal",
}


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    departement: str
    kind: str  # "" current commune, D delegated, A associated, M municipal arrondissement
    population: int
    key: str  # _key(name): search_key with « St » spelled « SAINT »

    @property
    def label(self) -> str:
        """« Laval (53) », with the kind for a delegated commune or an arrondissement."""
        kind = KIND_LABELS[self.kind]
        return f"{self.name} ({self.departement}{', ' + kind if kind else ''})"


@dataclass(frozen=True)
class _Cog:
    year: int
    source: str
    communes: tuple[Commune, ...]
    by_code: dict[str, list[Commune]]
    former: dict[str, str]


@cache
def _cog() -> _Cog:
    with gzip.open(DATA, "rt", encoding="utf-8") as f:
        raw = json.load(f)
    communes = tuple(
        Commune(code, name, dep, kind, pop, _key(name))
        for code, name, dep, kind, pop in raw["communes"]
    )
    by_code: dict[str, list[Commune]] = {}
    for c in communes:
        by_code.setdefault(c.code, []).append(c)
    return _Cog(raw["year"], raw["source"], communes, by_code, raw["former"])


def cog_year() -> int:
    """The year of the vendored COG (e.g. 2026)."""
    return _cog().year


def cog_source() -> str:
    """Where the vendored COG comes from (package, version, year), for the docs and the form."""
    return _cog().source


def is_code(value: str) -> bool:
    """Whether ``value`` has the form of an INSEE place code (5 characters, 2A/2B Corsica)."""
    return bool(CODE_RE.match(value or ""))


def is_known_code(code: str) -> bool:
    """A birthplace code the COG knows (current, delegated, associated, arrondissement or a
    former code of a merged commune), or a birth abroad (99xxx)."""
    code = (code or "").strip().upper()
    return bool(ABROAD_RE.match(code)) or code in _cog().by_code or code in _cog().former


def commune_for_code(code: str) -> Commune | None:
    """The current commune (or arrondissement) of ``code`` — through its merger for a former
    code — or None (abroad, unknown)."""
    cog = _cog()
    code = (code or "").strip().upper()
    rows = cog.by_code.get(code) or cog.by_code.get(cog.former.get(code, ""), [])
    return min(rows, key=lambda c: c.kind != "", default=None)


def place_label(code: str) -> str:
    """What the patient page shows for a birthplace code: « Laval (53) — 53130 », « Étranger
    — 99134 », or the bare code when unknown."""
    code = (code or "").strip().upper()
    if not code:
        return ""
    if ABROAD_RE.match(code):
        return f"Étranger — {code}"
    commune = commune_for_code(code)
    return f"{commune.label} — {code}" if commune else code


def commune_search(query: str, limit: int = 12) -> list[Commune]:
    """Communes whose name starts with (then contains) the typed words — accents, case,
    hyphens and « Saint »/« St » ignored —, or whose code starts with the typed digits;
    current communes first, then by population. Returns at most ``limit``."""
    query = (query or "").strip()
    if not query:
        return []
    cog = _cog()
    if re.match(r"^[0-9][0-9AB]\d{0,3}$", query.upper()):
        by_code = [c for c in cog.communes if c.code.startswith(query.upper())]
        return sorted(by_code, key=lambda c: (c.kind != "", c.code))[:limit]
    dep = ""
    m = re.match(r"^(.*?)\s*\((\d[0-9AB]\d?)\)$", query)
    if m:  # « Laval (53) »: the label picked earlier, typed back
        query, dep = m.group(1), m.group(2)
    words = _key(query).split()
    if not words:
        return []
    hits: list[tuple[tuple, Commune]] = []
    for c in cog.communes:
        if dep and c.departement != dep:
            continue
        key = c.key
        if all(w in key for w in words):
            starts = key.startswith(words[0])
            exact = key == " ".join(words)
            hits.append(((not exact, not starts, c.kind != "", -c.population, c.name), c))
    hits.sort(key=lambda h: h[0])
    return [commune for _, commune in hits[:limit]]


def _key(value: str) -> str:
    return _SAINT.sub(r"SAINT\1", search_key(value))


def resolve_birthplace(value: str) -> tuple[str, list[Commune]]:
    """What the birthplace field holds → (INSEE code, []) when it names one place: a known
    code, « 99xxx », or a commune name with a single exact match (current communes preferred);
    ("", candidates) when the name is ambiguous or unknown (candidates may be empty)."""
    value = (value or "").strip()
    if not value:
        return "", []
    if is_code(value.upper()):
        return (value.upper(), []) if is_known_code(value) else ("", [])
    hits = commune_search(value, limit=50)
    target = " ".join(_key(re.sub(r"\s*\(.*\)$", "", value)).split())
    exact = [c for c in hits if c.key == target]
    current = [c for c in exact if c.kind in {"", "M"}]
    for group in (current, exact):
        if len({c.code for c in group}) == 1:
            return group[0].code, []
    return "", (exact or hits)[:6]
