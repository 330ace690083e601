"""The fictional demo territory in Mayenne. Every person here is invented.

Loaded by ``parcours demo`` (and ``manage.py load_demo``). Requests are created through the
real services, so their timelines, audit rows and notifications are the ones users will see;
their dates are then spread over past months so the indicators page has history.
"""

import random
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from parcours.accounts.models import Membership, Role, User
from parcours.directory.models import (
    HospitalService,
    Organisation,
    Practitioner,
    PractitionerRole,
    ServiceDelay,
)
from parcours.labs.demo import load_labs_demo
from parcours.messaging.demo import load_messaging_demo
from parcours.notifications.models import Notification
from parcours.oncall.demo import load_oncall_demo
from parcours.patients.record import hospital_summary_import
from parcours.patients.services import patient_create
from parcours.proximity.demo import load_proximity_demo
from parcours.records.demo import load_records_demo
from parcours.referrals import services as rs
from parcours.referrals.models import Referral, ReferralEvent
from parcours.referrals.workflow import AnswerKind, Kind
from parcours.scheduling.demo import load_scheduling_demo
from parcours.scheduling.models import Appointment
from parcours.spaces.demo import load_spaces_demo

PASSWORD = "demo"

HOSPITALS = {
    "laval": (
        "CH de Laval",
        "530000371",
        "33 rue du Haut-Rocher",
        "53000",
        "Laval",
        "02 43 00 00 00",
        [
            ("Cardiologie", "Cardiologie", "02 43 00 10 01", "8h30–18h30"),
            ("Pneumologie", "Pneumologie", "02 43 00 10 02", "9h–17h"),
            ("Gastro-entérologie", "Gastro-entérologie", "02 43 00 10 03", "9h–17h"),
            ("Neurologie", "Neurologie", "02 43 00 10 04", "9h–18h"),
            ("Médecine polyvalente", "Médecine interne", "02 43 00 10 05", "24 h/24"),
            ("Pédiatrie", "Pédiatrie", "02 43 00 10 06", "24 h/24"),
        ],
    ),
    "hautanjou": (
        "CH du Haut-Anjou",
        "530000025",
        "1 quai Georges Lefèvre",
        "53200",
        "Château-Gontier-sur-Mayenne",
        "02 43 00 20 00",
        [
            ("Médecine interne", "Médecine interne", "02 43 00 20 01", "9h–17h"),
            ("Gériatrie", "Gériatrie", "02 43 00 20 02", "9h–17h"),
            ("Chirurgie orthopédique", "Chirurgie orthopédique", "02 43 00 20 03", "8h–16h"),
        ],
    ),
    "nordmayenne": (
        "CH du Nord-Mayenne",
        "530000058",
        "229 boulevard Paul Lintier",
        "53100",
        "Mayenne",
        "02 43 00 30 00",
        [
            ("Cardiologie", "Cardiologie", "02 43 00 30 01", "9h–18h"),
            ("Diabétologie-endocrinologie", "Endocrinologie", "02 43 00 30 02", "9h–17h"),
            ("Gériatrie", "Gériatrie", "02 43 00 30 03", "9h–17h"),
        ],
    ),
}

# (username, title, first, last, role, where, service name or None, specialty)
PEOPLE = [
    ("medecin.ville", "Dr", "Hélène", "Garnier", Role.GP, "msp_evron", None, "Médecine générale"),
    ("medecin.ville2", "Dr", "Julien", "Rousseau", Role.GP, "msp_craon", None, "Médecine générale"),
    ("cellule.laval", "", "Sandrine", "Lemaire", Role.PATHWAY_DESK, "laval", None, ""),
    ("cellule.hautanjou", "", "Nadia", "Bertin", Role.PATHWAY_DESK, "hautanjou", None, ""),
    ("cellule.nordmayenne", "", "Yannick", "Collet", Role.PATHWAY_DESK, "nordmayenne", None, ""),
    (
        "medecin.hopital",
        "Dr",
        "Antoine",
        "Lebrun",
        Role.HOSPITAL_DOCTOR,
        "laval",
        "Cardiologie",
        "Cardiologie",
    ),
    (
        "cardio.laval2",
        "Dr",
        "Camille",
        "Perrin",
        Role.HOSPITAL_DOCTOR,
        "laval",
        "Cardiologie",
        "Cardiologie",
    ),
    (
        "pneumo.laval",
        "Dr",
        "Mathieu",
        "Fleury",
        Role.HOSPITAL_DOCTOR,
        "laval",
        "Pneumologie",
        "Pneumologie",
    ),
    (
        "gastro.laval",
        "Dr",
        "Aurélie",
        "Marchand",
        Role.HOSPITAL_DOCTOR,
        "laval",
        "Gastro-entérologie",
        "Gastro-entérologie",
    ),
    (
        "neuro.laval",
        "Dr",
        "Olivier",
        "Brunet",
        Role.HOSPITAL_DOCTOR,
        "laval",
        "Neurologie",
        "Neurologie",
    ),
    (
        "interne.hautanjou",
        "Dr",
        "Sophie",
        "Carré",
        Role.HOSPITAL_DOCTOR,
        "hautanjou",
        "Médecine interne",
        "Médecine interne",
    ),
    (
        "geriatre.hautanjou",
        "Dr",
        "Bruno",
        "Gauthier",
        Role.HOSPITAL_DOCTOR,
        "hautanjou",
        "Gériatrie",
        "Gériatrie",
    ),
    (
        "cardio.nordmayenne",
        "Dr",
        "Élodie",
        "Renaud",
        Role.HOSPITAL_DOCTOR,
        "nordmayenne",
        "Cardiologie",
        "Cardiologie",
    ),
    (
        "diabeto.nordmayenne",
        "Dr",
        "Karim",
        "Benali",
        Role.HOSPITAL_DOCTOR,
        "nordmayenne",
        "Diabétologie-endocrinologie",
        "Endocrinologie",
    ),
    ("radiologue", "Dr", "Laure", "Vidal", Role.IMAGING, "imaging", None, "Radiologie"),
]

PATIENTS = [
    # birth name, given names, birth date, sex, birthplace, used name
    ("MARTIN", "LOUISE MARIE", date(1948, 3, 12), "F", "53130", "DUVAL"),
    ("BERNARD", "PAUL ANDRE", date(1956, 7, 2), "M", "53147", ""),
    ("PETIT", "JEANNE", date(1939, 11, 23), "F", "53062", ""),
    ("DURET", "MARCEL HENRI", date(1944, 1, 30), "M", "53130", ""),
    ("LEROY", "CHLOE", date(1987, 5, 17), "F", "44109", "MOREAU"),
    ("FAURE", "LUCAS", date(2015, 9, 8), "M", "53130", ""),
    ("GIRAUD", "SIMONE", date(1951, 12, 5), "F", "72181", ""),
    ("CHEVALIER", "ROGER", date(1960, 4, 14), "M", "53084", ""),
    ("MOULIN", "ANNE-SOPHIE", date(1972, 8, 21), "F", "53130", ""),
    ("ROBIN", "GERARD", date(1935, 6, 1), "M", "99134", ""),
    ("BLANCHARD", "ODETTE", date(1942, 2, 18), "F", "53147", ""),
    ("GUERIN", "THOMAS JEAN", date(1979, 10, 9), "M", "49007", ""),
    ("NOEL", "EMMA ROSE", date(2019, 2, 11), "F", "53130", ""),
    ("HAMELIN", "YVONNE", date(1938, 9, 27), "F", "53062", ""),
]

# A pair for the identitovigilance queue: the same woman typed by two practices, once with
# the birth name misspelt and the first names in another order (flagged at creation).
DUPLICATE_PAIR = [
    ("medecin.ville", ("LEFEBVRE", "MARTINE CLAIRE", date(1958, 6, 19), "F", "53130")),
    ("medecin.ville2", ("LEFEVRE", "CLAIRE MARTINE", date(1958, 6, 19), "F", "53130")),
]

# Extra hospital doctors shown in the directory only: one name, one specialty each.
DIRECTORY_DOCTORS = [
    ("Claire", "Hamon"),
    ("Marc", "Tessier"),
    ("Inès", "Gilbert"),
    ("Luc", "Royer"),
    ("Pauline", "Masson"),
    ("Hugo", "Lacroix"),
    ("Margaux", "Poirier"),
    ("Bastien", "Cordier"),
    ("Léa", "Barbier"),
    ("Victor", "Germain"),
    ("Manon", "Leclerc"),
    ("Rémi", "Guillot"),
]


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def fits_service(patient, service, day: date) -> bool:
    """A plausible patient for a service: children (under 18) in paediatrics only, people of
    75 or more in geriatrics, adults elsewhere."""
    age = age_on(patient.birth_date, day)
    if "diatrie" in service.name:  # Pédiatrie
        return age < 18
    if "riatrie" in service.name:  # Gériatrie
        return age >= 75
    return age >= 18


# What CH de Laval's information system pushed for some patients (patients/record.py): the
# hospital summary on their page. Keyed by index in PATIENTS.
SUMMARIES: dict[int, list[tuple]] = {
    0: [
        (
            "stay",
            "Hospitalisation en cardiologie",
            "Fibrillation atriale rapide, cardioversion médicamenteuse.",
            "terminé",
            200,
            196,
        ),
        ("problem", "Fibrillation atriale paroxystique", "CHA2DS2-VASc 4", "actif", 200, None),
        ("allergy", "Pénicillines", "Éruption cutanée (2004)", "confirmée", 900, None),
        ("treatment", "Apixaban 5 mg × 2/j", "Débuté pendant le séjour", "en cours", 196, None),
        ("document", "Compte rendu d'hospitalisation — cardiologie", "", "final", 196, None),
    ],
    1: [
        (
            "stay",
            "Consultation externe de cardiologie",
            "Souffle systolique, échographie programmée.",
            "terminé",
            40,
            None,
        ),
        ("problem", "Hypertension artérielle", "", "actif", 3000, None),
        ("treatment", "Amlodipine 5 mg/j", "", "en cours", 3000, None),
    ],
    3: [
        (
            "stay",
            "Hospitalisation en médecine polyvalente",
            "Insuffisance cardiaque décompensée.",
            "terminé",
            120,
            112,
        ),
        ("problem", "Insuffisance cardiaque à FEVG altérée", "FEVG 35 %", "actif", 120, None),
        ("allergy", "Iode (produits de contraste)", "Urticaire", "suspectée", 2000, None),
        ("treatment", "Furosémide 40 mg/j", "", "en cours", 112, None),
        ("document", "Lettre de liaison de sortie", "", "final", 112, None),
    ],
    2: [
        (
            "stay",
            "Hôpital de jour de gériatrie",
            "Évaluation gériatrique standardisée.",
            "terminé",
            60,
            60,
        ),
        ("problem", "Troubles de la marche, chutes répétées", "", "actif", 60, None),
    ],
}


def load_summaries(*, patients, laval, actor, now) -> int:
    """Hospital summaries pushed by CH de Laval for a few demo patients, with its IPP."""

    count = 0
    for index, rows in SUMMARIES.items():
        patient = patients[index]
        items = [
            {
                "kind": kind,
                "external_id": f"DEMO-{patient.pk}-{n}",
                "title": title,
                "detail": detail,
                "status": status,
                "date": now - timedelta(days=started),
                "end": now - timedelta(days=ended) if ended is not None else None,
            }
            for n, (kind, title, detail, status, started, ended) in enumerate(rows)
        ]
        hospital_summary_import(
            actor=actor,
            source=laval,
            patient=patient,
            items=items,
            identifiers=[("urn:oid:1.2.250.1.999.53.1.1", f"{810000 + patient.pk:08d}")],
            channel="demo",
        )
        count += len(items)
    return count


def synthetic_nir(sex: str, born: date, place: str, order: int) -> str:
    """A NIR with a valid key for invented identities (never a real person's number)."""
    body = f"{1 if sex == 'M' else 2}{born.year % 100:02d}{born.month:02d}{place}{order:03d}"
    numeric = int(body.replace("2A", "19").replace("2B", "18"))
    return f"{body}{97 - numeric % 97:02d}"


def _user(username, title, first, last, email=True, **extra) -> User:
    user = User(
        username=username,
        title=title,
        first_name=first,
        last_name=last,
        email=f"{username}@demo.parcours.invalid" if email else "",
        **extra,
    )
    user.set_password(PASSWORD)
    user.save()
    return user


@transaction.atomic
def load_demo(*, seed: int = 53) -> dict[str, int]:
    if User.objects.filter(username="admin").exists():
        return {"skipped": 1}
    rnd = random.Random(seed)
    orgs = {}
    services: dict[tuple[str, str], HospitalService] = {}
    for key, (name, finess, address, postcode, town, phone, svc) in HOSPITALS.items():
        org = Organisation.objects.create(
            name=name,
            kind=Organisation.Kind.HOSPITAL,
            finess=finess,
            address=address,
            postcode=postcode,
            town=town,
            phone=phone,
        )
        orgs[key] = org
        for sname, specialty, line, hours in svc:
            services[(key, sname)] = HospitalService.objects.create(
                hospital=org,
                name=sname,
                specialty=specialty,
                phone=phone,
                senior_line=line,
                senior_line_hours=hours,
                email=f"{key}.{len(services)}@demo.parcours.invalid",
                description=f"Service de {sname.lower()} du {name}.",
            )
    # Geriatrics at CH du Haut-Anjou counts its delay in working days; admissions to Laval's
    # general medicine are answered within 24 h.
    services[("hautanjou", "Gériatrie")].sla_working_days = True
    services[("hautanjou", "Gériatrie")].save()
    ServiceDelay.objects.create(
        service=services[("laval", "Médecine polyvalente")], kind=Kind.ADMISSION, hours=24
    )
    orgs["imaging"] = Organisation.objects.create(
        name="Centre d'imagerie du Bas-Maine",
        kind=Organisation.Kind.IMAGING,
        address="12 rue de Bretagne",
        postcode="53000",
        town="Laval",
        phone="02 43 00 40 00",
    )
    orgs["msp_evron"] = Organisation.objects.create(
        name="MSP des Coëvrons",
        kind=Organisation.Kind.MSP,
        address="5 place de la Gare",
        postcode="53600",
        town="Évron",
        phone="02 43 00 50 00",
    )
    orgs["msp_craon"] = Organisation.objects.create(
        name="MSP du Pays de Craon",
        kind=Organisation.Kind.MSP,
        address="8 rue du Mûrier",
        postcode="53400",
        town="Craon",
        phone="02 43 00 60 00",
    )

    admin = _user("admin", "", "Administrateur", "Territoire", is_staff=True, is_superuser=True)
    Membership.objects.create(user=admin, organisation=orgs["laval"], role=Role.TERRITORY_ADMIN)
    # The regional identitovigilance cell (duplicates, results waiting for their patient).
    cell = _user("identitovigilance", "", "Cellule", "Identitovigilance")
    Membership.objects.create(user=cell, organisation=orgs["laval"], role=Role.IDENTITY_CELL)
    users = {}
    for i, (
        username,
        title,
        first,
        last,
        role,
        where,
        person_service,
        person_specialty,
    ) in enumerate(PEOPLE):
        user = _user(username, title, first, last, rpps=f"1{i:010d}" if title else "")
        users[username] = user
        service = services.get((where, person_service)) if person_service else None
        Membership.objects.create(user=user, organisation=orgs[where], service=service, role=role)
        if title:
            p = Practitioner.objects.create(
                user=user,
                rpps=user.rpps,
                title=title,
                first_name=first,
                last_name=last,
                specialty=person_specialty,
                profession_code="10",  # ANS TRE_G15: Médecin (as the Annuaire import codes it)
                phone=f"02 43 01 {i:02d} {i * 3 % 100:02d}",
                email=user.email,
                mssante=f"{username}@demo.mssante.invalid",
                preferred_channel="Messagerie sécurisée",
                contact_hours="Lundi–vendredi 9h–17h",
            )
            PractitionerRole.objects.create(
                practitioner=p,
                organisation=orgs[where],
                service=service,
                function="Praticien hospitalier" if service else "Médecin généraliste",
                profession="Médecin",
                profession_code="10",
            )
    for service in services.values():
        doctors = [u for u in users.values() if u.memberships.filter(service=service).exists()]
        if doctors:
            service.head = doctors[0]
            service.save(update_fields=["head"])
    # Extra hospital doctors in the directory only (no account).
    for n, service in enumerate(services.values()):
        first, last = DIRECTORY_DOCTORS[n % len(DIRECTORY_DOCTORS)]
        p = Practitioner.objects.create(
            rpps=f"2{n:010d}",
            first_name=first,
            last_name=last,
            specialty=service.specialty,
            profession_code="10",
            phone=service.senior_line,
            contact_hours="Sur la ligne senior du service",
            # messaging (issue 14): reachable by MSSanté only, found by the recipient picker.
            mssante=f"dr.{['hamon', 'tessier', 'gilbert', 'royer', 'masson'][n % 5]}.{n}"
            "@demo.mssante.invalid",
        )
        PractitionerRole.objects.create(
            practitioner=p,
            organisation=service.hospital,
            service=service,
            function="Praticien hospitalier",
            profession="Médecin",
            profession_code="10",
        )

    gp1, gp2 = users["medecin.ville"], users["medecin.ville2"]
    patients = []
    for i, (bn, given, born, sex, place, used) in enumerate(PATIENTS):
        gp = gp1 if i % 3 else gp2
        patients.append(
            patient_create(
                actor=gp,
                birth_name=bn,
                birth_given_names=given,
                birth_date=born,
                sex=sex,
                birthplace_insee=place,
                used_name=used,
                ins_nir=synthetic_nir(sex, born, place, 100 + i) if i % 4 else "",
            ).patient
        )
    for username, (bn, given, born, sex, place) in DUPLICATE_PAIR:
        patient_create(
            actor=users[username],
            birth_name=bn,
            birth_given_names=given,
            birth_date=born,
            sex=sex,
            birthplace_insee=place,
        )

    cardio = services[("laval", "Cardiologie")]
    desk = users["cellule.laval"]
    doc = users["medecin.hopital"]
    now = timezone.now()

    def submit(gp, patient, service, kind, question, **kw):
        return rs.referral_submit(
            author=gp,
            patient=patient,
            service=service,
            kind=kind,
            question=question,
            context=kw.pop("context", ""),
            **kw,
        )

    # Live requests in every state, mostly for the demo accounts.
    submit(
        gp1,
        patients[1],
        cardio,
        Kind.ADVICE,
        "Dyspnée d'effort récente, souffle systolique 3/6 au foyer aortique. "
        "Échocardiographie à prévoir ?",
        context="HTA traitée. ECG joint en rythme sinusal.",
    )
    r = submit(
        gp1,
        patients[2],
        cardio,
        Kind.CONSULTATION,
        "Palpitations paroxystiques, Holter à discuter.",
        wished_from=now.date() + timedelta(days=2),
        wished_until=now.date() + timedelta(days=14),
    )
    rs.referral_assign(actor=desk, referral=r, doctor=doc)
    r = submit(
        gp1,
        patients[3],
        cardio,
        Kind.ADMISSION,
        "Insuffisance cardiaque décompensée, prise de 4 kg en une semaine.",
    )
    rs.referral_assign(actor=desk, referral=r, doctor=doc)
    rs.referral_request_info(
        actor=doc, referral=r, question="Pouvez-vous transmettre la dernière créatininémie ?"
    )
    r = submit(
        gp1,
        patients[4],
        cardio,
        Kind.EXAM,
        "Épreuve d'effort avant reprise du sport, douleur thoracique atypique.",
        wished_until=now.date() + timedelta(days=20),
    )
    rs.referral_assign(actor=desk, referral=r, doctor=doc)
    rs.referral_answer(
        actor=doc,
        referral=r,
        answer_kind=AnswerKind.APPOINTMENT,
        text="Épreuve d'effort programmée ; venir avec l'ECG de référence.",
        proposed_at=now + timedelta(days=6, hours=2),
    )
    r = submit(
        gp2,
        patients[0],
        cardio,
        Kind.ADVICE,
        "Fibrillation atriale découverte, score CHA2DS2-VASc à 4 : anticoagulation ?",
    )
    rs.referral_answer(
        actor=doc,
        referral=r,
        answer_kind=AnswerKind.ADVICE,
        text="Anticoagulation par AOD recommandée, consultation à 3 mois.",
    )
    rs.referral_take_in_charge(actor=gp2, referral=r, note="Traitement débuté.")
    r = submit(
        gp1,
        patients[7],
        services[("laval", "Pneumologie")],
        Kind.CONSULTATION,
        "Toux chronique chez un ancien fumeur, radio de thorax normale.",
    )
    rs.referral_redirect(
        actor=desk,
        referral=r,
        service=services[("laval", "Médecine polyvalente")],
        reason="Bilan initial en médecine polyvalente.",
    )
    r = submit(
        gp2,
        patients[8],
        services[("laval", "Neurologie")],
        Kind.ADVICE,
        "Céphalées chroniques sans signe de gravité.",
    )
    rs.referral_decline(
        actor=desk,
        referral=r,
        reason="Relève d'une consultation programmée : prendre rendez-vous au secrétariat.",
    )
    r = submit(
        gp1,
        patients[9],
        services[("hautanjou", "Gériatrie")],
        Kind.ADMISSION,
        "Chutes répétées, perte d'autonomie, aidant épuisé.",
    )
    rs.referral_cancel(
        actor=gp1, referral=r, reason="Patient hospitalisé entre-temps via les urgences."
    )
    r = submit(
        gp2,
        patients[10],
        services[("nordmayenne", "Diabétologie-endocrinologie")],
        Kind.CONSULTATION,
        "Diabète de type 2 déséquilibré (HbA1c 9,8 %) malgré trithérapie.",
    )
    rs.referral_acknowledge(actor=users["cellule.nordmayenne"], referral=r)
    overdue = submit(
        gp1,
        patients[11],
        cardio,
        Kind.ADVICE,
        "Bradycardie à 42/min asymptomatique sous bêtabloquant.",
    )
    at_risk = submit(
        gp2,
        patients[5],
        services[("laval", "Pédiatrie")],
        Kind.ADVICE,
        "Souffle cardiaque fonctionnel chez un enfant de 11 ans ?",
    )
    # Age these two so the 48-hour clock shows an overdue and an at-risk request.
    for ref, age_hours in ((overdue, 50), (at_risk, 40)):
        start = now - timedelta(hours=age_hours)
        due, risk = rs.compute_due(start, *rs.delay_for(ref.service, ref.kind))
        Referral.objects.filter(pk=ref.pk).update(submitted_at=start, due_at=due, at_risk_at=risk)
        ReferralEvent.objects.filter(referral=ref).update(at=start)

    # History for the indicators: closed requests over the last six months.
    all_services = list(services.values())
    kinds = list(Kind.values)
    for n in range(90):
        service = rnd.choice(all_services)
        doctors = list(User.objects.filter(memberships__service=service))
        gp = gp1 if n % 2 else gp2
        plausible = [p for p in patients if fits_service(p, service, now.date())]
        ref = submit(
            gp,
            rnd.choice(plausible),
            service,
            rnd.choice(kinds),
            "Demande antérieure (historique de démonstration).",
        )
        answerer = doctors[0] if doctors else None
        if answerer is None:
            desk_user = User.objects.filter(
                memberships__organisation=service.hospital, memberships__role=Role.PATHWAY_DESK
            ).first()
            rs.referral_decline(actor=desk_user, referral=ref, reason="Hors délai de démo.")
        else:
            rs.referral_answer(
                actor=answerer, referral=ref, answer_kind=AnswerKind.ADVICE, text="Avis rendu."
            )
            rs.referral_take_in_charge(actor=gp, referral=ref)
        start = now - timedelta(days=rnd.randint(3, 180), hours=rnd.randint(0, 23))
        took = timedelta(hours=rnd.choice([2, 6, 12, 20, 30, 40, 46, 55, 70]))
        due, risk = rs.compute_due(start, *rs.delay_for(service, ref.kind))
        Referral.objects.filter(pk=ref.pk).update(
            submitted_at=start,
            due_at=due,
            at_risk_at=risk,
            answered_at=start + took if answerer else None,
            closed_at=start + took + timedelta(hours=4),
        )
        events = list(ReferralEvent.objects.filter(referral=ref).order_by("id"))
        for k, e in enumerate(events):
            ReferralEvent.objects.filter(pk=e.pk).update(at=start + took * k)

    # The demo agendas are adult consultations and imaging: adult patients.
    load_scheduling_demo(
        orgs=orgs,
        services=services,
        users=users,
        patients=[p for p in patients if age_on(p.birth_date, now.date()) >= 18],
    )

    load_messaging_demo(services=services, users=users, patients=patients)

    load_labs_demo(users=users, patients=patients)
    # On-call rosters (issue 19): a Mayenne PDSA sector and the Laval cardiology line.
    load_oncall_demo(orgs=orgs, services=services, users=users)
    load_records_demo(users=users, patients=patients, admin=admin)
    load_summaries(patients=patients, laval=orgs["laval"], actor=desk, now=now)

    # Collaborative spaces: a coordinator of an invented network owns the shared space.
    network = Organisation.objects.create(
        name="Réseau gérontologique du Haut-Anjou (démo)",
        kind=Organisation.Kind.NETWORK,
        postcode="53200",
        town="Château-Gontier-sur-Mayenne",
        phone="02 43 00 70 00",
    )
    coord = _user("coord.reseaux", "", "Élodie", "Vasseur")
    Membership.objects.create(user=coord, organisation=network, role=Role.NETWORK_COORDINATOR)
    load_spaces_demo(users={**users, "coord.reseaux": coord})
    smp = load_proximity_demo(password=PASSWORD)
    # The history is old news: its notifications are read and were e-mailed long ago.
    Notification.objects.filter(referral__submitted_at__lt=now - timedelta(days=2)).update(
        read_at=now, emailed_at=now
    )

    return {
        "organisations": Organisation.objects.count(),
        "users": User.objects.count(),
        "referrals": Referral.objects.count(),
        "appointments": Appointment.objects.count(),
        "smp_episodes": smp["episodes"],
        "smp_consultations": smp["consultations"],
    }
