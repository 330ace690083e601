"""Reads on referrals: the lists each role works from."""

from django.db.models import QuerySet

from parcours.accounts.scopes import desk_hospital_ids, doctor_service_ids

from .access import referral_queryset_for
from .models import Referral
from .workflow import OPEN, TO_HANDLE

LIST_RELATED = ("patient", "service__hospital", "author", "assigned_to")


def referral_list_for_author(*, user, status: str = "", kind: str = "",
                             open_only: bool = False) -> QuerySet[Referral]:
    qs = Referral.objects.filter(author=user).select_related(*LIST_RELATED)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if open_only:
        qs = qs.filter(status__in=OPEN)
    return qs.order_by("-submitted_at", "-id")


def referral_inbox(*, user, service_id: int | None = None, kind: str = "", status: str = "",
                   include_closed: bool = False) -> QuerySet[Referral]:
    """The pathway desk's inbox: requests addressed to its hospitals, by time left.

    Served by the (hospital, status, due_at) index; callers paginate, so the page costs a
    constant number of queries whatever the number of open requests.
    """
    qs = Referral.objects.filter(hospital_id__in=desk_hospital_ids(user))
    if service_id:
        qs = qs.filter(service_id=service_id)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    elif not include_closed:
        qs = qs.filter(status__in=TO_HANDLE)
    return qs.select_related(*LIST_RELATED).order_by("due_at", "id")


def referral_queue(*, user, mine_only: bool = False) -> QuerySet[Referral]:
    """A hospital doctor's queue: requests of their services awaiting an answer."""
    qs = Referral.objects.filter(service_id__in=doctor_service_ids(user),
                                 status__in=TO_HANDLE)
    if mine_only:
        qs = qs.filter(assigned_to=user)
    return qs.select_related(*LIST_RELATED).order_by("due_at", "id")


def referral_get_timeline(referral: Referral):
    return referral.events.select_related("actor").order_by("at", "id")


def referral_get_thread(referral: Referral):
    return referral.messages.select_related("author").prefetch_related("attachments")


def referral_list_for_patient(*, user, patient) -> QuerySet[Referral]:
    return referral_queryset_for(user).filter(patient=patient).select_related(
        *LIST_RELATED).order_by("-submitted_at")
