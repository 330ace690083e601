"""Rosters for the on-call tests, on the scheduling tests' frozen Friday (2026-03-06 09:00).

- CH Alpha's cardiology line (astreinte à domicile), run by the head of the service: nights
  18:30–08:30 on weekdays, 24 h from 08:30 on weekends and public holidays; the rota is the
  cardiologist ``doctor``, the head and a doctor with no account.
- A PDSA sector run by ``gp``: evenings 20:00–24:00, Saturday afternoon, Sundays and holidays;
  the rota is ``gp`` and ``gp2``.
"""

from datetime import date, time
from types import SimpleNamespace

import pytest


@pytest.fixture
def rota(territory, frozen):
    from parcours.directory.models import Practitioner
    from parcours.oncall.models import Roster, RosterMember, ShiftTemplate

    t = territory

    def doc(user, last, first, phone):
        return Practitioner.objects.create(
            user=user, last_name=last, first_name=first, specialty="Cardiologie", phone=phone
        )

    doctor = doc(t.doctor, "Cardio", "Léa", "0600000001")
    head = doc(t.head, "Chef", "Paul", "0600000002")
    locum = doc(None, "Sansompte", "Marc", "0600000003")
    gp = doc(t.gp, "Généraliste", "Anne", "0600000004")
    gp2 = doc(t.gp2, "Généraliste", "Luc", "0600000005")
    cardio = Roster.objects.create(
        name="Astreinte de cardiologie — CH Alpha",
        kind=Roster.Kind.SERVICE,
        mode=Roster.Mode.FROM_HOME,
        service=t.cardio,
    )
    ShiftTemplate.objects.create(
        roster=cardio, label="Nuit", days="01234", start_time=time(18, 30), end_time=time(8, 30)
    )
    ShiftTemplate.objects.create(
        roster=cardio, label="Week-end", days="56F", start_time=time(8, 30), end_time=time(8, 30)
    )
    for i, p in enumerate([doctor, head, locum]):
        RosterMember.objects.create(roster=cardio, practitioner=p, position=i)
    sector = Roster.objects.create(
        name="PDSA — secteur Nord",
        kind=Roster.Kind.SECTOR,
        mode=Roster.Mode.PDSA,
        sector="Secteur Nord",
        department="53",
    )
    sector.managers.add(t.gp)
    ShiftTemplate.objects.create(
        roster=sector, label="Soirée", days="0123456F", start_time=time(20), end_time=time(0)
    )
    ShiftTemplate.objects.create(
        roster=sector, label="Samedi après-midi", days="5", start_time=time(12), end_time=time(20)
    )
    ShiftTemplate.objects.create(
        roster=sector, label="Dimanche et fériés", days="6F", start_time=time(8), end_time=time(20)
    )
    for i, p in enumerate([gp, gp2]):
        RosterMember.objects.create(roster=sector, practitioner=p, position=i)
    return SimpleNamespace(
        t=t,
        cardio=cardio,
        sector=sector,
        doctor=doctor,
        head=head,
        locum=locum,
        gp=gp,
        gp2=gp2,
        march=(date(2026, 3, 1), date(2026, 3, 31)),
    )


@pytest.fixture
def rota_shifts(rota):
    """The cardiology line generated for March 2026 (rolling: doctor, head, locum, …)."""
    from parcours.oncall.services import shifts_generate

    shifts_generate(actor=rota.t.head, roster=rota.cardio, start=rota.march[0], end=rota.march[1])
    return rota
