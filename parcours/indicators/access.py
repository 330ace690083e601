"""Who may count what: the scope of each indicator page (issue 15, item 5: access decided here,
not in views).

Indicators show counts, delays and rates only, never patient data, so the scopes are wider than
the clinical ones: the territory administrator counts the whole territory (seeds 002/003: the
territory's steering committee follows the activity); a pathway desk counts its hospitals; a
hospital doctor their services; an agenda's managers its agendas; a discharge letter's service
its letters. Each function returns querysets (not evaluated) and raises ``Http404`` (the house
rule for "nothing here for you") when the user may count nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from parcours.accounts.scopes import desk_hospital_ids, doctor_service_ids, is_territory_admin
from parcours.directory.models import HospitalService, Organisation
from parcours.messaging.access import letter_services_for
from parcours.referrals.models import Referral
from parcours.scheduling.access import managed_schedules
from parcours.scheduling.models import Schedule


@dataclass(frozen=True)
class Scope:
    """What one user may count on one indicator page: the rows, and the hospitals and services
    offered in the page's filters (querysets, not evaluated)."""

    rows: QuerySet
    hospitals: QuerySet
    services: QuerySet


def referral_scope(user) -> Scope:
    """The requests ``user`` may count (rows: ``Referral``). Raises Http404 if none."""
    if is_territory_admin(user):
        return Scope(
            Referral.objects.all(),
            Organisation.objects.filter(kind=Organisation.Kind.HOSPITAL),
            HospitalService.objects.all(),
        )
    hospitals, services = desk_hospital_ids(user), doctor_service_ids(user)
    if not hospitals and not services:
        raise Http404
    return Scope(
        Referral.objects.filter(Q(hospital_id__in=hospitals) | Q(service_id__in=services)),
        Organisation.objects.filter(Q(pk__in=hospitals) | Q(services__pk__in=services)).distinct(),
        HospitalService.objects.filter(Q(hospital_id__in=hospitals) | Q(pk__in=services)),
    )


def has_agenda_scope(user) -> bool:
    """True if ``user`` manages at least one agenda (an imaging secretariat has agendas but no
    requests: its indicator page is the agendas')."""
    return is_territory_admin(user) or managed_schedules(user).exists()


def appointment_scope(user) -> Scope:
    """The agendas ``user`` may count (rows: ``Schedule``): every agenda for the territory
    administrator, who still reads no appointment itself (scheduling/access.py), else the
    agendas they manage. Raises Http404 if none."""
    schedules = Schedule.objects.all() if is_territory_admin(user) else managed_schedules(user)
    if not schedules.exists():
        raise Http404
    return Scope(
        schedules,
        Organisation.objects.filter(schedules__in=schedules).distinct(),
        HospitalService.objects.filter(schedules__in=schedules).distinct(),
    )


def letter_scope(user) -> Scope:
    """The services whose discharge letters ``user`` may count (rows: ``HospitalService``).
    Raises Http404 if none."""
    if is_territory_admin(user):
        services = HospitalService.objects.all()
        return Scope(
            services, Organisation.objects.filter(kind=Organisation.Kind.HOSPITAL), services
        )
    ids = letter_services_for(user)
    if not ids:
        raise Http404
    services = HospitalService.objects.filter(pk__in=ids)
    return Scope(services, Organisation.objects.filter(services__pk__in=ids).distinct(), services)
