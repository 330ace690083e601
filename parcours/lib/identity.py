"""Identity matching: blocking keys and a transparent score for two patient identities.

Pure functions (no models), shared by the database matcher (``patients/matching.py``), the
duplicate review queue and the quality benchmark (``bench/identity_quality.py``), so that what
is measured is what runs. docs/architecture.md, "Identity matching", explains the design.

The score is a weighted sum of per-trait agreements, each in [0, 1]:

    family name 0.30 · given names 0.25 · birth date 0.25 · sex 0.10 · birthplace 0.10

A missing trait counts 0.5 (neither for nor against). Each comparison tolerates the errors
identitovigilance sees: typos (Jaro-Winkler), dropped accents (names are compared in INS form),
compound and hyphenated names (token inclusion), birth name entered as used name (cross
comparison), day and month swapped, one mistyped digit in a date.

Grades (the FHIR match-grade codes):

- ``certain``: same INS matricule, or the same five traits (birthplace present on both sides);
- ``probable``: score ≥ PROBABLE and no veto;
- ``possible``: score ≥ POSSIBLE;
- ``certainly-not``: below, or two different INS-NIR matricules.

Vetoes cap a pair at ``possible`` whatever its score, because they describe different people
who look alike: different sex, incompatible birth dates, or clearly different first names with
an identical birth name and date (twins).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from rapidfuzz.distance import JaroWinkler

from .text import ins_form, search_key

WEIGHTS = {"family": 0.30, "given": 0.25, "birth_date": 0.25, "sex": 0.10, "birthplace": 0.10}
PROBABLE = 0.85
POSSIBLE = 0.70
GIVEN_VETO = 0.80  # below this first-name agreement, identical others mean twins, not typos

CERTAIN, PROBABLE_GRADE, POSSIBLE_GRADE, NOT = "certain", "probable", "possible", \
    "certainly-not"
GRADE_ORDER = {CERTAIN: 3, PROBABLE_GRADE: 2, POSSIBLE_GRADE: 1, NOT: 0}


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


@dataclass
class Match:
    score: float
    grade: str
    reasons: list[str] = field(default_factory=list)
    parts: dict[str, float] = field(default_factory=dict)


# --- blocking keys ----------------------------------------------------------------------------

_GROUPS = {**dict.fromkeys("BP", "1"), **dict.fromkeys("CKQG", "2"), **dict.fromkeys("DT", "3"),
           "L": "4", **dict.fromkeys("MN", "5"), "R": "6", "J": "7",
           **dict.fromkeys("SXZ", "8"), **dict.fromkeys("FV", "9")}
_REWRITES = [(re.compile(p), r) for p, r in (
    (r"PH", "F"), (r"SCH|SH", "CH"), (r"CH", "J"), (r"GU(?=[EI])", "G"), (r"QU", "K"),
    (r"C(?=[EIY])", "S"), (r"G(?=[EIY])", "J"), (r"TH", "T"), (r"W", "V"), (r"Y", "I"),
    (r"(EAU|AU)", "O"), (r"(ER|ET|EZ|ES|S|X|T|D)$", ""), (r"H", ""))]


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


# --- comparisons ------------------------------------------------------------------------------

def _jw(a: str, b: str) -> float:
    return JaroWinkler.normalized_similarity(a.replace(" ", ""), b.replace(" ", ""))


def name_similarity(a: str, b: str) -> tuple[float, str]:
    """(similarity, reason) of two names in INS form."""
    ka, kb = search_key(a), search_key(b)
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


def _family(a: Identity, b: Identity) -> tuple[float, str]:
    sim, reason = name_similarity(a.birth_name, b.birth_name)
    if sim == 1.0:
        return sim, ""
    for x, y in ((a.birth_name, b.used_name), (a.used_name, b.birth_name),
                 (a.used_name, b.used_name)):
        if x and y:
            cross, _ = name_similarity(x, y)
            if cross * 0.95 > sim:
                sim, reason = cross * 0.95, "nom de naissance / nom utilisé"
    return sim, reason


def _given_list(value: str) -> list[str]:
    """Given names as the INS lists them: space-separated, a hyphenated name is one name."""
    return [search_key(g).replace(" ", "") for g in ins_form(value).split(" ") if g.strip()]


def _given(a: Identity, b: Identity) -> tuple[float, str]:
    ga, gb = _given_list(a.given_names), _given_list(b.given_names)
    if not ga or not gb:
        return 0.5, "prénom manquant"
    if ga[0] == gb[0]:
        return 1.0, ""
    if "".join(ga) == "".join(gb) or ga[0].startswith(gb[0] + gb[1] if len(gb) > 1 else "\0") \
            or gb[0].startswith(ga[0] + ga[1] if len(ga) > 1 else "\0"):
        return 0.98, "prénom composé (espace / trait d'union)"
    best, reason = _jw(ga[0], gb[0]), "prénom mal orthographié"
    if set(ga) == set(gb) and 0.9 > best:  # the same given names in another order
        best, reason = 0.9, "ordre des prénoms"
    elif set(ga) & set(gb) and 0.75 > best:  # one shared name: a sibling as often as a typo
        best, reason = 0.75, "un prénom en commun"
    for x, y in ((a.used_first_name, b.given_names), (a.given_names, b.used_first_name),
                 (a.used_first_name, b.used_first_name)):
        kx, ky = _given_list(x), _given_list(y)
        if kx and ky and kx[0] == ky[0] and best < 0.9:
            best, reason = 0.9, "prénom utilisé"
    return best, reason


def _one_digit(x: str, y: str) -> bool:
    return len(x) == len(y) and sum(c != d for c, d in zip(x, y, strict=True)) == 1


def _birth_date(a: date | None, b: date | None) -> tuple[float, str]:
    if a is None or b is None:
        return 0.5, "date de naissance manquante"
    if a == b:
        return 1.0, ""
    if swapped(a) == b:
        return 0.85, "jour et mois inversés"
    same = (a.year == b.year) + (a.month == b.month) + (a.day == b.day)
    if same == 2 and (_one_digit(f"{a.year:04d}{a.month:02d}{a.day:02d}",
                                 f"{b.year:04d}{b.month:02d}{b.day:02d}")
                      or (a.year == b.year and a.month == b.month and abs(a.day - b.day) == 1)):
        return 0.6, "date de naissance voisine (un chiffre)"
    return 0.0, ""


def _place(a: str, b: str) -> tuple[float, str]:
    if not a or not b:
        return 0.5, "lieu de naissance manquant"
    if a == b:
        return 1.0, ""
    return 0.0, ""


def compare(a: Identity, b: Identity) -> Match:
    """Score and grade of the hypothesis "a and b are the same person"."""
    if a.ins and b.ins:
        if a.ins == b.ins:
            return Match(1.0, CERTAIN, ["même matricule INS"])
        if a.ins_kind != "NIA" and b.ins_kind != "NIA":
            return Match(0.0, NOT, ["matricules INS différents"])
    family, r_family = _family(a, b)
    given, r_given = _given(a, b)
    born, r_born = _birth_date(a.birth_date, b.birth_date)
    if not a.sex or not b.sex:
        sex, r_sex = 0.5, "sexe manquant"
    else:
        sex, r_sex = (1.0, "") if a.sex == b.sex else (0.0, "sexe différent")
    place, r_place = _place(a.birthplace, b.birthplace)
    parts = {"family": family, "given": given, "birth_date": born, "sex": sex,
             "birthplace": place}
    score = round(sum(WEIGHTS[k] * v for k, v in parts.items()), 4)
    reasons = [r for r in (r_family, r_given, r_born, r_sex, r_place) if r]
    if (search_key(a.birth_name) == search_key(b.birth_name) and given == 1.0 and born == 1.0
            and sex == 1.0 and place == 1.0):
        return Match(1.0, CERTAIN, ["mêmes cinq traits"], parts)
    veto = sex == 0.0 or born == 0.0 or (given < GIVEN_VETO and family >= 0.95 and born >= 0.85)
    if veto and born == 0.0:
        reasons.append("dates de naissance incompatibles")
    if veto and given < GIVEN_VETO and born >= 0.85:
        reasons.append("prénoms différents (jumeaux ?)")
    if score >= PROBABLE and not veto:
        grade = PROBABLE_GRADE
    elif score >= POSSIBLE:
        grade = POSSIBLE_GRADE
    else:
        grade = NOT
    return Match(score, grade, reasons, parts)
