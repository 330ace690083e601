"""A small Service Médical de Proximité for the tests (invented people): a main site and an
antenna, a coordinating doctor who supervises an intern, a retired GP, an assistant, one agenda
per doctor with slots on Mondays and Tuesdays, and a patient on the waiting list."""

from datetime import date, time
from types import SimpleNamespace

import pytest

from conftest import _user
from parcours.accounts.models import Membership, Role
from parcours.directory.models import Organisation
from parcours.scheduling.models import Act, AvailabilityRule, Pool, Schedule
from parcours.scheduling.services import slots_generate

from ..models import Site, StaffMember
from ..services import episode_register


def _agenda(org, user, name: str) -> Schedule:
    schedule = Schedule.objects.create(
        name=name,
        kind=Schedule.Kind.PRACTITIONER,
        organisation=org,
        practitioner=user,
        horizon_weeks=2,
        release_hours=0,
    )
    act = Act.objects.create(schedule=schedule, name="Consultation", duration_minutes=20)
    for weekday in (0, 1):
        AvailabilityRule.objects.create(
            schedule=schedule,
            weekday=weekday,
            start_time=time(9),
            end_time=time(10),
            act=act,
            pool=Pool.PARTNER,
            partner=org,
        )
    slots_generate(schedule=schedule)
    return schedule


def build_smp(territory, patient) -> SimpleNamespace:
    """Create the SMP around ``territory`` and put ``patient`` on its waiting list."""
    org = Organisation.objects.create(
        name="SMP de Test", kind=Organisation.Kind.PRACTICE, finess="530099999", town="Laval"
    )
    main = Site.objects.create(organisation=org, name="SMP Laval", town="Laval")
    antenna = Site.objects.create(
        organisation=org, name="Antenne Evron", town="Evron", antenna=True
    )
    s = SimpleNamespace(org=org, site=main, antenna=antenna)
    s.coord = _user("smpcoord", title="Dr", rpps="10000000001")
    s.retired = _user("smpretired", title="Dr", rpps="10000000002")
    s.intern = _user("smpintern", rpps="10000000003")
    s.assistant = _user("smpassist")
    for user, role, kind in (
        (s.coord, Role.PROXIMITY_COORDINATOR, StaffMember.Kind.COORDINATOR),
        (s.retired, Role.RETIRED_GP, StaffMember.Kind.RETIRED_GP),
        (s.intern, Role.INTERN, StaffMember.Kind.INTERN),
        (s.assistant, Role.PROXIMITY_ASSISTANT, StaffMember.Kind.ASSISTANT),
    ):
        Membership.objects.create(user=user, organisation=org, role=role)
        StaffMember.objects.create(
            user=user,
            organisation=org,
            site=main,
            kind=kind,
            supervisor=s.coord if kind == StaffMember.Kind.INTERN else None,
            semester_start=date(2025, 11, 1) if kind == StaffMember.Kind.INTERN else None,
        )
    s.retired_agenda = _agenda(org, s.retired, "Dr Retraité — SMP Laval")
    s.intern_agenda = _agenda(org, s.intern, "Interne — SMP Laval")
    StaffMember.objects.filter(user=s.retired).update(schedule=s.retired_agenda)
    StaffMember.objects.filter(user=s.intern).update(schedule=s.intern_agenda)
    s.patient = patient
    s.episode = episode_register(
        actor=s.assistant,
        patient=patient,
        site=main,
        source="phone",
        reason="doctor_left",
        criteria={"ald": True},
    )
    return s


@pytest.fixture
def smp(territory, patient, frozen):
    return build_smp(territory, patient)
