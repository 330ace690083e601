"""Who may change what in the directory (issue 15, item 5: access decided here, not in
services). Everyone with an account reads the directory (seed 004: the regional directory is
open to every professional of the territory); only local contact modalities can be edited."""

from __future__ import annotations

from parcours.accounts.scopes import is_territory_admin

from .models import HospitalService, Practitioner


def can_edit_practitioner(user, practitioner: Practitioner) -> bool:
    """True for the practitioner themself (their linked account) and the territory admin."""
    return user.is_authenticated and (
        (practitioner.user_id is not None and practitioner.user_id == user.pk)
        or is_territory_admin(user)
    )


def can_edit_service(user, service: HospitalService) -> bool:
    """True for the territory admin and the head of the service."""
    return user.is_authenticated and (
        is_territory_admin(user) or (service.head_id is not None and service.head_id == user.pk)
    )
