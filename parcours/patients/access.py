"""Who may see a patient: a professional who created or found them (a care link), or who may
see one of their requests. Everyone else gets the same 404 as for a missing patient."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from .models import CareLink, Patient


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
