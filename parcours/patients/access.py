"""Who may see a patient: a professional who created or found them (a care link), or who may
see one of their requests. Everyone else gets the same 404 as for a missing patient."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from .models import CareLink, DuplicateCandidate, Patient, PatientMerge


def patient_queryset_for(user) -> QuerySet[Patient]:
    from parcours.referrals.access import referral_queryset_for

    if not user.is_authenticated:
        return Patient.objects.none()
    linked = CareLink.objects.filter(patient=OuterRef("pk"), user=user)
    via_referral = referral_queryset_for(user).filter(patient=OuterRef("pk"))
    return Patient.objects.filter(Q(Exists(linked)) | Q(Exists(via_referral)))


def access_patient(user, patient_id) -> Patient:
    try:
        return patient_queryset_for(user).get(pk=patient_id)
    except (Patient.DoesNotExist, ValueError, TypeError):
        raise Http404("Patient introuvable") from None


# --- identitovigilance ------------------------------------------------------------------------

def is_identity_reviewer(user) -> bool:
    """Who works the duplicate review queue: the territory administrator (the regional
    identitovigilance cell) and the hospitals' pathway desks (each hospital's identity
    referents). GPs and doctors flag, they do not merge."""
    from parcours.accounts.scopes import desk_hospital_ids, is_territory_admin

    return user.is_authenticated and (is_territory_admin(user) or bool(desk_hospital_ids(user)))


def candidate_queryset_for(user) -> QuerySet[DuplicateCandidate]:
    """The territory administrator sees every pair; a pathway desk the pairs where it may see
    at least one of the two identities (it knows that patient and checks the other)."""
    from parcours.accounts.scopes import is_territory_admin

    if not is_identity_reviewer(user):
        return DuplicateCandidate.objects.none()
    qs = DuplicateCandidate.objects.select_related("low", "high")
    if is_territory_admin(user):
        return qs
    visible = patient_queryset_for(user).values("pk")
    return qs.filter(Q(low__in=visible) | Q(high__in=visible))


def access_candidate(user, candidate_id) -> DuplicateCandidate:
    try:
        return candidate_queryset_for(user).get(pk=candidate_id)
    except (DuplicateCandidate.DoesNotExist, ValueError, TypeError):
        raise Http404("Paire introuvable") from None


def merge_queryset_for(user) -> QuerySet[PatientMerge]:
    if not is_identity_reviewer(user):
        return PatientMerge.objects.none()
    from parcours.accounts.scopes import is_territory_admin

    qs = PatientMerge.objects.select_related("survivor", "merged", "by")
    if is_territory_admin(user):
        return qs
    visible = patient_queryset_for(user).values("pk")
    return qs.filter(Q(survivor__in=visible) | Q(merged__in=visible))
