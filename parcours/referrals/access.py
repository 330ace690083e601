"""Who may see and act on a referral.

A GP sees the requests they wrote; a pathway desk those addressed to its hospital; a hospital
doctor those of their services. Anyone else gets the same 404 as for a missing request.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from parcours.accounts.scopes import desk_hospital_ids, doctor_service_ids

from .models import Referral
from .workflow import AWAITING_ANSWER, KINDS_WITH_WINDOW, OPEN, Status


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


def allowed_actions(user, referral: Referral) -> set[str]:
    """The actions this user may take on this referral now (drives buttons and checks)."""
    actions: set[str] = set()
    status = referral.status
    is_author = referral.author_id == user.pk
    is_desk = referral.hospital_id in desk_hospital_ids(user)
    is_doctor = referral.service_id in doctor_service_ids(user)
    if is_author:
        if status in OPEN:
            actions |= {"cancel", "message"}
        if status == Status.INFO_REQUESTED:
            actions.add("provide_info")
        if status == Status.ANSWERED:
            actions.add("take_in_charge")
    if is_desk or is_doctor:
        if status in OPEN:
            actions.add("message")
        if status in AWAITING_ANSWER:
            actions |= {"assign", "redirect", "request_info", "decline"}
        if status == Status.ANSWERED:
            actions.add("take_in_charge")
    if (is_desk or is_doctor) and status == Status.SUBMITTED:
        actions.add("acknowledge")
    if is_doctor and status in AWAITING_ANSWER:
        actions.add("answer")
    # The desk or a doctor answers a consultation or exam request with a slot of the
    # service's agenda, booked or proposed (scheduling.services.slot_book_for_referral).
    if (is_desk or is_doctor) and status in AWAITING_ANSWER and referral.kind in KINDS_WITH_WINDOW:
        actions.add("book_slot")
    return actions
