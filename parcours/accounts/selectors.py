"""Reads of the accounts app."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import User


def professionals_with_rpps() -> QuerySet[User]:
    """Active accounts that carry an RPPS, with their memberships' organisations prefetched,
    by username: the professionals a Pro Santé Connect login can open (« 8 » + RPPS)."""
    return (
        User.objects.filter(is_active=True)
        .exclude(rpps="")
        .prefetch_related("memberships__organisation")
        .order_by("username")
    )
