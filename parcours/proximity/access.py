"""Who sees what in the Service Médical de Proximité (issue 18, « Access and bad input »).

- **The registry** (episodes: identity, sign-up, priority, waiting clock, status): every member
  of the SMP — assistants, retired GPs, the coordinating doctor — sees the episodes of their
  SMP; an intern sees only their patients (an episode with a consultation or a non-cancelled
  appointment of theirs).
- **The clinical record** (consultation notes, conclusion, documents): the doctors of the SMP
  (retired GPs, the coordinating doctor) see every consultation of their SMP; an intern sees
  their own; a supervisor sees their interns'. Assistants read no clinical note.
- **Supervision**: the review queue of a supervisor holds the consultations they supervise;
  only that supervisor signs a review.
- Everyone else gets the same 404 as for something that does not exist.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from parcours.accounts.models import Role
from parcours.accounts.scopes import membership_rows
from parcours.scheduling.models import Appointment

from .models import Consultation, Episode, StaffMember

SMP_ROLES = frozenset(
    {Role.PROXIMITY_COORDINATOR, Role.RETIRED_GP, Role.INTERN, Role.PROXIMITY_ASSISTANT}
)
# Who reads the whole SMP's clinical record: its senior doctors.
SENIOR_ROLES = frozenset({Role.PROXIMITY_COORDINATOR, Role.RETIRED_GP})
# Who runs the registry (sign-up, priority, booking): everyone of the SMP but the interns.
DESK_ROLES = frozenset({Role.PROXIMITY_COORDINATOR, Role.RETIRED_GP, Role.PROXIMITY_ASSISTANT})


def smp_ids(user, roles=SMP_ROLES) -> set[int]:
    """The organisations (SMPs) where this user holds one of ``roles``; empty if anonymous."""
    return {m["organisation_id"] for m in membership_rows(user) if m["role"] in roles}


def is_smp_member(user) -> bool:
    return bool(smp_ids(user))


def is_desk(user) -> bool:
    """Runs the registry and the agendas of an SMP (assistant, retired GP, coordinator)."""
    return bool(smp_ids(user, DESK_ROLES))


def is_smp_doctor(user) -> bool:
    """Consults at an SMP (retired GP, coordinating doctor or intern)."""
    return bool(smp_ids(user, SENIOR_ROLES | {Role.INTERN}))


def is_intern(user) -> bool:
    return bool(smp_ids(user, {Role.INTERN}))


def is_supervisor(user) -> bool:
    """Supervises at least one intern of an SMP."""
    return user.is_authenticated and StaffMember.objects.filter(supervisor=user).exists()


def can_see_indicators(user) -> bool:
    """The steering figures: the SMP's coordinating doctor (aggregates only)."""
    return bool(smp_ids(user, {Role.PROXIMITY_COORDINATOR}))


def episode_queryset_for(user) -> QuerySet[Episode]:
    """The episodes this user may see (registry level). Takes a user; returns a queryset."""
    if not user.is_authenticated:
        return Episode.objects.none()
    condition = Q(organisation_id__in=smp_ids(user, DESK_ROLES))
    interns = smp_ids(user, {Role.INTERN})
    if interns:
        seen = Consultation.objects.filter(episode=OuterRef("pk"), doctor=user)
        # A cancelled booking (the patient moved to another doctor) opens nothing.
        booked = Appointment.objects.filter(
            patient=OuterRef("patient"), schedule__practitioner=user
        ).exclude(status=Appointment.Status.CANCELLED)
        condition |= Q(organisation_id__in=interns) & (Q(Exists(seen)) | Q(Exists(booked)))
    return Episode.objects.filter(condition)


def consultation_queryset_for(user) -> QuerySet[Consultation]:
    """The consultations whose clinical content this user may read (never an assistant's)."""
    if not user.is_authenticated:
        return Consultation.objects.none()
    return Consultation.objects.filter(
        Q(episode__organisation_id__in=smp_ids(user, SENIOR_ROLES))
        | Q(doctor=user)
        | Q(supervisor=user)
    )


def access_episode(user, episode_id) -> Episode:
    """The episode if this user may see it; raises Http404 otherwise (missing or forbidden)."""
    try:
        return (
            episode_queryset_for(user)
            .select_related("patient", "site", "organisation", "declared_doctor", "handover_to")
            .get(pk=episode_id)
        )
    except (Episode.DoesNotExist, ValueError, TypeError):
        raise Http404("Épisode introuvable") from None


def access_consultation(user, consultation_id) -> Consultation:
    """The consultation if this user may read it; raises Http404 otherwise."""
    try:
        return (
            consultation_queryset_for(user)
            .select_related("episode__organisation", "patient", "doctor", "supervisor", "site")
            .get(pk=consultation_id)
        )
    except (Consultation.DoesNotExist, ValueError, TypeError):
        raise Http404("Consultation introuvable") from None


def can_read_clinical(user, episode: Episode) -> bool:
    """Whether this user reads the consultations of this episode (not an assistant)."""
    return episode.organisation_id in smp_ids(user, SENIOR_ROLES) or is_intern(user)


def staff_of(user, organisation_id: int) -> StaffMember | None:
    """This user's staff row in that SMP, or None."""
    return (
        StaffMember.objects.filter(user=user, organisation_id=organisation_id, active=True)
        .select_related("site", "schedule", "supervisor")
        .first()
    )
