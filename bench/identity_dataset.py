"""A labelled synthetic set of French identities with the errors identitovigilance meets.

Everything is invented: names are drawn from lists of common French family and given names,
birthplaces from a list of INSEE commune codes, dates uniformly over a century.

    python bench/identity_dataset.py --people 20000 --seed 4 > var/identities.jsonl

``dataset(people, seed)`` returns (reference records, query records). Each record has an
``entity`` label: a query record is a true duplicate of the reference record with the same
entity, or has no reference at all (``entity`` not among the references). Queries are:

- noisy copies of a reference (one or two errors each: typo in a name, accents dropped or
  added, compound/hyphenated name variants, birth name replaced by the used name, day and
  month swapped, a mistyped digit in the date, missing birthplace, missing given names after
  the first, first names in another order);
- hard negatives that are other people: twins (same family name, date, place and sex, another
  first name), namesakes (same names and sex, another date), relatives (same family name and
  birthplace), and random new people.
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta

FAMILY = """MARTIN BERNARD THOMAS PETIT ROBERT RICHARD DURAND DUBOIS MOREAU LAURENT SIMON MICHEL
LEFEBVRE LEROY ROUX DAVID BERTRAND MOREL FOURNIER GIRARD BONNET DUPONT LAMBERT FONTAINE ROUSSEAU
VINCENT MULLER LEFEVRE FAURE ANDRE MERCIER BLANC GUERIN BOYER GARNIER CHEVALIER FRANCOIS LEGRAND
GAUTHIER GARCIA PERRIN ROBIN CLEMENT MORIN NICOLAS HENRY ROUSSEL MATHIEU GAUTIER MASSON MARCHAND
DUVAL DENIS DUMONT MARIE LEMAIRE NOEL MEYER DUFOUR MEUNIER BRUN BLANCHARD GIRAUD JOLY RIVIERE
LUCAS BRUNET GAILLARD BARBIER ARNAUD MARTINEZ GERARD ROCHE RENARD SCHMITT ROY LEROUX COLIN VIDAL
CARON PICARD ROGER FABRE AUBERT LEMOINE RENAUD DUMAS LACROIX OLIVIER PHILIPPE BOURGEOIS PIERRE
BENOIT REY LECLERC PAYET ROLLAND LECLERCQ GUILLAUME LECOMTE LOPEZ JEAN DUPUY GUILLOT HUBERT
BERGER CARPENTIER SANCHEZ DUPUIS MOULIN LOUIS DESCHAMPS HUET VASSEUR PEREZ BOUCHER FLEURY ROYER
KLEIN JACQUET ADAM PARIS POIRIER MARTY AUBRY GUYOT CARRE CHARLES RENAULT CHARPENTIER MENARD
MAILLARD BARON BERTIN BAILLY HERVE SCHNEIDER FERNANDEZ LE-GALL COLLET LEGER BOUVIER JULIEN
PREVOST MILLET PERROT DANIEL LE-ROUX COUSIN GERMAIN BRETON BESSON LANGLOIS REMY LE-GOFF PELLETIER
LEVEQUE PERRIER LEBLANC BARRE LEBRUN MARCHAL WEBER MALLET HAMON BOULANGER JACOB MONNIER MICHAUD
RODRIGUEZ GUICHARD GILLET ETIENNE GRONDIN POULAIN TESSIER CHEVALLIER COLLIN CHAUVIN DA-SILVA
BOUCHET GAY LEMAITRE BENARD MARECHAL HUMBERT REYNAUD ANTOINE HOARAU PERRET BARTHELEMY CORDIER
PICHON LEJEUNE GILBERT LAMY DELAUNAY PASQUIER CARLIER LAPORTE""".split()
FEMALE = """MARIE JEANNE FRANCOISE MONIQUE CATHERINE NATHALIE ISABELLE JACQUELINE ANNE SYLVIE
MARTINE MADELEINE NICOLE SUZANNE HELENE CHRISTINE MARGUERITE DENISE LOUISE CHRISTIANE YVONNE
VALERIE SOPHIE STEPHANIE CELINE CAMILLE JULIE AURELIE SANDRINE LEA EMMA CHLOE MANON INES SARAH
LAURA PAULINE MATHILDE ELODIE LUCIE AGNES BRIGITTE CLAIRE CLAUDINE DOMINIQUE EMILIE GENEVIEVE
JOSETTE MARIE-CLAIRE ANNE-SOPHIE MARIE-THERESE ZOE JADE ALICE ROSE ANAIS OCEANE""".split()
MALE = """JEAN PIERRE MICHEL ANDRE PHILIPPE RENE LOUIS ALAIN JACQUES BERNARD MARCEL DANIEL ROGER
ROBERT PAUL CLAUDE CHRISTIAN HENRI GEORGES NICOLAS FRANCOIS PATRICK GERARD CHRISTOPHE JOSEPH
JULIEN DAVID THOMAS LUCAS HUGO LOUIS GABRIEL ARTHUR RAPHAEL LEO ETIENNE MAXIME ANTOINE
SEBASTIEN FREDERIC LAURENT OLIVIER ERIC THIERRY YVES GUY JEAN-PIERRE JEAN-CLAUDE JEAN-LUC
JEAN-MARC PIERRE-YVES NOAH ENZO MATHIS""".split()
PLACES = """53130 53147 53062 53201 53185 72181 72264 49007 49099 35238 35047 44109 44184 61001
61169 75056 69123 13055 31555 59350 67482 33063 34172 06088 76540 29019 56260 22278 37261
45234 14118 50502 79191 85191 86194 17300 16015 87085 63113 99350 99139 99352""".split()
STREETS = [
    f"{kind} {name}"
    for kind in ("RUE", "AVENUE", "BOULEVARD", "CHEMIN", "PLACE", "IMPASSE", "ALLEE")
    for name in (
        "DES LILAS",
        "VICTOR HUGO",
        "DE LA GARE",
        "DU MOULIN",
        "JEAN JAURES",
        "DES ECOLES",
        "PASTEUR",
        "DE L'EGLISE",
        "DU CHATEAU",
        "DES PRES",
        "GAMBETTA",
        "DE LA REPUBLIQUE",
        "DES TILLEULS",
        "DU STADE",
        "SAINT-MARTIN",
        "DE BRETAGNE",
        "DU GENERAL DE GAULLE",
        "FOCH",
    )
]
TOWNS = [
    ("53000", "LAVAL"),
    ("53100", "MAYENNE"),
    ("53200", "CHATEAU-GONTIER-SUR-MAYENNE"),
    ("53300", "AMBRIERES-LES-VALLEES"),
    ("53400", "CRAON"),
    ("53500", "ERNEE"),
    ("53600", "EVRON"),
    ("53700", "VILLAINES-LA-JUHEL"),
    ("53800", "RENAZE"),
    ("53940", "SAINT-BERTHEVIN"),
    ("53960", "BONCHAMP-LES-LAVAL"),
    ("72000", "LE MANS"),
    ("49000", "ANGERS"),
    ("35000", "RENNES"),
    ("44000", "NANTES"),
    ("61000", "ALENCON"),
    ("75011", "PARIS"),
    ("69003", "LYON"),
    ("72200", "LA FLECHE"),
    ("35300", "FOUGERES"),
]
ACCENTS = {"E": "É", "A": "À", "C": "Ç", "O": "Ô", "I": "Ï", "U": "Ù"}


@dataclass(frozen=True)
class Rec:
    entity: int
    birth_name: str
    given_names: str
    birth_date: str  # ISO
    sex: str
    birthplace: str = ""
    used_name: str = ""
    used_first_name: str = ""
    # Contact traits (supporting evidence only), drawn with a separate random stream so that
    # the strict traits above are the same as before they existed.
    address: str = ""
    postcode: str = ""
    town: str = ""
    phone: str = ""
    error: str = ""  # what was done to make this record (for analysis only)


def _person(rng: random.Random, entity: int) -> Rec:
    sex = rng.choice("FM")
    names = FEMALE if sex == "F" else MALE
    given = " ".join(rng.sample(names, rng.choice((1, 1, 2, 2, 3))))
    born = date(1925, 1, 1) + timedelta(days=rng.randrange(365 * 100))
    family = rng.choice(FAMILY)
    used = rng.choice(FAMILY) if sex == "F" and rng.random() < 0.35 else ""
    return Rec(entity, family, given, born.isoformat(), sex, rng.choice(PLACES), used)


def _typo(rng: random.Random, word: str) -> str:
    letters = [i for i, c in enumerate(word) if c.isalpha()]
    if len(letters) < 4:
        return word + word[-1]
    i = rng.choice(letters[1:])
    op = rng.choice(("sub", "del", "dup", "swap"))
    if op == "sub":
        return word[:i] + rng.choice("AEIOURSTNL") + word[i + 1 :]
    if op == "del":
        return word[:i] + word[i + 1 :]
    if op == "dup":
        return word[:i] + word[i] + word[i:]
    j = min(i + 1, len(word) - 1)
    return word[:i] + word[j] + word[i] + word[j + 1 :]


def _accent(rng: random.Random, word: str) -> str:
    for plain, accented in ACCENTS.items():
        if plain in word[1:]:
            i = word.index(plain, 1)
            return (word[:i] + accented + word[i + 1 :]).title()
    return word.lower()


ERRORS = (
    "typo_family",
    "typo_given",
    "accents",
    "compound",
    "used_as_birth",
    "swap_day_month",
    "date_digit",
    "no_birthplace",
    "first_given_only",
    "given_order",
    "hyphen_given",
)


def _corrupt(rng: random.Random, r: Rec, error: str) -> Rec:
    d = date.fromisoformat(r.birth_date)
    if error == "typo_family":
        return replace(r, birth_name=_typo(rng, r.birth_name))
    if error == "typo_given":
        first, *rest = r.given_names.split()
        return replace(r, given_names=" ".join([_typo(rng, first), *rest]))
    if error == "accents":
        return replace(
            r, birth_name=_accent(rng, r.birth_name), given_names=_accent(rng, r.given_names)
        )
    if error == "compound":
        if "-" in r.birth_name:
            return replace(
                r,
                birth_name=rng.choice(
                    (r.birth_name.replace("-", " "), r.birth_name.replace("-", ""))
                ),
            )
        other = rng.choice(FAMILY)
        return replace(
            r, birth_name=rng.choice((f"{r.birth_name}-{other}", f"{r.birth_name} {other}"))
        )
    if error == "used_as_birth" and r.used_name:
        return replace(r, birth_name=r.used_name, used_name=r.birth_name)
    if error == "swap_day_month" and d.day <= 12 and d.day != d.month:
        return replace(r, birth_date=date(d.year, d.day, d.month).isoformat())
    if error == "date_digit":
        for _ in range(5):
            day = d.day + rng.choice((-1, 1)) * (1 if rng.random() < 0.7 else 10)
            try:
                return replace(r, birth_date=date(d.year, d.month, day).isoformat())
            except ValueError:
                continue
    if error == "no_birthplace":
        return replace(r, birthplace="")
    if error == "first_given_only":
        return replace(r, given_names=r.given_names.split()[0])
    if error == "given_order" and " " in r.given_names:
        parts = r.given_names.split()
        return replace(r, given_names=" ".join(parts[1:] + parts[:1]))
    if error == "hyphen_given" and " " in r.given_names:
        parts = r.given_names.split()
        return replace(r, given_names="-".join(parts[:2]) + " " + " ".join(parts[2:]))
    return replace(r, birth_name=_typo(rng, r.birth_name))  # error not applicable: a typo


def _home(rc: random.Random) -> dict:
    postcode, town = rc.choice(TOWNS)
    return {
        "address": f"{rc.randrange(1, 150)} {rc.choice(STREETS)}" if rc.random() < 0.9 else "",
        "postcode": postcode,
        "town": town,
        "phone": f"0{rc.choice('67')}{rc.randrange(10**8):08d}" if rc.random() < 0.85 else "",
    }


def _contact(rc: random.Random, q: Rec, ref: Rec) -> Rec:
    """Contact traits of a query record, from its reference's when it shares a home: a
    duplicate usually keeps them (sometimes moved, a new phone, a typo, or none typed); twins
    and relatives often live at the same address; other people have their own."""
    own = _home(rc)
    home = {k: getattr(ref, k) for k in ("address", "postcode", "town", "phone")}
    roll = rc.random()
    if q.error in ("namesake", "new"):
        return replace(q, **own)
    if q.error == "twin":
        shared = home if roll < 0.8 else own
        return replace(
            q, **{**shared, "phone": home["phone"] if rc.random() < 0.5 else own["phone"]}
        )
    if q.error == "relative":
        return replace(
            q,
            **(
                {**home, "phone": home["phone"] if rc.random() < 0.3 else own["phone"]}
                if roll < 0.5
                else own
            ),
        )
    if roll < 0.10:  # a duplicate: nothing typed
        return replace(q, address="", postcode="", town="", phone="")
    if roll < 0.25:  # moved since
        return replace(q, **own)
    if roll < 0.40:  # another phone number
        return replace(q, **{**home, "phone": own["phone"]})
    if roll < 0.45 and home["address"]:  # a typo in the street
        number, street = home["address"].split(" ", 1)
        return replace(q, **{**home, "address": f"{number} {_typo(rc, street)}"})
    return replace(q, **home)


def dataset(
    people: int = 20000, seed: int = 4, contact: bool = False
) -> tuple[list[Rec], list[Rec]]:
    """(references, queries); with ``contact``, each record also gets an address, postcode,
    town and phone from a separate random stream (the strict traits are the same either way)."""
    rng = random.Random(seed)
    rc = random.Random(seed * 7919 + 1)  # contact traits: a stream of their own
    refs = [_person(rng, i) for i in range(people)]
    refs = [replace(r, **_home(rc)) for r in refs]
    queries: list[Rec] = []
    sourced: list[Rec] = []  # the reference each query was made from
    next_entity = people
    for r in refs:
        roll = rng.random()
        if roll < 0.45:  # a duplicate with one or two errors
            errors = rng.sample(ERRORS, rng.choice((1, 1, 2)))
            q = r
            for e in errors:
                q = _corrupt(rng, q, e)
            queries.append(replace(q, error="+".join(errors)))
        elif roll < 0.50:  # an exact re-entry
            queries.append(replace(r, error="exact"))
        elif roll < 0.56:  # a twin: another person
            names = FEMALE if r.sex == "F" else MALE
            first = rng.choice([n for n in names if n != r.given_names.split()[0]])
            queries.append(replace(r, entity=next_entity, given_names=first, error="twin"))
            next_entity += 1
        elif roll < 0.62:  # a namesake born another day
            d = date.fromisoformat(r.birth_date) + timedelta(days=rng.randrange(30, 20000))
            queries.append(
                replace(
                    r,
                    entity=next_entity,
                    birth_date=d.isoformat(),
                    birthplace=rng.choice(PLACES),
                    error="namesake",
                )
            )
            next_entity += 1
        elif roll < 0.66:  # a relative: same family name and town, other names and date
            other = _person(rng, next_entity)
            queries.append(
                replace(other, birth_name=r.birth_name, birthplace=r.birthplace, error="relative")
            )
            next_entity += 1
        elif roll < 0.70:
            queries.append(replace(_person(rng, next_entity), error="new"))
            next_entity += 1
        if len(queries) > len(sourced):
            sourced.append(r)
    if not contact:
        bare = {"address": "", "postcode": "", "town": "", "phone": ""}
        return [replace(r, **bare) for r in refs], [replace(q, **bare) for q in queries]
    return refs, [_contact(rc, q, ref) for q, ref in zip(queries, sourced, strict=True)]


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    refs, queries = dataset(args.people, args.seed)
    for kind, rows in (("reference", refs), ("query", queries)):
        for row in rows:
            sys.stdout.write(json.dumps({"set": kind, **asdict(row)}, ensure_ascii=False) + "\n")
