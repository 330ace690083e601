"""Who may see and act on a referral.

A GP sees the requests they wrote; a pathway desk those addressed to its hospital; a hospital
doctor those of their services. Anyone else gets the same 404 as for a missing request.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from parcours.accounts.scopes import desk_hospital_ids, doctor_service_ids

# The rule of each action is in the registry; re-exported here, where callers look for access.
from .actions import allowed_actions
from .models import Referral

__all__ = ["access_referral", "allowed_actions", "referral_queryset_for"]


def referral_queryset_for(user) -> QuerySet[Referral]:
    if not user.is_authenticated:
        return Referral.objects.none()
    condition = Q(author=user)
    hospitals = desk_hospital_ids(user)
    if hospitals:
        condition |= Q(hospital_id__in=hospitals)
    services = doctor_service_ids(user)
    if services:
        condition |= Q(service_id__in=services)
    return Referral.objects.filter(condition)


def access_referral(user, referral_id) -> Referral:
    try:
        return (
            referral_queryset_for(user)
            .select_related(
                "patient", "service__hospital", "author", "assigned_to", "author_organisation"
            )
            .get(pk=referral_id)
        )
    except (Referral.DoesNotExist, ValueError, TypeError):
        raise Http404("Demande introuvable") from None
