"""Reads on patients."""

from collections.abc import Callable
from datetime import date

from django.db.models import Q, QuerySet

from parcours.lib.text import search_key

from .access import care_queryset_for, identity_queryset_for
from .models import Patient

# Parts of the patient page that the apps above patients contribute: each is a callable
# ``(*, user, patient) -> dict`` whose keys join the page's context. Each app registers its
# part in its AppConfig.ready (referrals: the requests; scheduling: appointments and imaging
# reports; labs: lab results; messaging: letters and threads), reads through its own access
# rules, and patients imports none of them (docs/architecture.md, layers).
PATIENT_PAGE_PARTS: dict[str, Callable[..., dict]] = {}


def patient_page_parts(*, user, patient) -> dict:
    """The contributed parts of ``patient``'s page for ``user``, merged into one dict."""
    context: dict = {}
    for part in PATIENT_PAGE_PARTS.values():
        context.update(part(user=user, patient=patient))
    return context


def patient_search(
    *, user, query: str = "", birth_date: date | None = None, limit: int = 50
) -> QuerySet[Patient]:
    """Identities this user may see (not their data: patients/access.py), matching a name
    (birth or used) and/or a birth date."""
    qs = identity_queryset_for(user).filter(merged_into__isnull=True)  # merged: see survivor
    key = search_key(query or "")
    for word in key.split():
        qs = qs.filter(Q(search_name__contains=word) | Q(used_name__contains=word))
    if birth_date:
        qs = qs.filter(birth_date=birth_date)
    return qs.order_by("birth_name", "birth_given_names")[:limit]


def my_patients(*, user, query: str = "", birth_date: date | None = None) -> QuerySet[Patient]:
    """« Mes patients »: the identities (not merged) this user has a recorded care relationship
    with (patients/access.py, without « bris de glace »), optionally filtered by name (birth or
    used, accents and case ignored) and birth date, sorted by name. Returns a queryset."""
    qs = care_queryset_for(user).filter(merged_into__isnull=True)
    for word in search_key(query or "").split():
        qs = qs.filter(Q(search_name__contains=word) | Q(used_name__contains=word))
    if birth_date:
        qs = qs.filter(birth_date=birth_date)
    return qs.select_related("treating_doctor").order_by("birth_name", "birth_given_names", "pk")
