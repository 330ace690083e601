"""FHIR search: parameter parsing (token, string, date, reference) and Bundle paging.

Each resource declares its parameters in ``resources.py`` as ``SearchParam`` objects whose
``apply(queryset, values, modifier)`` narrows an access-checked queryset. Repeated parameters
AND together, comma-separated values OR together, as the FHIR search specification says.
Unknown parameters are refused (400) rather than ignored: a misspelt filter must not silently
return everything the caller may see — unless the client asks for it with
``Prefer: handling=lenient`` (FHIR R4 search §3.1.1.4.1): the unknown parameters are then
ignored and listed in an OperationOutcome entry of the Bundle (``search.mode = outcome``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet

from parcours.lib.text import is_id

from .errors import FhirError

DEFAULT_COUNT = 20
MAX_COUNT = 100
# Parameters about the result, not filters.
CONTROL_PARAMS = {
    "_count",
    "_offset",
    "_total",
    "_format",
    "_pretty",
    "_sort",
    "_elements",
    "_summary",
    "_include",
}


@dataclass(frozen=True)
class SearchParam:
    type: str  # token | string | date | reference
    doc: str
    apply: Callable[[QuerySet, list[str], str], QuerySet]
    modifiers: tuple[str, ...] = ()


# --- value parsing ----------------------------------------------------------------------------


def token(value: str) -> tuple[str | None, str]:
    """``system|code`` → (system, code); ``|code`` → ("", code); ``code`` → (None, code)."""
    if "|" in value:
        system, code = value.split("|", 1)
        return system, code
    return None, value


def reference_id(value: str, resource_type: str) -> str | None:
    """The id in ``Type/id``, a full URL ending in it, or a bare id; None if another type."""
    value = value.rstrip("/")
    if "/" in value:
        parts = value.split("/")
        if parts[-2] != resource_type:
            return None
        value = parts[-1]
    return value if is_id(value) else None


_DATE_RE = re.compile(
    r"^(eq|ne|lt|le|gt|ge|sa|eb|ap)?(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?"
    r"(T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)?$"
)


def date_range(value: str) -> tuple[str, datetime, datetime]:
    """(prefix, start, end) of a FHIR date search value, as aware datetimes in Paris time;
    the value covers [start, end) at its own precision (a year, a month, a day, an instant)."""
    m = _DATE_RE.match(value)
    if not m:
        raise FhirError(400, f"Date de recherche invalide : « {value} » (attendu AAAA-MM-JJ).")
    prefix, year, month, dd, clock = m.groups()
    prefix = prefix or "eq"
    if prefix not in {"eq", "lt", "le", "gt", "ge"}:
        raise FhirError(400, f"Préfixe de date non pris en charge : « {prefix} ».")
    tz = ZoneInfo(settings.TIME_ZONE)
    try:
        if clock:
            start = datetime.fromisoformat(f"{year}-{month}-{dd}{clock}".replace("Z", "+00:00"))
            if start.tzinfo is None:
                start = start.replace(tzinfo=tz)
            return prefix, start, start + timedelta(seconds=1)
        y = int(year)
        if dd:
            first = date(y, int(month), int(dd))
            last = first + timedelta(days=1)
        elif month:
            first = date(y, int(month), 1)
            last = date(y + (first.month == 12), first.month % 12 + 1, 1)
        else:
            first, last = date(y, 1, 1), date(y + 1, 1, 1)
    except ValueError:
        raise FhirError(400, f"Date de recherche invalide : « {value} ».") from None
    return (prefix, datetime.combine(first, time(), tz), datetime.combine(last, time(), tz))


def date_condition(field: str, value: str, *, is_date: bool = False) -> Q:
    prefix, start, end = date_range(value)
    lo, hi = (start.date(), end.date()) if is_date else (start, end)
    if is_date and (start.time() != time() or end.time() != time()):
        lo, hi = start.date(), start.date() + timedelta(days=1)
    return {
        "eq": Q(**{f"{field}__gte": lo, f"{field}__lt": hi}),
        "lt": Q(**{f"{field}__lt": lo}),
        "le": Q(**{f"{field}__lt": hi}),
        "gt": Q(**{f"{field}__gte": hi}),
        "ge": Q(**{f"{field}__gte": lo}),
    }[prefix]


# --- generic parameter builders -------------------------------------------------------------


def any_of(values: list[str], one: Callable[[str], Q]) -> Q:
    condition = Q()
    for value in values:
        condition |= one(value)
    return condition


def id_param(doc: str = "logical id") -> SearchParam:
    def apply(qs, values, modifier):
        ids = [v for v in values if is_id(v)]
        return qs.filter(pk__in=ids) if ids else qs.none()

    return SearchParam("token", doc, apply)


def reference_param(field: str, resource_type: str, doc: str) -> SearchParam:
    def apply(qs, values, modifier):
        ids = [i for i in (reference_id(v, resource_type) for v in values) if i]
        return qs.filter(**{f"{field}__in": ids}) if ids else qs.none()

    return SearchParam("reference", doc, apply)


def date_param(field: str, doc: str, *, is_date: bool = False) -> SearchParam:
    def apply(qs, values, modifier):
        return qs.filter(any_of(values, lambda v: date_condition(field, v, is_date=is_date)))

    return SearchParam("date", doc, apply)


def string_param(fields: list[str], doc: str, *, normalise=None) -> SearchParam:
    """FHIR string search: starts-with, case-insensitive; ``:exact`` and ``:contains``."""

    def apply(qs, values, modifier):
        def one(value):
            value = normalise(value) if normalise else value
            lookup = {"": "istartswith", "contains": "icontains", "exact": "exact"}[modifier]
            condition = Q()
            for f in fields:
                condition |= Q(**{f"{f}__{lookup}": value})
            return condition

        return qs.filter(any_of(values, one))

    return SearchParam("string", doc, apply, modifiers=("contains", "exact"))


def code_param(
    field: str, doc: str, mapping: dict[str, list[str]], system: str | None = None
) -> SearchParam:
    """A token whose FHIR codes map onto one or more database values."""

    def apply(qs, values, modifier):
        db_values = []
        for value in values:
            sys, code = token(value)
            if sys not in (None, "") and system is not None and sys != system:
                continue
            db_values += mapping.get(code, [])
        return qs.filter(**{f"{field}__in": db_values}) if db_values else qs.none()

    return SearchParam("token", doc, apply)


# --- request → filtered queryset → Bundle ---------------------------------------------------


def lenient(prefer: str) -> bool:
    """Whether the ``Prefer`` header asks for lenient handling of search parameters
    (``handling=lenient``; ``handling=strict`` or nothing: strict, FHIR R4 §3.1.1.4.1)."""
    parts = {p.strip().replace(" ", "") for p in re.split(r"[;,]", prefer or "")}
    return "handling=lenient" in parts


def unknown_params(query, params: dict[str, SearchParam]) -> list[str]:
    """The keys of ``query`` that are neither control parameters nor declared parameters (with
    a modifier the parameter accepts), in the order given."""
    unknown = []
    for key in query:
        if key in CONTROL_PARAMS:
            continue
        name, _, modifier = key.partition(":")
        param = params.get(name)
        if param is None or (modifier and modifier not in param.modifiers):
            unknown.append(key)
    return unknown


def without(query, keys: list[str]):
    """A copy of the QueryDict ``query`` without ``keys``."""
    kept = query.copy()
    for key in keys:
        kept.pop(key, None)
    return kept


def ignored_outcome(keys: list[str]) -> dict:
    """The OperationOutcome (warning) a lenient search adds to its Bundle."""
    return {
        "resourceType": "OperationOutcome",
        "id": "ignored-parameters",
        "issue": [
            {
                "severity": "warning",
                "code": "not-supported",
                "diagnostics": f"Paramètre de recherche ignoré (Prefer: handling=lenient) : "
                f"« {key} ».",
                "expression": [key],
            }
            for key in keys
        ],
    }


def sort_fields(query, sorts: dict[str, tuple[str, ...]]) -> tuple[str, ...] | None:
    """``_sort=a,-b`` → the ORM order (``sorts`` maps each sortable name to its fields; ``-``
    reverses), ``id`` last so pages are stable; None without ``_sort``. An unknown name is a
    400 (FHIR R4 search §3.1.1.5.6)."""
    raw = query.get("_sort")
    if not raw:
        return None
    order: list[str] = []
    for name in (n.strip() for n in raw.split(",") if n.strip()):
        desc = name.startswith("-")
        fields = sorts.get(name.lstrip("-"))
        if fields is None:
            raise FhirError(
                400,
                f"Tri non pris en charge : « {name} » (possibles : {', '.join(sorts)}).",
                code="not-supported",
            )
        order += [f"-{f}" if desc != f.startswith("-") else f.lstrip("-") for f in fields]
    return (*order, "id")


# Elements every resource keeps under _elements (FHIR R4 search §3.1.1.5.9: the mandatory
# ones and the modifiers).
_ALWAYS = {"resourceType", "id", "meta", "status", "intent", "active"}


def elements(resource: dict, names: set[str]) -> dict:
    """The resource reduced to the top-level ``names`` (and the mandatory elements), tagged
    SUBSETTED (http://terminology.hl7.org/CodeSystem/v3-ObservationValue)."""
    kept = {k: v for k, v in resource.items() if k in names or k in _ALWAYS}
    meta = dict(kept.get("meta") or {})
    meta["tag"] = [
        *meta.get("tag", []),
        {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
            "code": "SUBSETTED",
        },
    ]
    kept["meta"] = meta
    return kept


def elements_param(query) -> set[str] | None:
    """The names of ``_elements`` (comma-separated, Type. prefix allowed), or None."""
    raw = query.get("_elements")
    if not raw:
        return None
    return {n.strip().split(".")[-1] for n in raw.split(",") if n.strip()}


def summary_mode(query) -> str:
    """``_summary``: ``count`` (total only) or ``false`` (the default); others are a 400."""
    mode = query.get("_summary") or "false"
    if mode not in ("count", "false"):
        raise FhirError(
            400, "« _summary » vaut count ou false sur ce serveur.", code="not-supported"
        )
    return mode


def apply_search(qs: QuerySet, params: dict[str, SearchParam], query) -> QuerySet:
    for key in query:
        name, _, modifier = key.partition(":")
        if key in CONTROL_PARAMS:
            continue
        param = params.get(name)
        if param is None:
            raise FhirError(
                400,
                f"Paramètre de recherche non pris en charge : « {name} ».",
                code="not-supported",
            )
        if modifier and modifier not in param.modifiers:
            raise FhirError(
                400, f"Modificateur non pris en charge : « {key} ».", code="not-supported"
            )
        for raw in query.getlist(key):
            values = [v for v in raw.split(",") if v]
            if not values:
                raise FhirError(400, f"Valeur vide pour « {key} ».")
            qs = param.apply(qs, values, modifier)
    return qs


# Deeper pages cost a scan of every row before them: past this, narrow the search instead.
MAX_OFFSET = 100_000


def _int_param(query, name: str, default: int, maximum: int | None = None) -> int:
    """A non-negative integer parameter (ASCII digits), at most ``maximum``: else 400."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise FhirError(400, f"« {name} » doit être un entier positif.")
    value = int(raw)
    if maximum is not None and value > maximum:
        raise FhirError(
            400,
            f"« {name} » ne peut dépasser {maximum} : précisez la recherche.",
            code="too-costly",
        )
    return value


@dataclass
class Page:
    rows: list
    total: int | None
    offset: int
    count: int
    has_more: bool


@dataclass(frozen=True)
class SearchPlan:
    """A search answered without the generic queryset: ``fetch(offset, limit)`` gives the
    rows of a page in the resource's order, ``count()`` the total (a resource declares one
    for the queries it can answer from a better index, ``ResourceType.search_plan``)."""

    fetch: Callable[[int, int], list]
    count: Callable[[], int]


def paginate(qs: QuerySet | None, query, plan: SearchPlan | None = None) -> Page:
    count = min(_int_param(query, "_count", DEFAULT_COUNT), MAX_COUNT)
    offset = _int_param(query, "_offset", 0, MAX_OFFSET)
    total_mode = query.get("_total", "accurate")
    if total_mode not in {"none", "estimate", "accurate"}:
        raise FhirError(400, "« _total » vaut none, estimate ou accurate.")
    # One extra row tells whether a next page exists without counting.
    if plan is None:
        if qs is None:
            raise ValueError("paginate needs a queryset or a plan")
        plan = SearchPlan(
            fetch=lambda start, limit: list(qs[start : start + limit]), count=qs.count
        )
    rows = plan.fetch(offset, count + 1) if count else []
    has_more = len(rows) > count
    total = None
    if total_mode != "none":
        # On the last page the total is known without a COUNT query.
        known = count and not has_more and (rows or offset == 0)
        total = offset + len(rows) if known else plan.count()
    return Page(rows=rows[:count], total=total, offset=offset, count=count, has_more=has_more)


def bundle(*, resource_type: str, base: str, query, entries: list[dict], page: Page) -> dict:
    offset, count = page.offset, page.count
    params = [(k, v) for k in query for v in query.getlist(k) if k != "_offset"]

    def link(relation: str, at: int) -> dict:
        qs = urlencode(params + ([("_offset", str(at))] if at else []))
        return {"relation": relation, "url": f"{base}{resource_type}" + (f"?{qs}" if qs else "")}

    links = [link("self", offset)]
    if page.has_more:
        links.append(link("next", offset + count))
    if offset > 0:
        links.append(link("previous", max(0, offset - count)))
    result: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
    if page.total is not None:
        result["total"] = page.total
    result["link"] = links
    if entries:
        result["entry"] = [
            {
                "fullUrl": f"{base}{e['resourceType']}/{e['id']}",
                "resource": e,
                "search": {"mode": "match"},
            }
            for e in entries
        ]
    return result
