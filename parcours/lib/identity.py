"""Identity matching: blocking keys and a Fellegi–Sunter score for two patient identities.

Pure functions (no models), shared by the database matcher (``patients/matching.py``), the
duplicate review queue and the quality benchmarks (``bench/identity_quality.py``,
``bench/febrl.py``), so that what is measured is what runs. docs/architecture.md, "Identity
matching", explains the design.

Each trait of the pair is compared into a discrete *level* (``LEVELS``: exact, compound name,
typo, day/month swapped…), tolerant of the errors identitovigilance meets: typos
(Jaro-Winkler), dropped accents (names are compared in INS form), compound and hyphenated
names, birth name entered as used name, day and month swapped, one mistyped digit. The score is
Fellegi–Sunter's (Fellegi & Sunter, "A theory for record linkage", JASA 1969):

    weight(level) = log2(m / u)    m = P(level | same person), u = P(level | two people)
    score = 1 / (1 + 2^-Σ weights)

that is the Bayes factor of the pair read as a probability at even prior odds: the share of
true pairs among the candidates retrieved differs from one database and query to another, so
the prior measured on the training pairs is recorded but not added. A trait missing on either
side weighs 0 (neither for nor against).

m, u and the ``probable`` threshold are *estimated from data*, not set by hand:
``bench/identity_weights.py`` counts them on the labelled candidate pairs of two synthetic
training sets (the French set with seed 7 and FEBRL3; the benchmarks evaluate on seed 4 and
FEBRL4), with u measured among the candidates the blocking retrieves and m kept ≥ 0.001, picks
the threshold that maximises F1 there, and writes ``identity_weights.py`` beside this module,
loaded here once. ``POSSIBLE`` (the review floor) and ``SUPPORT_LIFT`` are policy.

Two kinds of traits:

- the five **strict traits** of the INS (birth name, birth given names, birth date, sex,
  birthplace), plus the used name and first name;
- **supporting evidence** (``SUPPORTING``: address, postcode, town, phone, a local identifier of
  the same issuing system): they move a pair between *possible* and *probable* for review, but
  never make it ``certain`` (RNIV: only the strict traits or the INS qualify an identity, and
  only ``certain`` attaches a lab result on its own).

Grades (the FHIR match-grade codes):

- ``certain``: same INS matricule, or the same five strict traits (birthplace present on both
  sides) — a rule, not a score (RNIV), never from supporting evidence;
- ``probable``: score ≥ the estimated threshold (``weights().probable``) and no veto;
- ``possible``: score ≥ POSSIBLE;
- ``certainly-not``: below, or two different INS-NIR matricules.

Vetoes cap a pair at ``possible`` whatever its score, because they describe different people
whom the independence assumption of the model cannot tell apart: different sex; incompatible
birth dates unless a local identifier of the same system weighs ``SUPPORT_LIFT`` bits or more
(never a household's address or phone, shared by a parent and a child of the same names); clearly
different first names with the same birth name and date (twins) unless the very same local
identifier of one system agrees.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein
from rapidfuzz.fuzz import token_sort_ratio

from .identity_weights import ESTIMATE as data
from .text import ins_form, search_key

PROBABLE = 0.85  # replaced by the estimated threshold of identity_weights.py, when given
POSSIBLE = 0.20
SUPPORT_LIFT = 10.0  # bits: a shared local identifier alone 1,000 to 1 for the same person

CERTAIN, PROBABLE_GRADE, POSSIBLE_GRADE, NOT = "certain", "probable", "possible", "certainly-not"
GRADE_ORDER = {CERTAIN: 3, PROBABLE_GRADE: 2, POSSIBLE_GRADE: 1, NOT: 0}

# The comparison levels of each trait, best first (the rows of the m and u tables).
LEVELS: dict[str, tuple[str, ...]] = {
    "family": ("exact", "compound", "used_name", "typo", "close", "far", "other"),
    "given": ("exact", "compound", "reordered", "typo", "close", "shared", "far", "other"),
    "birth_date": ("exact", "swapped", "digit", "partial", "other"),
    "sex": ("same", "other"),
    "birthplace": ("same", "other"),
    "address": ("exact", "close", "partial", "other"),
    "postcode": ("exact", "digit", "other"),
    "town": ("exact", "close", "other"),
    "phone": ("exact", "other"),
    "identifier": ("exact", "digit", "other"),
}
STRICT = ("family", "given", "birth_date", "sex", "birthplace")
SUPPORTING = ("address", "postcode", "town", "phone", "identifier")
WEIGHTS_FILE = Path(__file__).with_name("identity_weights.py")


@dataclass(frozen=True)
class Identity:
    """What is compared: traits in INS form (upper case, no accents)."""

    birth_name: str = ""
    given_names: str = ""  # birth given names, space-separated, first one first
    birth_date: date | None = None
    sex: str = ""  # F, M, I or "" (unknown)
    birthplace: str = ""  # INSEE code
    used_name: str = ""
    used_first_name: str = ""
    ins: str = ""
    ins_kind: str = ""  # NIR or NIA
    # Supporting evidence only (never qualifies an identity, never makes a pair certain).
    address: str = ""  # street line(s): number, street, locality
    postcode: str = ""
    town: str = ""
    phone: str = ""
    identifiers: tuple[str, ...] = ()  # local identifiers, "system|value"


@dataclass
class Match:
    score: float
    grade: str
    reasons: list[str] = field(default_factory=list)
    parts: dict[str, float] = field(default_factory=dict)  # trait → weight (bits)
    levels: dict[str, str] = field(default_factory=dict)  # trait → comparison level


@dataclass(frozen=True)
class Weights:
    """The estimated model: log2(m/u) per trait and level, and the prior log-odds (bits)."""

    prior: float
    table: dict[str, dict[str, float]]
    probable: float = PROBABLE

    @classmethod
    def from_mu(
        cls,
        prior: float,
        m: dict[str, dict[str, float]],
        u: dict[str, dict[str, float]],
        probable: float = PROBABLE,
    ) -> Weights:
        """From m and u probabilities per trait and level, the prior match probability and
        the ``probable`` score threshold."""
        table = {f: {lv: math.log2(m[f][lv] / u[f][lv]) for lv in LEVELS[f]} for f in m}
        return cls(math.log2(prior / (1 - prior)), table, probable)


@lru_cache(maxsize=1)
def weights() -> Weights:
    """The weights estimated by ``bench/identity_weights.py`` (``identity_weights.py``)."""
    table = cast(dict[str, Any], data)  # a generated literal: its shape is the estimator's
    return Weights.from_mu(
        float(table["prior"]), table["m"], table["u"], float(table.get("probable", PROBABLE))
    )


# --- blocking keys ----------------------------------------------------------------------------

_GROUPS = {
    **dict.fromkeys("BP", "1"),
    **dict.fromkeys("CKQG", "2"),
    **dict.fromkeys("DT", "3"),
    "L": "4",
    **dict.fromkeys("MN", "5"),
    "R": "6",
    "J": "7",
    **dict.fromkeys("SXZ", "8"),
    **dict.fromkeys("FV", "9"),
}
_REWRITES = [
    (re.compile(p), r)
    for p, r in (
        (r"PH", "F"),
        (r"SCH|SH", "CH"),
        (r"CH", "J"),
        (r"GU(?=[EI])", "G"),
        (r"QU", "K"),
        (r"C(?=[EIY])", "S"),
        (r"G(?=[EIY])", "J"),
        (r"TH", "T"),
        (r"W", "V"),
        (r"Y", "I"),
        (r"(EAU|AU)", "O"),
        (r"(ER|ET|EZ|ES|S|X|T|D)$", ""),
        (r"H", ""),
    )
]


def phonetic(word: str) -> str:
    """A French sound key for blocking (soundex-like, 4 characters): tolerant of doubled
    letters, silent endings, PH/F, C/K, Y/I. Only a blocking key: the score does the rest."""
    w = search_key(word).replace(" ", "").replace("-", "").replace("'", "")
    if not w:
        return ""
    for pattern, replacement in _REWRITES:
        w = pattern.sub(replacement, w) or w
    first, out, last = w[0], [], _GROUPS.get(w[0], "")
    for c in w[1:]:
        code = _GROUPS.get(c, "")
        if code and code != last:
            out.append(code)
        last = code
    return (first + "".join(out))[:4]


def name_key(name: str) -> str:
    """Blocking key of a family name: the sound of its first word (MARTIN-DURAND → MARTIN)."""
    words = search_key(name).split()
    return phonetic(words[0]) if words else ""


def given_key(given_names: str) -> str:
    words = search_key(given_names).split()
    return phonetic(words[0]) if words else ""


def swapped(d: date | None) -> date | None:
    """The date with day and month exchanged, when that is another valid date."""
    if d is None or d.day == d.month or d.day > 12:
        return None
    return date(d.year, d.day, d.month)


def phone_key(phone: str) -> str:
    """A phone number's last nine digits (+33 6…, 06…, 0033 6… are one number), or ""."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[-9:] if len(digits) >= 9 else ""


# --- comparisons: each returns (level, reason); level None = a trait missing ------------------


@lru_cache(maxsize=65536)
def _key(value: str) -> str:
    """``search_key``, cached: the same names come back in every candidate list."""
    return search_key(value)


def _jw(a: str, b: str) -> float:
    return JaroWinkler.normalized_similarity(a.replace(" ", ""), b.replace(" ", ""))


def _similarity_level(sim: float) -> str:
    return "typo" if sim >= 0.92 else "close" if sim >= 0.85 else "far" if sim >= 0.7 else "other"


def name_similarity(a: str, b: str) -> tuple[float, str]:
    """(similarity, reason) of two names in INS form."""
    ka, kb = _key(a), _key(b)
    if not ka or not kb:
        return 0.0, ""
    if ka == kb:
        return 1.0, ""
    if ka.replace(" ", "") == kb.replace(" ", ""):
        return 0.98, "nom composé (espace / trait d'union)"
    ta, tb = set(ka.split()), set(kb.split())
    if ta == tb:
        return 0.95, "nom composé inversé"
    if ta <= tb or tb <= ta:
        return 0.9, "nom composé partiel"
    sim = _jw(ka, kb)
    # Best word-to-word agreement, for "DUPONT-MARTIN" vs "DUPOND".
    words = max((_jw(x, y) for x in ta for y in tb), default=0.0)
    best = max(sim, words * 0.95)
    return best, "faute de frappe" if best >= 0.85 else ""


def _family(a: Identity, b: Identity) -> tuple[str | None, str]:
    if not _key(a.birth_name) or not _key(b.birth_name):
        return None, "nom manquant"
    sim, reason = name_similarity(a.birth_name, b.birth_name)
    if sim == 1.0:
        return "exact", ""
    if reason.startswith("nom composé"):
        return "compound", reason
    for x, y in (
        (a.birth_name, b.used_name),
        (a.used_name, b.birth_name),
        (a.used_name, b.used_name),
    ):
        if x and y:
            cross, _ = name_similarity(x, y)
            if cross >= 0.9 and cross > sim:
                return "used_name", "nom de naissance / nom utilisé"
    return _similarity_level(sim), reason


@lru_cache(maxsize=65536)
def _given_list(value: str) -> tuple[str, ...]:
    """Given names as the INS lists them: space-separated, a hyphenated name is one name."""
    return tuple(_key(g).replace(" ", "") for g in ins_form(value).split(" ") if g.strip())


def _given(a: Identity, b: Identity) -> tuple[str | None, str]:
    ga, gb = _given_list(a.given_names), _given_list(b.given_names)
    if not ga or not gb:
        return None, "prénom manquant"
    if ga[0] == gb[0]:
        return "exact", ""
    if (
        "".join(ga) == "".join(gb)
        or ga[0].startswith(gb[0] + gb[1] if len(gb) > 1 else "\0")
        or gb[0].startswith(ga[0] + ga[1] if len(ga) > 1 else "\0")
    ):
        return "compound", "prénom composé (espace / trait d'union)"
    # A space typed inside a name ("BR INLEY") splits it: the joined names are compared too.
    sim = max(_jw(ga[0], gb[0]), _jw("".join(ga), "".join(gb)) if len(ga) != len(gb) else 0)
    if sim >= 0.92:
        return "typo", "prénom mal orthographié"
    if set(ga) == set(gb):
        return "reordered", "ordre des prénoms"
    for x, y in (
        (a.used_first_name, b.given_names),
        (a.given_names, b.used_first_name),
        (a.used_first_name, b.used_first_name),
    ):
        kx, ky = _given_list(x), _given_list(y)
        if kx and ky and kx[0] == ky[0]:
            return "reordered", "prénom utilisé"
    if sim >= 0.85:
        return "close", "prénom mal orthographié"
    if set(ga) & set(gb):  # one shared name: a sibling as often as a typo
        return "shared", "un prénom en commun"
    return ("far", "prénom mal orthographié") if sim >= 0.7 else ("other", "prénoms différents")


def _one_edit(x: str, y: str) -> bool:
    """One character substituted, or two neighbours transposed (a typing error)."""
    return OSA.distance(x, y) == 1 and len(x) == len(y)


def _birth_date(a: date | None, b: date | None) -> tuple[str | None, str]:
    if a is None or b is None:
        return None, "date de naissance manquante"
    if a == b:
        return "exact", ""
    if swapped(a) == b:
        return "swapped", "jour et mois inversés"
    sa, sb = a.strftime("%Y%m%d"), b.strftime("%Y%m%d")
    if _one_edit(sa, sb) or (a.year == b.year and a.month == b.month and abs(a.day - b.day) == 1):
        return "digit", "date de naissance voisine (un chiffre)"
    if (a.year == b.year) + (a.month == b.month) + (a.day == b.day) == 2:
        return "partial", "date de naissance partiellement identique"
    return "other", "dates de naissance différentes"


def _exact(a: str, b: str, what: str) -> tuple[str | None, str]:
    if not a or not b:
        return None, ""
    return ("same", "") if a == b else ("other", f"{what} différent")


def _address(a: str, b: str) -> tuple[str | None, str]:
    ka, kb = _key(a), _key(b)
    if not ka or not kb:
        return None, ""
    if ka == kb:
        return "exact", "même adresse"
    ratio = token_sort_ratio(ka, kb) / 100
    if ratio >= 0.9:
        return "close", "adresse voisine"
    return ("partial", "") if ratio >= 0.7 else ("other", "")


def _postcode(a: str, b: str) -> tuple[str | None, str]:
    a, b = a.replace(" ", ""), b.replace(" ", "")
    if not a or not b:
        return None, ""
    if a == b:
        return "exact", "même code postal"
    return ("digit", "") if _one_edit(a, b) else ("other", "")


def _town(a: str, b: str) -> tuple[str | None, str]:
    ka, kb = _key(a), _key(b)
    if not ka or not kb:
        return None, ""
    if ka == kb:
        return "exact", "même commune"
    return ("close", "") if _jw(ka, kb) >= 0.9 else ("other", "")


def _phone(a: str, b: str) -> tuple[str | None, str]:
    ka, kb = phone_key(a), phone_key(b)
    if not ka or not kb:
        return None, ""
    return ("exact", "même téléphone") if ka == kb else ("other", "")


def _identifier(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str | None, str]:
    """Local identifiers compared within their issuing system only."""
    by_system: dict[str, set[str]] = {}
    for item in b:
        system, _, value = item.rpartition("|")
        by_system.setdefault(system, set()).add(value)
    level = None
    for item in a:
        system, _, value = item.rpartition("|")
        theirs = by_system.get(system)
        if not theirs:
            continue
        if value in theirs:
            return "exact", "même identifiant local"
        if any(Levenshtein.distance(value, v) == 1 or _one_edit(value, v) for v in theirs):
            level = "digit"
        elif level is None:
            level = "other"
    return level, ""


def levels(a: Identity, b: Identity) -> dict[str, tuple[str | None, str]]:
    """The comparison level of each trait for the pair, with its reason (French)."""
    return {
        "family": _family(a, b),
        "given": _given(a, b),
        "birth_date": _birth_date(a.birth_date, b.birth_date),
        "sex": (
            (None, "sexe manquant")
            if not a.sex or not b.sex
            else ("same", "")
            if a.sex == b.sex
            else ("other", "sexe différent")
        ),
        "birthplace": (
            (None, "lieu de naissance manquant")
            if not a.birthplace or not b.birthplace
            else _exact(a.birthplace, b.birthplace, "lieu de naissance")
        ),
        "address": _address(a.address, b.address),
        "postcode": _postcode(a.postcode, b.postcode),
        "town": _town(a.town, b.town),
        "phone": _phone(a.phone, b.phone),
        "identifier": _identifier(a.identifiers, b.identifiers),
    }


def strict_only(identity: Identity) -> Identity:
    """``identity`` without its supporting evidence: the traits that may qualify it (RNIV)."""
    return replace(identity, address="", postcode="", town="", phone="", identifiers=())


def grade_of(
    score: float, found: dict[str, str | None], support: float = 0.0, probable: float = PROBABLE
) -> tuple[str, list[str]]:
    """(grade, vetoes applied) of a pair from its score, its comparison levels (``found``),
    ``support`` (bits) and the ``probable`` threshold.

    Vetoes cap at ``possible``: a different sex; incompatible birth dates (neither equal,
    swapped nor one digit apart) unless ``support`` — the weight of a shared local identifier
    (``compare``) — is at least ``SUPPORT_LIFT``; the twins pattern (birth name equal or
    compound, birth date equal or swapped, first names clearly different) unless a local
    identifier of the same system agrees."""
    vetoes = []
    if found["sex"] == "other":
        vetoes.append("sexe différent")
    if found["birth_date"] in ("partial", "other") and support < SUPPORT_LIFT:
        vetoes.append("dates de naissance incompatibles")
    if (
        found["family"] in ("exact", "compound")
        and found["birth_date"] in ("exact", "swapped")
        and found["given"] in ("shared", "far", "other")
        and found["identifier"] != "exact"
    ):
        vetoes.append("prénoms différents (jumeaux ?)")
    if score >= probable and not vetoes:
        return PROBABLE_GRADE, vetoes
    if score >= POSSIBLE:
        return POSSIBLE_GRADE, vetoes
    return NOT, vetoes


def compare(a: Identity, b: Identity, model: Weights | None = None) -> Match:
    """Score and grade of the hypothesis "a and b are the same person".

    ``model`` defaults to the estimated weights (``weights()``). Returns a ``Match`` whose
    ``score`` is the pair's Bayes factor read as a probability (1.0 only for ``certain``),
    ``parts`` the weight of each compared trait (bits), ``levels`` their comparison levels and
    ``reasons`` what differs, in French. Raises nothing. Source of the ``certain`` rule: RNIV
    (référentiel national d'identitovigilance) — same INS matricule, or the five strict traits
    identical."""
    if a.ins and b.ins:
        if a.ins == b.ins:
            return Match(1.0, CERTAIN, ["même matricule INS"])
        if a.ins_kind != "NIA" and b.ins_kind != "NIA":
            return Match(0.0, NOT, ["matricules INS différents"])
    model = model or weights()
    compared = levels(a, b)
    found = {f: lv for f, (lv, _) in compared.items()}
    parts = {f: model.table[f][lv] for f, lv in found.items() if lv is not None}
    total = sum(parts.values())
    # Rounded, and below 1: only the rules above give 1.0.
    score = min(round(1 / (1 + 2**-total), 4), 0.9999) if total > -60 else 0.0
    reasons = [r for _, r in compared.values() if r]
    if (
        _key(a.birth_name) == _key(b.birth_name)
        and found["given"] == "exact"
        and found["birth_date"] == "exact"
        and found["sex"] == "same"
        and found["birthplace"] == "same"
    ):
        return Match(
            1.0, CERTAIN, ["mêmes cinq traits"], parts, {f: lv for f, lv in found.items() if lv}
        )
    # Only a local identifier may lift a date conflict: a household's traits (address,
    # postcode, town, phone) are shared by a parent and a child of the same names.
    grade, vetoes = grade_of(score, found, parts.get("identifier", 0.0), model.probable)
    if vetoes and grade != NOT:
        reasons += [v for v in vetoes if v not in reasons]
    return Match(score, grade, reasons, parts, {f: lv for f, lv in found.items() if lv})
