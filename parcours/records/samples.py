"""Form definitions of a gerontology network, after the screens of seed 004 (« Bilan social »,
« Suivi médecin ») and a dependency grid giving a GIR-like level. Used by the demo and the
tests; a coordinator builds the same through the form builder or a FHIR Questionnaire.

The grid is AGGIR-*like*, not AGGIR: the real GIR comes from the decree's algorithm (décret
n° 97-427, annexe 1) over ten discriminant variables coded A/B/C with weighted groups; here
each variable adds points and bands give the level, which is what a network's form builder
can express. Do not present its result as an official GIR.
"""

from typing import Any

HABITAT = [
    {"code": "maison", "display": "Maison"},
    {"code": "appartement", "display": "Appartement"},
    {"code": "foyer", "display": "Foyer-logement"},
]
ABC = [
    {"code": "A", "display": "Fait seul, totalement, habituellement, correctement", "score": 0},
    {"code": "B", "display": "Fait partiellement ou non habituellement", "score": 1},
    {"code": "C", "display": "Ne fait pas", "score": 2},
]

BILAN_SOCIAL: list[dict[str, Any]] = [
    {
        "linkId": "habitat",
        "text": "Habitat",
        "type": "group",
        "items": [
            {"linkId": "date_bilan", "text": "Date du bilan", "type": "date", "required": True},
            {"linkId": "habitat_adapte", "text": "Habitat adapté", "type": "boolean"},
            {
                "linkId": "type_habitat",
                "text": "Type d'habitat",
                "type": "choice",
                "options": HABITAT,
                "required": True,
            },
            {
                "linkId": "occupation",
                "text": "Locataire ou propriétaire",
                "type": "choice",
                "options": [
                    {"code": "locataire", "display": "Locataire"},
                    {"code": "proprietaire", "display": "Propriétaire"},
                    {"code": "heberge", "display": "Hébergé(e)"},
                ],
            },
            {
                "linkId": "etage",
                "text": "Étage",
                "type": "integer",
                "min": 0,
                "max": 30,
                "enableWhen": [
                    {"question": "type_habitat", "operator": "=", "answer": "appartement"}
                ],
            },
            {
                "linkId": "ascenseur",
                "text": "Ascenseur",
                "type": "boolean",
                "enableWhen": [{"question": "etage", "operator": ">", "answer": 0}],
            },
            {
                "linkId": "accessibilite",
                "text": "Accessibilité",
                "type": "multichoice",
                "options": [
                    {"code": "exterieure", "display": "Extérieure correcte"},
                    {"code": "interieure", "display": "Intérieure correcte"},
                    {"code": "wc", "display": "WC adaptés"},
                    {"code": "sdb", "display": "Salle de bain adaptée"},
                ],
            },
            {
                "linkId": "pieces",
                "text": "Nombre de pièces",
                "type": "integer",
                "min": 1,
                "max": 20,
            },
            {
                "linkId": "chauffage",
                "text": "Chauffage",
                "type": "string",
                "help": "Type et état (ex. : électrique, en état).",
            },
            {"linkId": "telephone", "text": "Téléphone", "type": "boolean"},
        ],
    },
    {
        "linkId": "entourage",
        "text": "Famille ou représentant",
        "type": "group",
        "items": [
            {
                "linkId": "contacts",
                "text": "Contacts",
                "type": "group",
                "repeats": True,
                "items": [
                    {"linkId": "contact_nom", "text": "Nom", "type": "string", "required": True},
                    {
                        "linkId": "contact_lien",
                        "text": "Lien",
                        "type": "choice",
                        "options": [
                            {"code": "enfant", "display": "Enfant"},
                            {"code": "conjoint", "display": "Conjoint(e)"},
                            {"code": "voisin", "display": "Voisin(e)"},
                            {"code": "tuteur", "display": "Tuteur / curateur"},
                        ],
                    },
                    {"linkId": "contact_tel", "text": "Téléphone", "type": "string"},
                ],
            },
            {"linkId": "aides", "text": "Aides en place", "type": "text"},
        ],
    },
]

SUIVI_MEDECIN: list[dict[str, Any]] = [
    {
        "linkId": "visite",
        "text": "Visite",
        "type": "group",
        "items": [
            {"linkId": "date_visite", "text": "Date de visite", "type": "date", "required": True},
            {"linkId": "motif", "text": "Motif", "type": "text", "required": True},
            {
                "linkId": "poids",
                "text": "Poids",
                "type": "decimal",
                "unit": "kg",
                "min": 20,
                "max": 250,
            },
            {"linkId": "douleur", "text": "Douleur (EVA)", "type": "scale", "min": 0, "max": 10},
            {"linkId": "suite", "text": "Suite donnée", "type": "text"},
        ],
    },
    {
        "linkId": "specialistes",
        "text": "Visites de spécialistes",
        "type": "group",
        "items": [
            {
                "linkId": "visites_specialistes",
                "text": "Visites",
                "type": "group",
                "repeats": True,
                "items": [
                    {"linkId": "spe_date", "text": "Date", "type": "date", "required": True},
                    {"linkId": "spe_specialite", "text": "Spécialité", "type": "string"},
                    {"linkId": "spe_conclusion", "text": "Conclusion", "type": "text"},
                ],
            }
        ],
    },
]

_GRID_ITEMS = [
    ("coherence", "Cohérence"),
    ("orientation", "Orientation"),
    ("toilette", "Toilette"),
    ("habillage", "Habillage"),
    ("alimentation", "Alimentation"),
    ("elimination", "Élimination"),
    ("transferts", "Transferts"),
    ("deplacements", "Déplacements à l'intérieur"),
]

GRILLE_DEPENDANCE: list[dict[str, Any]] = [
    {
        "linkId": "grille",
        "text": "Grille de dépendance",
        "type": "group",
        "items": [
            {
                "linkId": "date_eval",
                "text": "Date de l'évaluation",
                "type": "date",
                "required": True,
            },
            *[
                {"linkId": code, "text": text, "type": "choice", "options": ABC, "required": True}
                for code, text in _GRID_ITEMS
            ],
            {
                "linkId": "niveau",
                "text": "Niveau de dépendance (indicatif, type GIR)",
                "type": "score",
                "sources": [code for code, _text in _GRID_ITEMS],
                "levels": [
                    {"min": 0, "label": "Niveau 6 (autonome)"},
                    {"min": 3, "label": "Niveau 5"},
                    {"min": 5, "label": "Niveau 4"},
                    {"min": 8, "label": "Niveau 3"},
                    {"min": 11, "label": "Niveau 2"},
                    {"min": 14, "label": "Niveau 1 (dépendance totale)"},
                ],
            },
        ],
    }
]
