"""Reads on the directory.

Name search compares folded keys (``keys.fold``: no accents, upper case), so "helene
lefevre" finds "Hélène LEFÈVRE". It first looks for entries containing every word of the query
(PostgreSQL answers from the trigram index); when nothing matches, it falls back to similar
family names (``practitioner_fuzzy``: one slip in a word, any word of a compound name), which
forgives typos ("Lefebre", "Martan", "Lbrun", "Mote" for "de La Motte"). PostgreSQL compares
long words by trigram similarity; SQLite, which has no trigram index, matches every word by its
one-edit variants. Place and structure searches start from the activities' copies of the name
key (``_search_by_site``).

The directory page's specialty and hospital searches use the same folding and the same
one-edit tolerance (``words_match``), in Python over the few specialties and hospital services
of the territory: "cardiologie", "CARDIOLGIE" and "Chateau-Gontier" find "Cardiologie" and
"Château-Gontier" on either database.
"""

from collections.abc import Callable
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Prefetch,
    QuerySet,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL

from .keys import fold
from .models import (
    FamilyName,
    HospitalService,
    Organisation,
    Practitioner,
    PractitionerRole,
    Source,
)

# How close a misspelt name must be (pg_trgm word similarity, 0–1; the default 0.6 misses one
# wrong letter in a short name).
# Parts of a hospital service's page that other apps contribute, by context name: each is a
# callable ``(*, user, service) -> object`` the template reads under that name. Apps above the
# directory register theirs in their AppConfig.ready (oncall: "on_call", who answers the
# service's on-call lines now — seed 003's senior line), so the directory imports none of them.
SERVICE_PAGE_PARTS: dict[str, Callable[..., object]] = {}


def service_page_parts(*, user, service) -> dict[str, object]:
    """The contributed parts of ``service``'s page for ``user``: {context name: value}."""
    return {name: part(user=user, service=service) for name, part in SERVICE_PAGE_PARTS.items()}


FUZZY_THRESHOLD = 0.45
# An organisation-name search naming more structures than this is narrowed to the first ones.
PLACE_MAX_ORGS = 500


def hospital_list(*, query: str = "") -> list[Organisation]:
    """Hospitals that receive requests (those with services), in name order, for the
    directory page. With a ``query``, the hospitals every word of which (folded, one slip
    forgiven: ``words_match``) is found in their name, their town or one of their services'
    name or specialty; a hospital found by a service lists the matching services only."""
    hospitals = list(
        Organisation.objects.filter(
            kind=Organisation.Kind.HOSPITAL, active=True, services__isnull=False
        )
        .distinct()
        .prefetch_related(Prefetch("services", queryset=HospitalService.objects.order_by("name")))
        .order_by("name")
    )
    if not name_words(query):
        for hospital in hospitals:
            hospital.matching_services = list(  # type: ignore[attr-defined]  # for the page
                hospital.services.all()
            )
        return hospitals
    out = []
    for hospital in hospitals:
        services = list(hospital.services.all())
        place = f"{hospital.name} {hospital.town}"
        if words_match(query, place, *(f"{s.name} {s.specialty}" for s in services)):
            # Services matching by themselves first; all of them when the hospital (its name,
            # its town) is what matched.
            own = [s for s in services if words_match(query, f"{s.name} {s.specialty}")]
            hospital.matching_services = (  # type: ignore[attr-defined]  # for the page
                own if own and not words_match(query, place) else services
            )
            out.append(hospital)
    return out


def words_match(query: str, *texts: str) -> bool:
    """Whether every word of ``query`` is found, folded (no accents, any case), in one of
    ``texts``: as the start of one of their words, or — for a word of four letters or more —
    one slip away from one of their words (``one_edit_variants``)."""
    haystack = fold(" ".join(texts)).split()
    for word in name_words(query):
        if any(w.startswith(word) for w in haystack):
            continue
        if len(word) < 4 or not one_edit_variants(word) & set(haystack):
            return False
    return True


def specialties_matching(query: str) -> list[str]:
    """The directory's specialties (``specialty_choices``) that ``query`` names, folded and
    one slip forgiven (``words_match``): "cardiologie" gives "Cardiologie et maladies
    vasculaires"."""
    found = [s for s in specialty_choices() if words_match(query, s)]
    if not found:
        # Perhaps a specialty imported since the list was cached.
        found = [s for s in specialty_choices(fresh=True) if words_match(query, s)]
    return found


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
        cursor.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)",
            [str(FUZZY_THRESHOLD)],
        )
    # ``table`` is a constant of the callers; the searched text is a parameter.
    similar = ExpressionWrapper(
        RawSQL(f"{table}.search_key %%> %s", [key]),  # noqa: S611
        output_field=BooleanField(),
    )
    score = RawSQL(  # noqa: S611  (a table name of ours; the key is a parameter)
        f"word_similarity(%s, {table}.search_key)",
        [key],
        output_field=FloatField(),
    )
    return qs.filter(similar).annotate(score=score).order_by("-score", "search_key", "pk")


# Query words up to this length are matched by their one-edit variants; longer ones by
# trigram similarity (a short word shares a trigram or two with a hundred thousand names,
# which similarity would all have to recheck).
SHORT_WORD = 9
# pg_trgm similarity a longer word must reach: one slip in ten letters or more keeps it above
# 0.55; two slips fall below 0.4 anyway.
FAMILY_THRESHOLD = 0.5
# How many similar family names the fallback takes, closest first.
FAMILY_NAMES_MAX = 200
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@lru_cache(maxsize=1024)
def one_edit_variants(word: str) -> frozenset[str]:
    """``word`` and every string one letter away from it: a letter removed, replaced,
    inserted, or two neighbours swapped (Damerau–Levenshtein distance 1)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    variants = {word}
    for head, tail in splits:
        for letter in _LETTERS:
            variants.add(head + letter + tail)
        if tail:
            variants.add(head + tail[1:])
            for letter in _LETTERS:
                variants.add(head + letter + tail[1:])
        if len(tail) > 1:
            variants.add(head + tail[1] + tail[0] + tail[2:])
    return frozenset(variants)


def similar_family_names(words: list[str]) -> list[str]:
    """The folded family names (FamilyName keys) one of whose words — or the whole name —
    resembles one of ``words``, closest first: one edit away from a short word (any
    database), trigram-similar to a longer one (PostgreSQL; one edit away on another
    database, which has no trigram index)."""
    if not fuzzy_available():
        return _similar_family_names_portable(words)
    short = [w for w in words if len(w) <= SHORT_WORD]
    conditions: list[str] = []
    params: list[Any] = []
    if short:
        conditions.append("word = ANY(%s)")
        params.append(sorted({v for w in short for v in one_edit_variants(w)}))
    for word in words:
        if len(word) > SHORT_WORD:
            conditions.append("word %% %s")
            params.append(word)
    score = "MAX(GREATEST(" + ", ".join(["similarity(word, %s)"] * len(words)) + "))"
    with connection.cursor() as cursor:
        if len(short) < len(words):
            cursor.execute(
                "SELECT set_config('pg_trgm.similarity_threshold', %s, false)",
                [str(FAMILY_THRESHOLD)],
            )
        # Constant SQL; the words and variants are parameters.
        cursor.execute(
            f"SELECT key FROM directory_familyname WHERE {' OR '.join(conditions)} "  # noqa: S608
            f"GROUP BY key ORDER BY {score} DESC, key LIMIT {FAMILY_NAMES_MAX}",
            [*params, *words],
        )
        return [row[0] for row in cursor.fetchall()]


def _similar_family_names_portable(words: list[str]) -> list[str]:
    """``similar_family_names`` without pg_trgm: the names one edit away from a word of the
    query, the closest (difflib ratio) first."""
    variants = sorted({v for w in words for v in one_edit_variants(w)})
    scores: dict[str, float] = {}
    # In chunks: SQLite limits the parameters of one statement.
    for start in range(0, len(variants), 900):
        for word, key in FamilyName.objects.filter(
            word__in=variants[start : start + 900]
        ).values_list("word", "key"):
            score = max(SequenceMatcher(None, word, w).ratio() for w in words)
            scores[key] = max(score, scores.get(key, 0.0))
    ranked = sorted(scores, key=lambda k: (-scores[k], k))
    return ranked[:FAMILY_NAMES_MAX]


def practitioner_fuzzy(qs: QuerySet, value: str) -> QuerySet:
    """Practitioners whose family name (or a word of it) resembles a word of ``value``
    (``similar_family_names``), the closest names first, then in name order. The similar
    names come from the narrow FamilyName table, their bearers from the family-name index:
    comparing every practitioner's name rechecked thousands of table rows per query
    (docs/benchmarks.md, Directory)."""
    words = [w for w in name_words(value) if len(w) >= 3] or name_words(value)
    names = similar_family_names(words[:4]) if words else []
    if not names:
        return qs.none()
    rank: RawSQL | Case
    if fuzzy_available():
        rank = RawSQL(
            "array_position(%s::text[], directory_practitioner.family_key::text)",
            [names],
            output_field=IntegerField(),
        )
    else:
        rank = Case(
            *[When(family_key=name, then=Value(i)) for i, name in enumerate(names)],
            output_field=IntegerField(),
        )
    return qs.filter(family_key__in=names).annotate(rank=rank).order_by("rank", "search_key", "pk")


def fuzzy_available() -> bool:
    return connection.vendor == "postgresql"


def practitioner_search(
    *,
    query: str = "",
    specialty: str = "",
    place: str = "",
    organisation: str = "",
    limit: int = 50,
) -> list[Practitioner]:
    """Active practitioners matching every criterion given; ``specialty`` names one or more
    of the directory's specialties (``specialties_matching``: accents, case and a slip
    forgiven), ``place`` is a town or a postcode (or a department's first digits),
    ``organisation`` part of a structure's name. A misspelt name falls back to similar
    family names (``practitioner_fuzzy``) on any database."""
    qs = Practitioner.objects.filter(active=True)
    specialties: list[str] = []
    if specialty:
        specialties = specialties_matching(specialty)
        if not specialties:
            return []
        qs = qs.filter(specialty__in=specialties)
    rows: list[Practitioner] = []
    if place or organisation:
        rows = _search_by_site(
            query=query,
            specialties=specialties,
            place=place.strip(),
            organisation=organisation,
            limit=limit,
        )
        if not rows and query:
            # A misspelt name in a place: the place's practitioners, then word similarity.
            site_ids = _site_roles(place.strip(), organisation).values("practitioner_id")
            rows = list(practitioner_fuzzy(qs.filter(pk__in=site_ids), query)[:limit])
    elif query:
        # Ids first, in name order (an index-only walk on PostgreSQL), then their rows.
        ids = list(
            key_contains_all(qs, query)
            .order_by("search_key", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        found = Practitioner.objects.in_bulk(ids)
        rows = [found[i] for i in ids if i in found]
        if not rows:
            rows = list(practitioner_fuzzy(qs, query)[:limit])
    elif specialty:
        rows = list(qs.order_by("search_key", "pk")[:limit])
    if rows:
        active_roles = PractitionerRole.objects.filter(active=True).select_related(
            "organisation", "service"
        )
        prefetch_related_objects(rows, Prefetch("roles", queryset=active_roles))
    return rows


# How many communes a place typed may stand for (« Saint-Jean » starts many).
PLACE_MAX_TOWNS = 20


def town_keys(place: str) -> list[str]:
    """The folded communes (``town_key``) a typed ``place`` names: itself when some structure
    is there; else the communes it is the everyday start of, whole words only
    (« Château-Gontier » for Château-Gontier-sur-Mayenne); else those one slip away
    (« Lavla »). At most PLACE_MAX_TOWNS; [] when none. Raises nothing."""
    key = fold(place)
    if not key:
        return []
    towns = Organisation.objects.exclude(town_key="")
    if towns.filter(town_key=key).exists():
        return [key]
    # The fallbacks run only when the exact key (indexed) finds nothing.
    found = list(
        towns.filter(town_key__startswith=key + " ")
        .order_by("town_key")
        .values_list("town_key", flat=True)
        .distinct()[:PLACE_MAX_TOWNS]
    )
    if not found and len(key) >= 4:
        found = list(
            towns.filter(town_key__in=sorted(one_edit_variants(key)))
            .order_by("town_key")
            .values_list("town_key", flat=True)
            .distinct()[:PLACE_MAX_TOWNS]
        )
    return found or [key]


def _site_roles(place: str, organisation: str) -> QuerySet[PractitionerRole]:
    """Active activities at a place (postcode, department digits or town) and/or in a
    structure whose name contains the words given."""
    roles = PractitionerRole.objects.filter(active=True)
    if place.isdigit():
        if len(place) >= 5:
            roles = roles.filter(postcode=place[:5])
        else:
            # A department or postcode prefix: a range on the (postcode, name) index.
            upper = str(int(place) + 1).zfill(len(place))
            roles = roles.filter(postcode__gte=place, postcode__lt=upper)
    elif place:
        roles = roles.filter(town_key__in=town_keys(place))
    if organisation:
        orgs = key_contains_all(Organisation.objects.filter(active=True), organisation)
        roles = roles.filter(
            organisation_id__in=list(orgs.values_list("pk", flat=True)[:PLACE_MAX_ORGS])
        )
    return roles


def _search_by_site(
    *, query: str, specialties: list[str], place: str, organisation: str, limit: int
) -> list[Practitioner]:
    """Practitioners working at a place or structure, in name order, from the activities'
    copied name key: the (postcode | town, name) indexes give them already sorted."""
    # Roles only (index-only scans of the place and structure indexes, which end with the
    # name key and the practitioner); whether the practitioner is active is checked on the
    # page's candidates rather than by joining every activity of a large hospital.
    roles = _site_roles(place, organisation)
    if specialties:
        # The activity's own specialty (same column of the national file): no join per row.
        roles = roles.filter(specialty__in=specialties)
    if query:
        roles = key_contains_all(roles, query, "name_key")
    ids: list[int] = []
    # Walk in name order; a practitioner with two activities there appears once.
    for pid in roles.order_by("name_key", "practitioner_id").values_list(
        "practitioner_id", flat=True
    )[: limit * 4]:
        if pid not in ids:
            ids.append(pid)
            if len(ids) == limit * 2:
                break
    found = Practitioner.objects.filter(active=True).in_bulk(ids)
    return [found[i] for i in ids if i in found][:limit]


def specialty_choices(*, fresh: bool = False) -> list[str]:
    """The specialties present in the directory (for the search form); cached, as the
    DISTINCT walks the whole specialty index of a national directory. ``fresh`` reloads
    them (and the cache)."""

    def load():
        return list(
            Practitioner.objects.filter(active=True)
            .exclude(specialty="")
            .order_by("specialty")
            .values_list("specialty", flat=True)
            .distinct()[:300]
        )

    if fresh:
        choices = load()
        cache.set("directory:specialties", choices, 600)
        return choices
    return cache.get_or_set("directory:specialties", load, 600) or []


def local_organisations() -> QuerySet[Organisation]:
    """The active organisations entered locally that are not hospitals (MSPs, networks, care
    services…), by kind then name (not evaluated)."""
    return (
        Organisation.objects.filter(active=True, source=Source.LOCAL)
        .exclude(kind=Organisation.Kind.HOSPITAL)
        .order_by("kind", "name")
    )


def practitioner_get_roles(practitioner: Practitioner) -> QuerySet[PractitionerRole]:
    return practitioner.roles.select_related("organisation", "service").order_by(
        F("service_id").asc(nulls_last=True), "-active", "organisation__name"
    )


def service_get_doctors(service: HospitalService) -> QuerySet[Practitioner]:
    return (
        Practitioner.objects.filter(roles__service=service)
        .distinct()
        .order_by("last_name", "first_name")
    )
