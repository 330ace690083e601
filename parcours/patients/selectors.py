"""Reads on patients."""

from datetime import date

from django.db.models import Q, QuerySet

from parcours.lib.text import search_key

from .access import identity_queryset_for
from .models import Patient


def patient_search(*, user, query: str = "", birth_date: date | None = None,
                   limit: int = 50) -> QuerySet[Patient]:
    """Identities this user may see (not their data: patients/access.py), matching a name
    (birth or used) and/or a birth date."""
    qs = identity_queryset_for(user).filter(merged_into__isnull=True)  # merged: see survivor
    key = search_key(query or "")
    for word in key.split():
        qs = qs.filter(Q(search_name__contains=word) | Q(used_name__contains=word))
    if birth_date:
        qs = qs.filter(birth_date=birth_date)
    return qs.order_by("birth_name", "birth_given_names")[:limit]
