"""Demo rosters (issue 19): the PDSA rota of a Mayenne sector and the cardiology on-call line of
CH de Laval for the next three months, built through the real services (generation, swap,
cover offer, replacement, submission to the council). Every person is invented."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from parcours.directory.models import Practitioner, PractitionerRole

from .models import Roster, RosterMember, ShiftTemplate
from .selectors import local_tz
from .services import (
    add_months,
    override_create,
    period_submit,
    shift_offer,
    shifts_generate,
    swap_ask,
)

# Invented general practitioners of the Évron sector (no account: they are in the directory).
SECTOR_GPS = [
    ("Nathalie", "Morvan", "02 43 01 70 11"),
    ("Yves", "Lecomte", "02 43 01 70 12"),
    ("Agnès", "Tanguy", "02 43 01 70 13"),
    ("Rémi", "Besnard", "02 43 01 70 14"),
]


def load_oncall_demo(*, orgs, services, users) -> dict[str, int]:
    """Create the two demo rosters for today + 3 months. Takes the demo's organisations,
    services ({(hospital key, name): HospitalService}) and users ({username: User}). Returns
    counts of rosters and shifts."""
    today = timezone.localdate()
    tz = local_tz()

    # --- CH de Laval, cardiology: on-call from home on the service's senior line -------------
    cardio = services[("laval", "Cardiologie")]
    head = cardio.head
    line = Roster.objects.create(
        name="Astreinte de cardiologie — CH de Laval",
        kind=Roster.Kind.SERVICE,
        mode=Roster.Mode.FROM_HOME,
        service=cardio,
        department="53",
    )
    ShiftTemplate.objects.create(
        roster=line, label="Nuit", days="01234", start_time=time(18, 30), end_time=time(8, 30)
    )
    ShiftTemplate.objects.create(
        roster=line,
        label="Week-end et férié",
        days="56F",
        start_time=time(8, 30),
        end_time=time(8, 30),
    )
    cardiologists = list(
        Practitioner.objects.filter(roles__service=cardio).distinct().order_by("pk")
    )
    for i, p in enumerate(cardiologists):
        RosterMember.objects.create(roster=line, practitioner=p, position=i)
    end = add_months(today, 3)
    shifts_generate(actor=head, roster=line, start=today - timedelta(days=1), end=end)
    period_submit(actor=head, roster=line, start=today, end=end)
    lebrun = Practitioner.objects.get(user=users["medecin.hopital"])
    perrin = Practitioner.objects.get(user=users["cardio.laval2"])
    upcoming = line.shifts.filter(start__gt=timezone.now() + timedelta(days=2)).order_by("start")
    # Dr Perrin asks Dr Lebrun to take a weekend; offers a weeknight to the colleagues.
    weekend = upcoming.filter(practitioner=perrin, label__startswith="Week-end").first()
    if weekend is not None:
        swap_ask(
            actor=perrin.user,
            shift=weekend,
            target=lebrun,
            message="Je suis en congrès ce week-end, merci !",
        )
    night = upcoming.filter(practitioner=perrin, label="Nuit").last()
    if night is not None:
        shift_offer(actor=perrin.user, shift=night)
    # A replacement tonight and tomorrow evening: the directory doctor covers for two hours.
    others = [p for p in cardiologists if p.user_id is None]
    if others:
        evening = datetime.combine(today + timedelta(days=1), time(18, 30), tz)
        override_create(
            actor=head,
            roster=line,
            practitioner=others[0],
            start=evening,
            end=evening + timedelta(hours=3),
            reason="Retard de relève (bloc opératoire)",
        )

    # --- PDSA, Évron sector (Mayenne): evenings, Saturday afternoon, Sundays and holidays -----
    gp = users["medecin.ville"]
    sector = Roster.objects.create(
        name="PDSA — secteur d'Évron",
        kind=Roster.Kind.SECTOR,
        mode=Roster.Mode.PDSA,
        sector="Évron – Coëvrons (Mayenne)",
        department="53",
    )
    sector.managers.add(gp)
    for label, days, start, stop in [
        ("Soirée", "0123456F", time(20), time(0)),
        ("Samedi après-midi", "5", time(12), time(20)),
        ("Dimanche et jour férié", "6F", time(8), time(20)),
    ]:
        ShiftTemplate.objects.create(
            roster=sector, label=label, days=days, start_time=start, end_time=stop
        )
    rota = [Practitioner.objects.get(user=gp)]
    for first, last, phone in SECTOR_GPS:
        p = Practitioner.objects.create(
            first_name=first,
            last_name=last,
            specialty="Médecine générale",
            phone=phone,
            contact_hours="Permanence des soins : voir le tableau de garde",
        )
        PractitionerRole.objects.create(
            practitioner=p, organisation=orgs["msp_evron"], function="Médecin généraliste"
        )
        rota.append(p)
    for i, p in enumerate(rota):
        RosterMember.objects.create(roster=sector, practitioner=p, position=i)
    # The coming quarter, sent to the council 46 days ahead (CSP art. R6315-2), waiting for its
    # validation; the weeks before it are already running.
    q_start = today + timedelta(days=46)
    q_end = add_months(q_start, 3) - timedelta(days=1)
    shifts_generate(actor=gp, roster=sector, start=today - timedelta(days=1), end=q_end)
    period_submit(actor=gp, roster=sector, start=q_start, end=q_end)
    return {
        "rosters": Roster.objects.count(),
        "shifts": line.shifts.count() + sector.shifts.count(),
    }
