"""Reading accounts: who holds a role where (issue 15, item 5: one place for these lists)."""

from __future__ import annotations

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
