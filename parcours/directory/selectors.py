"""Reads on the directory.

Name search compares folded keys (``keys.fold``: no accents, upper case), so "helene
lefevre" finds "Hélène LEFÈVRE". It first looks for entries containing every word of the query
(PostgreSQL answers from the trigram index); when nothing matches and the database is
PostgreSQL, it falls back to trigram word similarity, which forgives typos ("Lefebre",
"Martan"). SQLite has no trigram index: it stops at the first step.
"""

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    F,
    FloatField,
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL

from .keys import fold
from .models import HospitalService, Organisation, Practitioner, PractitionerRole

# How close a misspelt name must be (pg_trgm word similarity, 0–1; the default 0.6 misses one
# wrong letter in a short name).
FUZZY_THRESHOLD = 0.45
PLACE_MAX_ROLES = 5000


def hospital_list(*, query: str = "") -> QuerySet[Organisation]:
    """Hospitals that receive requests (those with services), for the directory page."""
    services = HospitalService.objects.order_by("name")
    if query:
        services = services.filter(Q(name__icontains=query) | Q(specialty__icontains=query))
    qs = Organisation.objects.filter(kind=Organisation.Kind.HOSPITAL, active=True,
                                     services__isnull=False)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(town__icontains=query)
                       | Q(services__name__icontains=query)
                       | Q(services__specialty__icontains=query))
    return qs.distinct().prefetch_related(Prefetch("services", queryset=services)) \
        .order_by("name")


def name_words(value: str) -> list[str]:
    return fold(value).split()


def key_contains_all(qs: QuerySet, value: str, field: str = "search_key") -> QuerySet:
    for word in name_words(value):
        qs = qs.filter(**{f"{field}__contains": word})
    return qs


def key_fuzzy(qs: QuerySet, value: str, table: str) -> QuerySet:
    """Entries whose key resembles ``value`` word-wise, most similar first (PostgreSQL)."""
    key = " ".join(name_words(value))
    with connection.cursor() as cursor:
        # Session setting read by the %> operator; only the directory search uses it.
        cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)",
                       [str(FUZZY_THRESHOLD)])
    # ``table`` is a constant of the callers; the searched text is a parameter.
    similar = ExpressionWrapper(RawSQL(f"{table}.search_key %%> %s", [key]),  # noqa: S611
                                output_field=BooleanField())
    score = RawSQL(f"word_similarity(%s, {table}.search_key)", [key],  # noqa: S611
                   output_field=FloatField())
    return qs.filter(similar).annotate(score=score).order_by("-score", "search_key", "pk")


def fuzzy_available() -> bool:
    return connection.vendor == "postgresql"


def practitioner_search(*, query: str = "", specialty: str = "", place: str = "",
                        organisation: str = "", limit: int = 50) -> list[Practitioner]:
    """Active practitioners matching every criterion given; ``place`` is a town or a
    postcode (or a department's first digits), ``organisation`` part of a structure's name."""
    qs = Practitioner.objects.filter(active=True)
    if specialty:
        qs = qs.filter(specialty=specialty)
    if place or organisation:
        # Sites first (postcode, town and name indexes), then their activities: walking the
        # practitioners in name order and testing each one's sites was seconds over a
        # national directory. Past PLACE_MAX_ROLES activities the list is a subset (the page
        # asks to narrow the search).
        roles = PractitionerRole.objects.filter(active=True)
        if place:
            place = place.strip()
            if place.isdigit():
                roles = roles.filter(organisation__postcode__startswith=place) \
                    if len(place) < 5 else roles.filter(organisation__postcode=place)
            else:
                roles = roles.filter(organisation__town_key=fold(place))
        if organisation:
            roles = key_contains_all(roles, organisation, "organisation__search_key")
        ids = list(roles.values_list("practitioner_id", flat=True)[:PLACE_MAX_ROLES])
        qs = qs.filter(pk__in=ids)
    rows: list[Practitioner] = []
    if query:
        rows = list(key_contains_all(qs, query).order_by("search_key", "pk")[:limit])
        if not rows and fuzzy_available():
            rows = list(key_fuzzy(qs, query, "directory_practitioner")[:limit])
    elif specialty or place or organisation:
        rows = list(qs.order_by("search_key", "pk")[:limit])
    if rows:
        active_roles = PractitionerRole.objects.filter(active=True).select_related(
            "organisation", "service")
        prefetch_related_objects(rows, Prefetch("roles", queryset=active_roles))
    return rows


def specialty_choices() -> list[str]:
    """The specialties present in the directory (for the search form); cached, as the
    DISTINCT walks the whole specialty index of a national directory."""
    def load():
        return list(Practitioner.objects.filter(active=True).exclude(specialty="")
                    .order_by("specialty").values_list("specialty", flat=True)
                    .distinct()[:300])
    return cache.get_or_set("directory:specialties", load, 600)


def practitioner_get_roles(practitioner: Practitioner) -> QuerySet[PractitionerRole]:
    return practitioner.roles.select_related("organisation", "service") \
        .order_by(F("service_id").asc(nulls_last=True), "-active", "organisation__name")


def service_get_doctors(service: HospitalService) -> QuerySet[Practitioner]:
    return Practitioner.objects.filter(roles__service=service).distinct() \
        .order_by("last_name", "first_name")
