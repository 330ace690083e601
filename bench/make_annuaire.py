"""Write a synthetic Annuaire Santé extract (PS_LibreAcces_Personne_activite layout, 52 columns).

    .venv/bin/python bench/make_annuaire.py 2000000 var/bench/annuaire_2M.txt [--latin1] [--seed 1]

Everything is invented: family names are built from syllables, identifiers are random, towns
are made-up names in real department numbers. The distribution imitates the national file:
professions weighted as in the RPPS/ADELI population (nurses and doctors first), doctors'
specialties with general practice the largest, one to four activity rows per professional
(liberal practice plus hospital or several sites), salaried staff grouped in a few thousand
hospitals, liberal professionals in their own or shared practices.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

HEADER = (
    "Type d'identifiant PP|Identifiant PP|Identification nationale PP|Code civilité d'exercice|"
    "Libellé civilité d'exercice|Code civilité|Libellé civilité|Nom d'exercice|"
    "Prénom d'exercice|Code profession|Libellé profession|Code catégorie professionnelle|"
    "Libellé catégorie professionnelle|Code type savoir-faire|Libellé type savoir-faire|"
    "Code savoir-faire|Libellé savoir-faire|Code mode exercice|Libellé mode exercice|"
    "Numéro SIRET site|Numéro SIREN site|Numéro FINESS site|"
    "Numéro FINESS établissement juridique|Identifiant technique de la structure|"
    "Raison sociale site|Enseigne commerciale site|"
    "Complément destinataire (coord. structure)|"
    "Complément point géographique (coord. structure)|Numéro Voie (coord. structure)|"
    "Indice répétition voie (coord. structure)|Code type de voie (coord. structure)|"
    "Libellé type de voie (coord. structure)|Libellé Voie (coord. structure)|"
    "Mention distribution (coord. structure)|Bureau cedex (coord. structure)|"
    "Code postal (coord. structure)|Code commune (coord. structure)|"
    "Libellé commune (coord. structure)|Code pays (coord. structure)|"
    "Libellé pays (coord. structure)|Téléphone (coord. structure)|"
    "Téléphone 2 (coord. structure)|Télécopie (coord. structure)|"
    "Adresse e-mail (coord. structure)|Code Département (structure)|"
    "Libellé Département (structure)|Ancien identifiant de la structure|"
    "Autorité d'enregistrement|Code secteur d'activité|Libellé secteur d'activité|"
    "Code section tableau pharmaciens|Libellé section tableau pharmaciens|"
)

# (code, label, weight, salaried share)
PROFESSIONS = [
    ("60", "Infirmier", 34, 0.75),
    ("10", "Médecin", 28, 0.45),
    ("50", "Masseur-Kinésithérapeute", 10, 0.2),
    ("21", "Pharmacien", 9, 0.3),
    ("40", "Chirurgien-Dentiste", 5, 0.1),
    ("91", "Orthophoniste", 3, 0.15),
    ("70", "Sage-Femme", 3, 0.6),
    ("80", "Pédicure-Podologue", 2, 0.05),
    ("92", "Orthoptiste", 1, 0.2),
    ("26", "Audioprothésiste", 1, 0.5),
    ("28", "Opticien-Lunetier", 2, 0.5),
    ("94", "Psychomotricien", 2, 0.6),
]
SPECIALTIES = [
    ("SM54", "Médecine générale", 40),
    ("SM04", "Cardiologie et maladies vasculaires", 4),
    ("SM02", "Anesthésie-réanimation", 6),
    ("SM44", "Radio-diagnostic", 5),
    ("SM40", "Pédiatrie", 5),
    ("SM41", "Pneumologie", 2),
    ("SM26", "Gynécologie-obstétrique", 4),
    ("SM42", "Psychiatrie", 7),
    ("SM19", "Gastro-entérologie et hépatologie", 2),
    ("SM15", "Dermatologie et vénéréologie", 2),
    ("SM38", "Ophtalmologie", 3),
    ("SM35", "Oto-rhino-laryngologie", 2),
    ("SM53", "Chirurgie orthopédique", 3),
    ("SM33", "Neurologie", 2),
    ("SM49", "Santé publique et médecine sociale", 1),
    ("SM22", "Endocrinologie", 1),
    ("SM28", "Gériatrie", 2),
    ("SM30", "Médecine d'urgence", 4),
    ("SM32", "Néphrologie", 1),
    ("SM36", "Oncologie", 1),
    ("SM50", "Rhumatologie", 1),
    ("SM58", "Urologie", 1),
    ("SM21", "Chirurgie viscérale et digestive", 2),
]
GIVEN = (
    "MARIE ANNE SOPHIE CLAIRE ISABELLE NATHALIE CÉLINE HÉLÈNE AGNÈS ZOÉ CHLOÉ LÉA MANON "
    "CAMILLE JULIE SARAH EMMA INÈS LOUISE ALICE ÉLODIE AURÉLIE MÉLANIE GAËLLE MARIE-CLAIRE "
    "ANNE-SOPHIE JEAN PIERRE MICHEL THÉO LUC MARC PAUL NICOLAS THOMAS JULIEN FRANÇOIS "
    "JÉRÔME SÉBASTIEN RÉMI ANTOINE HUGO LOUIS GAËL NOÉ JEAN-PIERRE JEAN-FRANÇOIS "
    "PIERRE-YVES BENOÎT CÉDRIC ÉRIC HERVÉ YANNICK"
).split()
ONSETS = [
    "B",
    "BR",
    "C",
    "CH",
    "D",
    "F",
    "G",
    "GR",
    "J",
    "L",
    "M",
    "N",
    "P",
    "PR",
    "R",
    "S",
    "T",
    "TR",
    "V",
    "",
    "QU",
    "H",
]
VOWELS = ["A", "E", "I", "O", "OU", "AU", "É", "È", "EU", "AI", "U"]
CODAS = ["", "", "N", "R", "L", "S", "T", "ND", "RD", "NT", "UX", "LT"]
ENDINGS = ["", "", "", "ET", "IN", "OT", "ARD", "IER", "EAU", "AND", "ON", "EUX", "ÈRE"]
PARTICLES = ["", "", "", "", "", "", "", "", "", "", "LE ", "DE ", "DE LA ", "DU ", "LA "]
STREET_TYPES = [
    ("RUE", "Rue"),
    ("AV", "Avenue"),
    ("BD", "Boulevard"),
    ("PL", "Place"),
    ("IMP", "Impasse"),
    ("ALL", "Allée"),
    ("CHE", "Chemin"),
    ("RTE", "Route"),
]
STREETS = [
    "DE LA PAIX",
    "DES LILAS",
    "DU GÉNÉRAL LECLERC",
    "VICTOR HUGO",
    "JEAN JAURÈS",
    "DE LA GARE",
    "DU MOULIN",
    "DES ÉCOLES",
    "PASTEUR",
    "DE LA RÉPUBLIQUE",
    "DES TILLEULS",
    "DU CHÂTEAU",
    "DE L'ÉGLISE",
    "NATIONALE",
    "DES ROSIERS",
    "DU STADE",
]
TOWN_PARTS = ["SAINT-", "SAINTE-", "", "", "", "LE ", "LA ", "LES "]
TOWN_SUFFIX = [
    "",
    "",
    "",
    "-SUR-MER",
    "-SUR-LOIRE",
    "-LES-BAINS",
    "-EN-VAL",
    "-LA-FORÊT",
    "-DU-LAC",
    "-SUR-SEINE",
]
DEPARTMENTS = [f"{d:02d}" for d in range(1, 96) if d != 20] + ["2A", "2B"]


def family_name(rng: random.Random) -> str:
    word = "".join(
        rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS)
        for _ in range(rng.choice((1, 2, 2, 3)))
    ) + rng.choice(ENDINGS)
    name = rng.choice(PARTICLES) + word
    if rng.random() < 0.04:  # compound family names
        name += "-" + "".join(
            rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS) for _ in range(2)
        )
    return name


def make_towns(rng: random.Random, n: int) -> list[tuple[str, str, str, str]]:
    towns = []
    for i in range(n):
        dept = rng.choice(DEPARTMENTS)
        name = (
            rng.choice(TOWN_PARTS) + family_name(rng).split(" ")[-1] + rng.choice(TOWN_SUFFIX)
        ).strip()
        num = dept.replace("2A", "20").replace("2B", "20")
        postcode = f"{num}{rng.randrange(0, 1000):03d}" if len(num) == 2 else num
        commune = f"{dept}{i % 1000:03d}"
        towns.append((postcode[:5], commune, name, dept))
    return towns


def pick(rng: random.Random, items, weights):
    return rng.choices(items, weights=weights, k=1)[0]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("rows", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--latin1", action="store_true", help="write Latin-1 instead of UTF-8")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    towns = make_towns(rng, max(50, min(30000, args.rows // 60)))
    # Town weights: a few large towns, a long tail of villages (Zipf-like).
    town_weights = [1.0 / (i + 1) ** 0.8 for i in range(len(towns))]
    n_hospitals = max(5, args.rows // 700)
    hospitals = []
    for h in range(n_hospitals):
        t = rng.choices(towns, weights=town_weights, k=1)[0]
        kind = rng.choice(["CH", "CHU", "CLINIQUE", "CENTRE HOSPITALIER", "HÔPITAL LOCAL"])
        sector = (
            ("SA01", "Etablissement public de santé")
            if kind != "CLINIQUE"
            else ("SA03", "Etablissement privé non PSPH")
        )
        hospitals.append(
            (
                f"R1{h:013d}",
                f"{kind} {t[2]}",
                t,
                f"{rng.randrange(10**8):09d}",
                f"{rng.randrange(10**8):09d}",
                sector,
            )
        )
    prof_w = [p[2] for p in PROFESSIONS]
    spec_w = [s[2] for s in SPECIALTIES]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    encoding = "latin-1" if args.latin1 else "utf-8"
    written = 0
    person = 0
    shared_practices: list[tuple] = []
    with open(
        args.out, "w", encoding=encoding, errors="replace", newline="\n", buffering=1 << 20
    ) as out:
        out.write(HEADER + "\n")
        while written < args.rows:
            person += 1
            rpps_like = rng.random() < 0.85
            id_type = "8" if rpps_like else "0"
            id_pp = f"1{rng.randrange(10**10):010d}" if rpps_like else f"{rng.randrange(10**9):09d}"
            last = family_name(rng)
            first = rng.choice(GIVEN)
            prof = pick(rng, PROFESSIONS, prof_w)
            civ = rng.choice((("M", "Monsieur"), ("MME", "Madame")))
            is_doctor = prof[0] in ("10", "40")
            title = ("DR", "Docteur") if is_doctor else ("", "")
            spec = pick(rng, SPECIALTIES, spec_w) if prof[0] == "10" else None
            n_act = rng.choices((1, 2, 3, 4), weights=(62, 27, 8, 3), k=1)[0]
            for _ in range(n_act):
                if written >= args.rows:
                    break
                salaried = rng.random() < prof[3]
                if salaried:
                    sid, name, town, finess, finess_j, sector = rng.choice(hospitals)
                    mode = ("S", "Salarié")
                    siret = ""
                else:
                    mode = ("L", "Libéral")
                    finess = finess_j = ""
                    if shared_practices and rng.random() < 0.35:
                        sid, name, town, sector = rng.choice(shared_practices)
                    else:
                        sid = f"R2{rng.randrange(10**13):013d}"
                        town = rng.choices(towns, weights=town_weights, k=1)[0]
                        group = rng.random() < 0.3
                        name = (
                            f"MSP {town[2]}"
                            if group and rng.random() < 0.3
                            else f"CABINET {'DR ' if is_doctor else ''}{last}"
                        )
                        sector = (
                            ("SA08", "Cabinet de groupe")
                            if group
                            else ("SA07", "Cabinet individuel")
                        )
                        if group and len(shared_practices) < 200_000:
                            shared_practices.append((sid, name, town, sector))
                    siret = f"{rng.randrange(10**14):014d}"
                postcode, commune, town_name, dept = town
                st = rng.choice(STREET_TYPES)
                email = (
                    f"contact{rng.randrange(10**6)}@cabinet.invalid" if rng.random() < 0.3 else ""
                )
                row = [
                    id_type,
                    id_pp,
                    id_type + id_pp,
                    title[0],
                    title[1],
                    civ[0],
                    civ[1],
                    last,
                    first,
                    prof[0],
                    prof[1],
                    "C",
                    "Civil",
                    "S" if spec else "",
                    "Spécialité ordinale" if spec else "",
                    spec[0] if spec else "",
                    spec[1] if spec else "",
                    mode[0],
                    mode[1],
                    siret,
                    siret[:9],
                    finess,
                    finess_j,
                    sid,
                    name,
                    "",
                    "",
                    "",
                    str(rng.randrange(1, 200)),
                    rng.choice(("", "", "", "B", "T")),
                    st[0],
                    st[1],
                    rng.choice(STREETS),
                    "",
                    f"{postcode} {town_name}",
                    postcode,
                    commune,
                    town_name,
                    "99000",
                    "France",
                    f"0{rng.randrange(1, 6)}{rng.randrange(10**8):08d}",
                    "",
                    "",
                    email,
                    dept,
                    f"Département {dept}",
                    "",
                    "ARS/CNOM/CNOM",
                    sector[0],
                    sector[1],
                    "",
                    "",
                ]
                out.write("|".join(row) + "|\n")
                written += 1
    print(
        f"{written} lignes, {person} professionnels, {len(hospitals)} établissements, "
        f"{len(towns)} communes → {args.out} ({encoding})",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
