"""Who may see a patient, in two levels (issue 12, "Matching never grants access").

- **The patient's data** (hospital record summary, lab results, letters, others' requests…):
  ``patient_queryset_for`` — a care relationship the platform records:
    * a request the user may see (referrals/access.py: author, desk, doctors of the service);
    * an appointment the user may see (scheduling/access.py: booked by, prescriber, staff);
    * a message about the patient the user received (not one they only sent);
    * a care link (patients.CareLink): creator of the identity, recipient of a message or a
      letter, prescriber of a lab report attached to the patient, the declared médecin
      traitant (not the sender of a hospital summary: patients/record.py);
    * an open « bris de glace » (EmergencyAccess), explicit, with a reason, time-limited.
- **The identity alone** (traits, status, local numbers; enough to send a request, book or
  write, which then records a care relationship): ``identity_queryset_for`` — the above, plus
  the identities the user found by their traits (IdentityLink).

Everyone else gets the same 404 as for a missing patient. Every area asks this module
(labs/access.py, messaging/access.py, the patient page, FHIR), so the rule lives here only.
"""

from collections.abc import Callable

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from parcours.accounts.scopes import desk_hospital_ids, doctor_service_ids, is_gp, is_identity_cell

from .models import (
    CareLink,
    DuplicateCandidate,
    EmergencyAccess,
    IdentityLink,
    Patient,
    PatientMerge,
)

# The care relationships recorded by the apps above ``patients`` (their rows *are* care
# relationships, yet patients imports none of them: docs/architecture.md, layers): each entry
# is a callable ``(user) -> QuerySet`` of that app's rows the user may see, each row with a
# ``patient`` foreign key. referrals registers the requests (referral_queryset_for), scheduling
# the appointments (appointment_care_queryset_for), in their AppConfig.ready. An app that is
# not installed adds no relationship: the rule fails closed.
CARE_RELATIONSHIP_SOURCES: dict[str, Callable[[object], QuerySet]] = {}


def _care_condition(user, *, emergency: bool = True) -> Q:
    linked = CareLink.objects.filter(patient=OuterRef("pk"), user=user)
    # A message about the patient counts through the CareLink ``message_send`` gives its
    # recipients — only when its sender could see the patient's data (a message written about
    # an identity merely found by its traits opens nothing, neither to its recipients nor,
    # through their reply, to its sender).
    condition = Q(Exists(linked))
    for rows_for in CARE_RELATIONSHIP_SOURCES.values():
        condition |= Q(Exists(rows_for(user).filter(patient=OuterRef("pk"))))
    if emergency:
        condition |= Q(
            Exists(
                EmergencyAccess.objects.filter(
                    patient=OuterRef("pk"), user=user, expires_at__gt=timezone.now()
                )
            )
        )
    return condition


def patient_queryset_for(user) -> QuerySet[Patient]:
    """The patients whose data this user may see: a recorded care relationship or an open
    « bris de glace ». Takes a user; returns a queryset of Patient."""
    if not user.is_authenticated:
        return Patient.objects.none()
    return Patient.objects.filter(_care_condition(user))


def care_queryset_for(user) -> QuerySet[Patient]:
    """The patients this user cares for: a recorded care relationship (request, appointment,
    care link), an open « bris de glace » excluded (« Mes patients »). Takes a user; returns a
    queryset of Patient (empty for an anonymous user)."""
    if not user.is_authenticated:
        return Patient.objects.none()
    return Patient.objects.filter(_care_condition(user, emergency=False))


def identity_queryset_for(user) -> QuerySet[Patient]:
    """The identities this user may see and use (search, request, booking, message): those of
    ``patient_queryset_for`` and those they found by their traits. Seeing an identity here
    opens none of its data."""
    if not user.is_authenticated:
        return Patient.objects.none()
    found = IdentityLink.objects.filter(patient=OuterRef("pk"), user=user)
    return Patient.objects.filter(_care_condition(user) | Q(Exists(found)))


def access_patient(user, patient_id) -> Patient:
    """The identity ``patient_id`` if this user may see and use it (``identity_queryset_for``);
    raises Http404 otherwise. It does NOT open the patient's data: ask
    ``can_see_patient_data`` (or use ``access_patient_data``) before showing any."""
    try:
        return identity_queryset_for(user).get(pk=patient_id)
    except (Patient.DoesNotExist, ValueError, TypeError):
        raise Http404("Patient introuvable") from None


def access_patient_data(user, patient_id) -> Patient:
    """The patient ``patient_id`` if this user may see their data (``patient_queryset_for``);
    raises Http404 otherwise."""
    try:
        return patient_queryset_for(user).get(pk=patient_id)
    except (Patient.DoesNotExist, ValueError, TypeError):
        raise Http404("Patient introuvable") from None


def can_see_patient_data(user, patient: Patient) -> bool:
    return patient_queryset_for(user).filter(pk=patient.pk).exists()


def emergency_access_open_for(user, patient: Patient) -> EmergencyAccess | None:
    """The user's open « bris de glace » on this patient, if any (its reads are audited as
    such)."""
    if not user.is_authenticated:
        return None
    return EmergencyAccess.objects.filter(
        patient=patient, user=user, expires_at__gt=timezone.now()
    ).first()


def has_care_relationship(user, patient: Patient) -> bool:
    """A care relationship other than a « bris de glace »: who is shown the emergency accesses
    opened on the patient (the patient's treating professionals). Same rule as
    ``patient_queryset_for``, the emergency access aside."""
    if not user.is_authenticated:
        return False
    return Patient.objects.filter(_care_condition(user, emergency=False), pk=patient.pk).exists()


def can_open_emergency_access(user) -> bool:
    """Clinicians may break the glass: GPs, hospital doctors, pathway desks (who admit
    patients). Not the administrator, not an account without a role."""

    return user.is_authenticated and (
        is_gp(user) or bool(doctor_service_ids(user)) or bool(desk_hospital_ids(user))
    )


# --- identitovigilance ------------------------------------------------------------------------


def is_identity_reviewer(user) -> bool:
    """Who works the duplicate review queue and the reports waiting for their patient: the
    regional identitovigilance cell (role ``identity_cell``) and the hospitals' pathway desks
    (each hospital's identity referents). GPs and doctors flag, they do not merge; the
    territory administrator runs the platform and reviews no identity (least privilege,
    issue 13)."""

    return user.is_authenticated and (is_identity_cell(user) or bool(desk_hospital_ids(user)))


def candidate_queryset_for(user) -> QuerySet[DuplicateCandidate]:
    """The identitovigilance cell sees every pair; a pathway desk the pairs where it may see
    at least one of the two identities (it knows that patient and checks the other)."""

    if not is_identity_reviewer(user):
        return DuplicateCandidate.objects.none()
    qs = DuplicateCandidate.objects.select_related("low", "high")
    if is_identity_cell(user):
        return qs
    visible = identity_queryset_for(user).values("pk")
    return qs.filter(Q(low__in=visible) | Q(high__in=visible))


def access_candidate(user, candidate_id) -> DuplicateCandidate:
    try:
        return candidate_queryset_for(user).get(pk=candidate_id)
    except (DuplicateCandidate.DoesNotExist, ValueError, TypeError):
        raise Http404("Paire introuvable") from None


def merge_queryset_for(user) -> QuerySet[PatientMerge]:
    if not is_identity_reviewer(user):
        return PatientMerge.objects.none()

    qs = PatientMerge.objects.select_related("survivor", "merged", "by")
    if is_identity_cell(user):
        return qs
    visible = identity_queryset_for(user).values("pk")
    return qs.filter(Q(survivor__in=visible) | Q(merged__in=visible))
