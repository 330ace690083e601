"""Demo Service Médical de Proximité of Laval (seed 001): 12 retired GPs, 2 interns and their
supervisor (the coordinating doctor), 2 assistants, a main site and one antenna, a few hundred
registered patients at every stage and a year of consultations. Every person is invented.

Sign-ups of today and the coming bookings go through the real services; the year of history is
written directly (no service records a consultation in the past with its review delay), as the
scheduling demo does for its past appointments."""

from __future__ import annotations

import random
from datetime import date, time, timedelta

from django.utils import timezone

from parcours.accounts.models import Membership, Role, User
from parcours.directory.models import Organisation
from parcours.lib.errors import Conflict
from parcours.patients.models import Patient
from parcours.scheduling.models import Act, AvailabilityRule, Pool, Schedule, Slot
from parcours.scheduling.services import slots_generate

from .models import CRITERIA, Consultation, Episode, EpisodeChange, Site, StaffMember
from .services import (
    consultation_book,
    due_delay,
    episode_signup,
    priority_score,
    review_signature,
)

# Invented doctors (first name, last name). Accounts named in the README come first.
RETIRED = [
    ("Bernard", "Fauchet"),
    ("Monique", "Leroux-Dumas"),
    ("Gérard", "Pichonnet"),
    ("Annick", "Trébuchet"),
    ("Yves", "Carmalet"),
    ("Françoise", "Delvaille"),
    ("Michel", "Orsanne"),
    ("Danielle", "Vautrin-Sée"),
    ("Jean-Claude", "Brossier"),
    ("Odile", "Marchandeau"),
    ("Alain", "Quéménec"),
    ("Chantal", "Ribourdin"),
]
INTERNS = [("Camille", "Estrabaut"), ("Théo", "Lanvernay")]
COORDINATOR = ("Sophie", "Valdeyron")
ASSISTANTS = [("Nadia", "Ferrandou"), ("Kevin", "Moulinais")]

GIVEN_F = ["Martine", "Josiane", "Lucie", "Inès", "Brigitte", "Élodie", "Paulette", "Sarah"]
GIVEN_M = ["Roger", "Marcel", "Hugo", "Karim", "Denis", "Lucas", "André", "Bastien"]
FAMILY = [
    "Abrantès",
    "Bouvrais",
    "Chevrolier",
    "Daumesnil",
    "Esnault-Py",
    "Fourmentin",
    "Guérinel",
    "Houdayer",
    "Jolliet",
    "Kerbrat",
    "Lanoë",
    "Morvannec",
    "Nouvellon",
    "Oudinet",
    "Poirrier",
    "Rabouan",
    "Sauvaget",
    "Thébault-Roy",
    "Vaugarny",
    "Ygouf",
]
REASONS = [
    "Renouvellement de traitement",
    "Douleur lombaire",
    "Toux persistante",
    "Suivi de diabète",
    "Suivi d'hypertension",
    "Certificat",
    "Fièvre",
    "Douleur abdominale",
    "Vaccination",
    "Bilan de santé",
]


def _user(username: str, first: str, last: str, title: str, rpps: str, password: str) -> User:
    user = User(
        username=username,
        title=title,
        first_name=first,
        last_name=last,
        email=f"{username}@demo.parcours.invalid",
        rpps=rpps,
    )
    user.set_password(password)
    user.save()
    return user


def _agenda(org, site, user, weekdays) -> Schedule:
    schedule = Schedule.objects.create(
        name=f"{user.display_name} — {site.name}",
        kind=Schedule.Kind.PRACTITIONER,
        organisation=org,
        practitioner=user,
        horizon_weeks=3,
        release_hours=0,
    )
    act = Act.objects.create(schedule=schedule, name="Consultation", duration_minutes=20)
    for weekday in weekdays:
        AvailabilityRule.objects.create(
            schedule=schedule,
            weekday=weekday,
            start_time=time(9),
            end_time=time(12),
            act=act,
            # Reserved to the SMP itself: the territory's GPs do not book its agendas.
            pool=Pool.PARTNER,
            partner=org,
        )
    slots_generate(schedule=schedule)
    return schedule


def load_proximity_demo(*, password: str, seed: int = 18, patients_count: int = 320) -> dict:
    """Build the SMP of Laval. Takes the demo password and the number of registered patients;
    returns counts {"episodes", "consultations"}. Call inside the demo loader's transaction."""
    rnd = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate()
    org = Organisation.objects.create(
        name="Service Médical de Proximité de Laval",
        kind=Organisation.Kind.PRACTICE,
        finess="530099990",  # invented, like every FINESS of the demo
        address="12 rue des Exemples",
        postcode="53000",
        town="Laval",
        phone="0243990000",
    )
    main = Site.objects.create(organisation=org, name="SMP Laval", town="Laval")
    antenna = Site.objects.create(
        organisation=org, name="Antenne de Château-Gontier", town="Château-Gontier", antenna=True
    )

    # Internship semesters start in early May and early November.
    semester = (
        date(today.year, 5, 1)
        if 5 <= today.month < 11
        else date(today.year - (today.month < 5), 11, 1)
    )

    def staff(user, role, kind, site, supervisor=None, availability=""):
        Membership.objects.create(user=user, organisation=org, role=role)
        return StaffMember.objects.create(
            user=user,
            organisation=org,
            site=site,
            kind=kind,
            supervisor=supervisor,
            availability=availability,
            semester_start=semester,
        )

    coord = _user("smp.coordinateur", *COORDINATOR, "Dr", "10009990001", password)
    staff(coord, Role.PROXIMITY_COORDINATOR, StaffMember.Kind.COORDINATOR, main)
    doctors: list[tuple[User, StaffMember]] = []
    for i, (first, last) in enumerate(RETIRED):
        username = "smp.retraite" if i == 0 else f"smp.retraite{i + 1}"
        user = _user(username, first, last, "Dr", f"1000999{i + 10:04d}", password)
        site = antenna if i >= 9 else main
        row = staff(
            user,
            Role.RETIRED_GP,
            StaffMember.Kind.RETIRED_GP,
            site,
            availability="deux demi-journées par semaine",
        )
        doctors.append((user, row))
    interns = []
    for i, (first, last) in enumerate(INTERNS):
        username = "smp.interne" if i == 0 else f"smp.interne{i + 1}"
        user = _user(username, first, last, "", f"1000998{i:04d}", password)
        row = staff(user, Role.INTERN, StaffMember.Kind.INTERN, main, supervisor=coord)
        interns.append((user, row))
        doctors.append((user, row))
    assistants = []
    for i, (first, last) in enumerate(ASSISTANTS):
        username = "smp.accueil" if i == 0 else f"smp.accueil{i + 1}"
        user = _user(username, first, last, "", "", password)
        staff(user, Role.PROXIMITY_ASSISTANT, StaffMember.Kind.ASSISTANT, main)
        assistants.append(user)
    for i, (user, row) in enumerate(doctors):
        row.schedule = _agenda(org, row.site, user, weekdays=(i % 5, (i + 2) % 5))
        row.save(update_fields=["schedule"])

    # A few hundred invented people without a treating doctor.
    episodes: list[Episode] = []
    desk = assistants[0]
    for i in range(patients_count):
        sex = "F" if i % 2 else "M"
        givens = GIVEN_F if sex == "F" else GIVEN_M
        # Two family names and two given names per person: no two demo identities look alike
        # to the identity matcher.
        family = f"{FAMILY[i % len(FAMILY)]}-{FAMILY[(i // len(FAMILY)) % len(FAMILY)]}"
        given = f"{givens[(i // 2) % 8]} {givens[(i // 40) % 8]}"
        # One birth date per person: no two demo identities can be taken for one another.
        born = date(1935, 1, 1) + timedelta(days=i * 79)
        criteria = {
            "ald": rnd.random() < 0.3,
            "pregnancy": sex == "F" and 18 <= today.year - born.year <= 42 and rnd.random() < 0.1,
            "css_ame": rnd.random() < 0.15,
            "fragility": rnd.random() < 0.1,
            "recent_discharge": rnd.random() < 0.08,
        }
        try:
            episode, _result = episode_signup(
                actor=rnd.choice(assistants),
                identity={
                    "birth_name": family,
                    "birth_given_names": given,
                    "birth_date": born,
                    "sex": sex,
                },
                site=antenna if i % 6 == 0 else main,
                source=rnd.choice(Episode.Source.values),
                reason=rnd.choice(Episode.Reason.values),
                no_doctor_since=today - timedelta(days=rnd.randint(30, 900)),
                criteria=criteria,
            )
        except Conflict:
            # A pair the matcher still finds too close is refused, as at a real desk: the
            # demo goes on without it.
            continue
        episodes.append(episode)

    # A year of history: each episode's sign-up moves back in time; those signed up long ago
    # were seen, some declared an SMP doctor, some were handed to a new treating doctor.
    seniors = [u for u, row in doctors if row.kind == StaffMember.Kind.RETIRED_GP]
    consultations: list[Consultation] = []
    for episode in episodes:
        registered = now - timedelta(days=rnd.randint(0, 365), hours=rnd.randint(0, 8))
        values = {c: getattr(episode, c) for c in CRITERIA}
        fields: dict[str, object] = {
            "registered_at": registered,
            "due_at": registered + due_delay(priority_score(values)),
        }
        age = (now - registered).days
        stage = rnd.random()
        if age > 20 and stage < 0.75:
            seen_at = registered + timedelta(days=rnd.randint(3, min(age, 60)))
            fields.update(status=Episode.Status.ACTIVE, first_seen_at=seen_at)
            visits = 1 + rnd.randint(0, max(1, (now - seen_at).days // 45))
            for v in range(visits):
                at = seen_at + timedelta(days=v * rnd.randint(20, 45))
                if at >= now - timedelta(hours=2):
                    break
                at = at.replace(hour=rnd.randint(8, 11), minute=rnd.choice([0, 20, 40]))
                intern_pair = rnd.choice(interns) if rnd.random() < 0.2 else None
                doctor = intern_pair[0] if intern_pair else rnd.choice(seniors)
                c = Consultation(
                    episode=episode,
                    patient_id=episode.patient_id,
                    site=episode.site,
                    doctor=doctor,
                    doctor_kind=StaffMember.Kind.INTERN
                    if intern_pair
                    else StaffMember.Kind.RETIRED_GP,
                    supervisor=coord if intern_pair else None,
                    start=at,
                    reason=rnd.choice(REASONS),
                    notes="Examen clinique sans particularité.",
                    conclusion="Conduite à tenir expliquée au patient.",
                    intern_consent=bool(intern_pair),
                    avoided_emergency=rnd.random() < 0.12,
                    review=Consultation.Review.PENDING
                    if intern_pair
                    else Consultation.Review.NOT_NEEDED,
                )
                if intern_pair and at < now - timedelta(days=2):
                    c.review = (
                        Consultation.Review.TO_DISCUSS
                        if rnd.random() < 0.1
                        else Consultation.Review.REVIEWED
                    )
                    c.reviewed_by = coord
                    c.reviewed_at = at + timedelta(hours=rnd.choice([4, 8, 18, 22, 30, 50]))
                    if c.review == Consultation.Review.TO_DISCUSS:
                        c.review_comment = "À revoir ensemble : choix de l'antibiotique."
                consultations.append(c)
            if stage < 0.35:
                doctor = rnd.choice(seniors)
                fields.update(declared_doctor=doctor, declared_at=seen_at + timedelta(days=1))
                Patient.objects.filter(pk=episode.patient_id).update(treating_doctor=doctor)
            if stage < 0.12 and age > 90:
                handed = seen_at + timedelta(days=rnd.randint(30, 80))
                if handed < now:
                    gp = User.objects.get(username="medecin.ville2")
                    Patient.objects.filter(pk=episode.patient_id).update(treating_doctor=gp)
                    fields.update(
                        status=Episode.Status.FINISHED,
                        handover_to=gp,
                        handover_sent_at=handed - timedelta(days=3),
                        finished_at=handed,
                    )
        elif age > 30 and stage > 0.97:
            fields.update(status=Episode.Status.CANCELLED, finished_at=registered + timedelta(30))
        Episode.objects.filter(pk=episode.pk).update(**fields)
        EpisodeChange.objects.filter(episode=episode).update(at=registered)
    Consultation.objects.bulk_create(consultations, batch_size=500)
    for c in Consultation.objects.filter(reviewed_at__isnull=False).select_related("reviewed_by"):
        Consultation.objects.filter(pk=c.pk).update(review_signature=review_signature(c))

    # Bookings of the coming days for a few waiting patients, through the real service.
    waiting = list(
        Episode.objects.filter(organisation=org, status=Episode.Status.WAITLIST).order_by(
            "-priority", "registered_at"
        )[:8]
    )
    for episode, (doctor, _row) in zip(waiting, doctors, strict=False):
        slot = (
            Slot.objects.filter(schedule__practitioner=doctor, status="free", start__gt=now)
            .order_by("start")
            .first()
        )
        if slot is not None:
            consultation_book(actor=desk, episode=episode, slot=slot, note="Premier rendez-vous")
    return {"episodes": len(episodes), "consultations": len(consultations)}
