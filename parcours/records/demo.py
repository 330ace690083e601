"""Demo care networks (every name invented): a gerontology network after seed 004's example
(home care for dependent elderly people, social and medical assessments at home, coordination
meeting, follow-up) and a palliative care network; a dozen enrolled patients at every stage.

Accounts: ``coordination.geronto`` (coordinator), ``social.geronto`` (social worker: writes the
social assessment, cannot read the medical follow-up), ``infirmier.geronto`` (nurse, also a
member of the palliative network), ``coordination.palliatif``, and ``medecin.ville`` as a
member GP. Everything goes through the services (audit, history, consent first).
"""

from __future__ import annotations

import copy
from datetime import date, timedelta

from django.utils import timezone

from parcours.accounts.models import User
from parcours.directory.models import Organisation
from parcours.patients.services import patient_create

from . import samples
from .models import Member, Profile, Record
from .services import (
    circle_add,
    draft_get_or_create,
    draft_save,
    form_create,
    member_set,
    network_create,
    record_open,
    response_save,
    rights_set,
    stage_move,
    version_publish,
)

PASSWORD = "demo"
GERONTO_PROFILES = [
    ("coordination", "Coordination", True),
    ("medecin", "Médecin", False),
    ("infirmier", "Infirmier(e)", False),
    ("social", "Assistant(e) social(e)", False),
    ("psychologue", "Psychologue", False),
]
GERONTO_RIGHTS = {
    "bilan-social": {"social": "write", "infirmier": "read", "medecin": "read"},
    "suivi-medecin": {"medecin": "write", "infirmier": "read"},
    "grille-dependance": {
        "infirmier": "write",
        "medecin": "read",
        "social": "read",
        "psychologue": "read",
    },
}
PALLIATIVE_FORM = [
    {
        "linkId": "evaluation",
        "text": "Évaluation palliative",
        "type": "group",
        "items": [
            {"linkId": "date_eval", "text": "Date", "type": "date", "required": True},
            {"linkId": "douleur", "text": "Douleur (EVA)", "type": "scale", "min": 0, "max": 10},
            {"linkId": "directives", "text": "Directives anticipées rédigées", "type": "boolean"},
            {
                "linkId": "personne_confiance",
                "text": "Personne de confiance",
                "type": "string",
                "enableWhen": [{"question": "directives", "operator": "=", "answer": True}],
            },
            {"linkId": "projet", "text": "Projet de soins", "type": "text"},
        ],
    }
]
# Extra elderly patients of the network (invented), besides the territory's oldest ones.
EXTRA_PATIENTS = [
    ("TESSON", "MAURICE", date(1933, 4, 9), "M", "53062"),
    ("GOUPIL", "RENEE", date(1936, 10, 30), "F", "53147"),
    ("LEPAGE", "GILBERTE", date(1940, 1, 21), "F", "53130"),
    ("BOUVET", "ANDRE LOUIS", date(1937, 7, 14), "M", "53084"),
    ("HUBERT", "DENISE", date(1941, 3, 3), "F", "53130"),
    ("CORMIER", "JULIEN", date(1934, 12, 24), "M", "53062"),
]


def _user(username: str, title: str, first: str, last: str) -> User:
    user = User(
        username=username,
        title=title,
        first_name=first,
        last_name=last,
        email=f"{username}@demo.parcours.invalid",
    )
    user.set_password(PASSWORD)
    user.save()
    return user


def _network(admin, name, code, town, profiles):
    org = Organisation.objects.create(
        name=name, kind=Organisation.Kind.NETWORK, town=town, postcode="53600"
    )
    network = network_create(actor=admin, organisation=org, code=code, profiles=profiles)
    return network, {p.code: p for p in Profile.objects.filter(network=network)}


def _publish(coordinator, network, code, title, definition, rights, profiles):
    form = form_create(actor=coordinator, network=network, title=title, code=code)
    version = form.versions.get()
    draft_save(actor=coordinator, version=version, definition=copy.deepcopy(definition))
    version_publish(actor=coordinator, version=version)
    levels = {}
    for section in definition:
        levels[(section["linkId"], profiles["coordination"].pk)] = "write"
        for profile_code, level in rights.items():
            levels[(section["linkId"], profiles[profile_code].pk)] = level
    rights_set(actor=coordinator, form=form, levels=levels)
    return form


def _grid(level_points: int) -> dict:
    codes = [i["linkId"] for i in samples.GRILLE_DEPENDANCE[0]["items"] if i["type"] == "choice"]
    answers: dict = {"date_eval": (timezone.localdate() - timedelta(days=20)).isoformat()}
    for index, code in enumerate(codes):
        answers[code] = (
            "C"
            if index < level_points // 2
            else ("B" if index == level_points // 2 and level_points % 2 else "A")
        )
    return {"grille": answers}


def load_records_demo(*, users: dict, patients: list, admin) -> dict[str, int]:
    """Create the two networks, their members, forms and records; returns counts."""
    coord = _user("coordination.geronto", "", "Sylvie", "Lebreton")
    social = _user("social.geronto", "", "Karim", "Benali")
    nurse = _user("infirmier.geronto", "", "Élodie", "Rocher")
    psy = _user("psychologue.geronto", "", "Agathe", "Vallée")
    palli = _user("coordination.palliatif", "Dr", "Bruno", "Thébault")
    gp = users["medecin.ville"]
    now = timezone.now()

    geronto, gp_profiles = _network(
        admin,
        "Réseau gérontologique des Coëvrons (démo)",
        "geronto-coevrons",
        "Évron",
        GERONTO_PROFILES,
    )
    Member.objects.create(
        network=geronto, user=coord, profile=gp_profiles["coordination"], since=now
    )
    for user, profile in (
        (social, "social"),
        (nurse, "infirmier"),
        (gp, "medecin"),
        (psy, "psychologue"),
    ):
        member_set(actor=coord, network=geronto, user=user, profile=gp_profiles[profile])
    forms = {
        "bilan-social": _publish(
            coord,
            geronto,
            "bilan-social",
            "Bilan social",
            samples.BILAN_SOCIAL,
            GERONTO_RIGHTS["bilan-social"],
            gp_profiles,
        ),
        "suivi-medecin": _publish(
            coord,
            geronto,
            "suivi-medecin",
            "Suivi médecin",
            samples.SUIVI_MEDECIN,
            GERONTO_RIGHTS["suivi-medecin"],
            gp_profiles,
        ),
        "grille-dependance": _publish(
            coord,
            geronto,
            "grille-dependance",
            "Grille de dépendance (indicative)",
            samples.GRILLE_DEPENDANCE,
            GERONTO_RIGHTS["grille-dependance"],
            gp_profiles,
        ),
    }

    palliative, pal_profiles = _network(
        admin,
        "Réseau de soins palliatifs de Mayenne (démo)",
        "palliatif-mayenne",
        "Laval",
        [
            ("coordination", "Coordination", True),
            ("medecin", "Médecin", False),
            ("infirmier", "Infirmier(e)", False),
        ],
    )
    Member.objects.create(
        network=palliative, user=palli, profile=pal_profiles["coordination"], since=now
    )
    member_set(actor=palli, network=palliative, user=nurse, profile=pal_profiles["infirmier"])
    pal_form = _publish(
        palli,
        palliative,
        "evaluation-palliative",
        "Évaluation palliative",
        PALLIATIVE_FORM,
        {"infirmier": "write"},
        pal_profiles,
    )

    elderly = [p for p in patients if p.birth_date.year < 1952]
    for bn, given, born, sex, place in EXTRA_PATIENTS:
        elderly.append(
            patient_create(
                actor=gp,
                birth_name=bn,
                birth_given_names=given,
                birth_date=born,
                sex=sex,
                birthplace_insee=place,
            ).patient
        )
    stages = [
        [],
        [Record.Stage.ASSESSMENT],
        [Record.Stage.ASSESSMENT, Record.Stage.MEETING],
        [Record.Stage.ASSESSMENT, Record.Stage.MEETING, Record.Stage.ACTIVE],
    ]
    social_v1 = forms["bilan-social"].versions.get()
    records = []
    for index, patient in enumerate(elderly[:12]):
        record = record_open(
            actor=coord,
            network=geronto,
            patient=patient,
            method="written" if index % 2 else "oral",
            scope="Partage du dossier entre les professionnels du cercle de soins du réseau",
            collected_at=now - timedelta(days=60 - index),
        )
        for user in (social, nurse, gp):
            circle_add(actor=coord, record=record, user=user)
        path = stages[index % 4] if index < 11 else [*stages[3], Record.Stage.DISCHARGED]
        for stage in path:
            stage_move(actor=coord, record=record, stage=stage, note="")
        if index % 4:
            response_save(
                actor=social,
                record=record,
                version=social_v1,
                answers={
                    "habitat": {
                        "date_bilan": (now.date() - timedelta(days=40 - index)).isoformat(),
                        "habitat_adapte": index % 3 == 0,
                        "type_habitat": "appartement" if index % 3 == 1 else "maison",
                        "etage": 2 if index % 3 == 1 else None,
                        "ascenseur": False if index % 3 == 1 else None,
                        "occupation": "proprietaire" if index % 2 else "locataire",
                        "accessibilite": ["exterieure", "wc"] if index % 2 else ["interieure"],
                        "pieces": 2 + index % 4,
                        "chauffage": "Électrique, en état" if index % 2 else "Poêle à bois",
                        "telephone": True,
                    },
                    "entourage": {
                        "contacts": [
                            {
                                "contact_nom": "Fille (aidante principale)",
                                "contact_lien": "enfant",
                                "contact_tel": "06 00 00 00 01",
                            },
                            {"contact_nom": "Voisin", "contact_lien": "voisin"},
                        ][: 1 + index % 2],
                        "aides": "Aide à domicile 3 h/semaine, portage des repas",
                    },
                },
            )
            response_save(
                actor=nurse,
                record=record,
                version=forms["grille-dependance"].versions.get(),
                answers=_grid(index + 2),
            )
        if index % 4 >= 2:
            response_save(
                actor=gp,
                record=record,
                version=forms["suivi-medecin"].versions.get(),
                answers={
                    "visite": {
                        "date_visite": (now.date() - timedelta(days=10)).isoformat(),
                        "motif": "Réévaluation après chute" if index % 2 else "Suivi trimestriel",
                        "poids": "58.5",
                        "douleur": index % 5,
                        "suite": "Kinésithérapie à domicile, revoir dans 3 mois",
                    },
                    "specialistes": {
                        "visites_specialistes": [
                            {
                                "spe_date": (now.date() - timedelta(days=30)).isoformat(),
                                "spe_specialite": "Cardiologie",
                                "spe_conclusion": "Pas de changement",
                            },
                        ]
                    },
                },
            )
        records.append(record)

    # The social assessment evolves: version 2 adds a question; earlier responses keep v1.
    draft = draft_get_or_create(actor=coord, form=forms["bilan-social"])
    definition = copy.deepcopy(draft.definition)
    definition[0]["items"].append(
        {
            "linkId": "animaux",
            "text": "Animal de compagnie",
            "type": "boolean",
            "help": "Utile pour l'organisation des passages.",
        }
    )
    draft_save(actor=coord, version=draft, definition=definition)
    version_publish(actor=coord, version=draft)

    # One identity, two networks: the palliative network also follows the oldest patient.
    for patient in elderly[:2]:
        record = record_open(
            actor=palli,
            network=palliative,
            patient=patient,
            method="representative",
            scope="Accompagnement palliatif à domicile",
        )
        circle_add(actor=palli, record=record, user=nurse)
        response_save(
            actor=nurse,
            record=record,
            version=pal_form.versions.get(),
            answers={
                "evaluation": {
                    "date_eval": now.date().isoformat(),
                    "douleur": 3,
                    "directives": True,
                    "personne_confiance": "Sa fille",
                    "projet": "Maintien à domicile",
                }
            },
        )
    return {"networks": 2, "records": len(records) + 2}
