"""An agenda for the scheduling tests: CH Alpha's cardiology consultations (open pool on
Mondays, MSP Un's pool on Tuesdays, urgent slots on Wednesdays) and an ultrasound device run by
an imaging secretary. Time is frozen on a Friday so the week ahead is known."""

from datetime import datetime, time
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 6, 9, 0, tzinfo=PARIS)  # a Friday


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def agenda(territory, frozen):
    from conftest import _user
    from parcours.accounts.models import Membership, Role
    from parcours.scheduling.models import Act, AvailabilityRule, Pool, Schedule
    from parcours.scheduling.services import slots_generate

    cardio = Schedule.objects.create(
        name="Consultations de cardiologie",
        kind="service",
        organisation=territory.alpha,
        service=territory.cardio,
        horizon_weeks=2,
    )
    consult = Act.objects.create(
        schedule=cardio,
        name="Consultation",
        duration_minutes=30,
        instructions="Dernier ECG et ordonnances en cours.",
    )
    AvailabilityRule.objects.create(
        schedule=cardio, weekday=0, start_time=time(9), end_time=time(10), act=consult
    )
    AvailabilityRule.objects.create(
        schedule=cardio,
        weekday=1,
        start_time=time(9),
        end_time=time(10),
        act=consult,
        pool=Pool.PARTNER,
        partner=territory.msp1,
    )
    AvailabilityRule.objects.create(
        schedule=cardio,
        weekday=2,
        start_time=time(9),
        end_time=time(10),
        act=consult,
        pool=Pool.URGENT,
    )
    imaging_org = territory.alpha
    echo = Schedule.objects.create(
        name="Échographe 1",
        kind="device",
        device="ultrasound",
        organisation=imaging_org,
        horizon_weeks=2,
    )
    thyroid = Act.objects.create(
        schedule=echo, name="Échographie thyroïdienne", duration_minutes=20
    )
    AvailabilityRule.objects.create(
        schedule=echo, weekday=3, start_time=time(14), end_time=time(15), act=thyroid
    )
    radiologist = _user("radio", title="Dr")
    Membership.objects.create(user=radiologist, organisation=imaging_org, role=Role.IMAGING)
    slots_generate(schedule=cardio)
    slots_generate(schedule=echo)
    return SimpleNamespace(
        cardio=cardio, consult=consult, echo=echo, thyroid=thyroid, radiologist=radiologist
    )


def slot_on(schedule, day: int, hour: int = 9, minute: int = 0):
    """The slot of ``schedule`` on 2026-03-``day`` at ``hour:minute`` (Paris)."""
    return schedule.slots.get(start=datetime(2026, 3, day, hour, minute, tzinfo=PARIS))
