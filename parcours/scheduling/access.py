"""Who may see, book and manage what in the shared agendas.

- A GP sees the free slots open to all partner doctors, the slots reserved to their own
  practice (partner pool) and the urgent slots; booking an urgent slot needs a reason.
  They see the appointments they booked or that were booked for them (prescriber).
- The staff of a schedule — its practitioner, the pathway desk or imaging secretariat of its
  organisation, the doctors of its service — see and manage it: every pool, every booking,
  rules, closures, reports. The territory administrator sees every schedule.
- Everyone else gets the same 404 as for something that does not exist.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from parcours.accounts.models import Role
from parcours.accounts.scopes import (
    CLINICAL_ROLES,
    gp_organisation_ids,
    has_clinical_role,
    membership_rows,
)

from .models import Appointment, Pool, Schedule, Slot

# The organisation-wide staff of its agendas: a hospital's pathway desk, an imaging
# secretariat, and a Service Médical de Proximité's assistants and coordinating doctor (issue
# 18: they run the SMP agendas of every site and antenna).
STAFF_ORG_ROLES = {
    Role.PATHWAY_DESK,
    Role.IMAGING,
    Role.PROXIMITY_ASSISTANT,
    Role.PROXIMITY_COORDINATOR,
}


def managed_schedule_q(user, *, clinical_only: bool = False) -> Q:
    """A Q on Schedule for the schedules this user runs (their bookings name patients). The
    territory administrator configures agendas in the admin site but runs none, so reads no
    appointment (least privilege, issue 13)."""
    q = Q(practitioner_id=user.pk)
    for m in membership_rows(user):
        if clinical_only and m["role"] not in CLINICAL_ROLES:
            continue
        if m["role"] in STAFF_ORG_ROLES:
            q |= Q(organisation_id=m["organisation_id"])
        elif m["role"] == Role.HOSPITAL_DOCTOR and m["service_id"]:
            q |= Q(service_id=m["service_id"])
    return q


def managed_schedules(user) -> QuerySet[Schedule]:
    if not user.is_authenticated:
        return Schedule.objects.none()
    return Schedule.objects.filter(managed_schedule_q(user))


def is_schedule_staff(user, schedule: Schedule) -> bool:
    return managed_schedules(user).filter(pk=schedule.pk).exists()


def can_book(user) -> bool:
    """GPs book for their patients; a schedule's staff book on their own agendas."""
    return bool(gp_organisation_ids(user)) or managed_schedules(user).exists()


def bookable_pool_q(user) -> Q:
    """The slots (any schedule) a GP may book: open, urgent, or reserved to their practice."""
    return (
        Q(pool=Pool.OPEN)
        | Q(pool=Pool.URGENT)
        | Q(pool=Pool.PARTNER, partner_id__in=gp_organisation_ids(user))
    )


def bookable_slots(user) -> QuerySet[Slot]:
    """Slots this user may book (free or not: callers filter on status)."""
    if not user.is_authenticated:
        return Slot.objects.none()
    condition = Q(pk__in=[])
    if gp_organisation_ids(user):
        condition |= bookable_pool_q(user)
    condition |= Q(schedule__in=Schedule.objects.filter(managed_schedule_q(user)))
    return Slot.objects.filter(condition, schedule__active=True)


def visible_schedules(user) -> QuerySet[Schedule]:
    """Schedules whose free slots this user may search."""
    if not user.is_authenticated:
        return Schedule.objects.none()
    if gp_organisation_ids(user):
        return Schedule.objects.filter(active=True)
    return managed_schedules(user).filter(active=True)


def appointment_queryset_for(user) -> QuerySet[Appointment]:
    if not user.is_authenticated:
        return Appointment.objects.none()
    return Appointment.objects.filter(
        Q(booked_by=user)
        | Q(prescriber=user)
        | Q(schedule__in=Schedule.objects.filter(managed_schedule_q(user)))
    )


def appointment_care_queryset_for(user) -> QuerySet[Appointment]:
    """The appointments that make a care relationship with their patient (patients/access.py):
    booked by the user, prescribed by them, or on a schedule they run. The territory
    administrator oversees every schedule but cares for no patient: not theirs."""
    if not user.is_authenticated or not has_clinical_role(user):
        # A user whose roles take no part in care (an SMP assistant who books for the doctors,
        # issue 18: « assistants read no clinical note ») gets no care relationship from the
        # agendas they run or the bookings they make.
        return Appointment.objects.none()
    return Appointment.objects.filter(
        Q(booked_by=user)
        | Q(prescriber=user)
        | Q(schedule__in=Schedule.objects.filter(managed_schedule_q(user, clinical_only=True)))
    )


def access_appointment(user, appointment_id) -> Appointment:
    try:
        return (
            appointment_queryset_for(user)
            .select_related(
                "schedule__organisation",
                "slot__act",
                "patient",
                "booked_by",
                "prescriber",
                "referral",
            )
            .get(pk=appointment_id)
        )
    except (Appointment.DoesNotExist, ValueError, TypeError):
        raise Http404("Rendez-vous introuvable") from None


def access_schedule(user, schedule_id, *, manage: bool = False) -> Schedule:
    qs = managed_schedules(user) if manage else visible_schedules(user) | managed_schedules(user)
    try:
        return qs.select_related("organisation", "service").distinct().get(pk=schedule_id)
    except (Schedule.DoesNotExist, ValueError, TypeError):
        raise Http404("Agenda introuvable") from None


def access_slot(user, slot_id) -> Slot:
    try:
        return bookable_slots(user).select_related("schedule__organisation", "act").get(pk=slot_id)
    except (Slot.DoesNotExist, ValueError, TypeError):
        raise Http404("Créneau introuvable") from None
