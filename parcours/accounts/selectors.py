"""Reads of the accounts app: who holds a role where (one place for these lists), the
professionals a Pro Santé Connect login can open."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Role, User


def desk_users(hospital_id: int) -> list[User]:
    """The active accounts on the pathway desk of hospital ``hospital_id`` (an Organisation
    id), each once. One query."""
    return list(
        User.objects.filter(
            memberships__organisation_id=hospital_id,
            memberships__role=Role.PATHWAY_DESK,
            is_active=True,
        ).distinct()
    )


def service_doctors(service_id: int) -> list[User]:
    """The active accounts that are hospital doctors of service ``service_id`` (a
    HospitalService id), each once. One query."""
    return list(
        User.objects.filter(
            memberships__service_id=service_id,
            memberships__role=Role.HOSPITAL_DOCTOR,
            is_active=True,
        ).distinct()
    )


def professionals_with_rpps() -> QuerySet[User]:
    """Active accounts that carry an RPPS, with their memberships' organisations prefetched,
    by username: the professionals a Pro Santé Connect login can open (« 8 » + RPPS)."""
    return (
        User.objects.filter(is_active=True)
        .exclude(rpps="")
        .prefetch_related("memberships__organisation")
        .order_by("username")
    )
