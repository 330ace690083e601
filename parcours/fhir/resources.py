"""The resource types the API serves: for each, the access-checked queryset it reads from,
its mapper, its search parameters and whether it holds patient data (then every read and
search is audited). The CapabilityStatement and the OpenAPI document are built from this
registry, so they list exactly what is implemented."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Count,
    Exists,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)

from parcours.directory.keys import fold
from parcours.directory.models import HospitalService, Organisation, Practitioner, PractitionerRole
from parcours.directory.selectors import (
    fuzzy_available,
    key_contains_all,
    key_fuzzy,
    practitioner_fuzzy,
)
from parcours.lib.text import ins_form, is_id
from parcours.patients.access import identity_queryset_for
from parcours.patients.models import Patient, PatientIdentifier
from parcours.referrals.access import referral_queryset_for
from parcours.referrals.models import ReferralAttachment, ReferralEvent, ReferralMessage
from parcours.referrals.workflow import Action

from . import codes, mappers
from . import labs as fl
from . import messaging as fm
from . import oncall as fo
from . import proximity as fp
from . import records as fr
from . import scheduling as fs
from . import summary_items as fsi
from .search import (
    CONTROL_PARAMS,
    Page,
    SearchParam,
    SearchPlan,
    any_of,
    apply_search,
    code_param,
    date_param,
    id_param,
    paginate,
    reference_id,
    reference_param,
    sort_fields,
    string_param,
    token,
)


@dataclass(frozen=True)
class ResourceType:
    name: str
    queryset: Callable[[object], QuerySet]  # user → what this user may read
    to_fhir: Callable
    search: dict[str, SearchParam]
    order: tuple[str, ...]
    patient_data: bool = False
    interactions: tuple[str, ...] = ("read", "search-type")
    doc: str = ""
    patient_id: Callable = field(default=lambda obj: None)
    # The queryset for a single read when it can skip the list's prefetches (the mapper then
    # loads a related list only in the states that show it).
    read_queryset: Callable[[object], QuerySet] | None = None
    # A second source under the same resource name (the mailbox under Communication): reached
    # by ids with ``variant_prefix`` and by searches ``variant_search`` recognises.
    variant: ResourceType | None = None
    variant_prefix: str = ""
    variant_search: Callable[[object], bool] | None = None
    # (user, query) → a SearchPlan for the searches a better index answers, else None (the
    # generic queryset then applies; both give the same rows in the same order).
    search_plan: Callable[[object, object], SearchPlan | None] | None = None
    # Page the ids first, then read their rows: lets the database walk an index that holds
    # the order and the filtered columns without reading the table (the directory's names).
    ids_first: bool = False
    # Called on the row of a single read (``read_queryset``): loads the related lists its
    # ``has_*`` flags say exist (``flag_related`` / ``load_flagged``).
    prepare_read: Callable[[Model], None] | None = None
    # _sort names → ORM fields (``-`` for descending); ``_id`` is always sortable.
    sorts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # _include values ("Type:param") → (the included resource type, obj → ids to include).
    includes: dict[str, tuple[str, Callable[[Any], list]]] = field(default_factory=dict)
    # The FR Core / national guide profiles the resources claim in meta.profile.
    profiles: tuple[str, ...] = ()

    def for_read(self, user) -> QuerySet:
        return (self.read_queryset or self.queryset)(user)

    def read_one(self, user, pk) -> Model | None:
        """The row ``pk`` if ``user`` may read it (else None), with what its mapper reads."""
        obj = self.for_read(user).filter(pk=pk).first()
        if obj is not None and self.prepare_read is not None:
            self.prepare_read(obj)
        return obj

    def search_page(self, user, query) -> Page:
        """One page of a search by ``user`` (the query's filters, ``_sort``, paging and
        total)."""
        sort = sort_fields(query, {"_id": ("id",), **self.sorts})
        plan = self.search_plan(user, query) if self.search_plan and sort is None else None
        if plan is not None:
            return paginate(None, query, plan)
        qs = apply_search(self.queryset(user), self.search, query)
        # A parameter may order by its own relevance (phonetic: most similar first).
        if sort is not None:
            ordered = qs.order_by(*sort)
        else:
            ordered = qs if qs.query.order_by else qs.order_by(*self.order)
        if not self.ids_first:
            return paginate(ordered, query)

        def fetch(offset: int, limit: int) -> list:
            ids = list(ordered.values_list("pk", flat=True)[offset : offset + limit])
            found = self.queryset(user).in_bulk(ids)
            return [found[i] for i in ids if i in found]

        return paginate(None, query, SearchPlan(fetch=fetch, count=ordered.count))


def flag_related(qs: QuerySet, related: dict[str, QuerySet]) -> QuerySet:
    """``qs`` annotated with ``has_<name>`` = EXISTS(the related rows) for each related list
    (name → its rows, filtered on ``OuterRef("pk")``). A single read then loads only the lists
    that are not empty (``load_flagged``): most rows have none, so the read is one statement
    instead of one per list (issue 16)."""
    return qs.annotate(**{f"has_{name}": Exists(rows) for name, rows in related.items()})


def load_flagged(obj: Model, lookups: Mapping[str, Prefetch]) -> None:
    """Prefetch onto ``obj`` each related list (name → its Prefetch) its ``has_<name>``
    annotation says exists; the others are set to the empty result without a query."""
    cache = obj.__dict__.setdefault("_prefetched_objects_cache", {})
    needed = []
    for name, lookup in lookups.items():
        if getattr(obj, f"has_{name}"):
            needed.append(lookup)
        else:
            cache[name] = lookup.queryset.none() if lookup.queryset is not None else None
    if needed:
        prefetch_related_objects([obj], *needed)


def _inverse(mapping: dict[str, str]) -> dict[str, list[str]]:
    inverse: dict[str, list[str]] = {}
    for db_value, code in mapping.items():
        inverse.setdefault(code, []).append(str(db_value))
    return inverse


def _identifier_param(
    lookups: dict[str | None, Callable[[str], Q]],
    doc: str,
    any_value: dict[str, Q] | None = None,
) -> SearchParam:
    """identifier=[system|]value; ``lookups`` maps each accepted system (None: any) to a Q.
    ``system|`` (no value) matches every row with an identifier of that system (FHIR R4
    search §3.1.1.4.7): ``any_value`` gives that Q per system."""

    def apply(qs, values, modifier):
        def one(value):
            system, code = token(value)
            if system and not code:
                return (any_value or {}).get(system, Q(pk__in=[]))
            if not code:
                return Q(pk__in=[])
            if system is None or system == "":
                condition = Q()
                for build in lookups.values():
                    condition |= build(code)
                return condition
            build = lookups.get(system)
            return build(code) if build else Q(pk__in=[])

        return qs.filter(any_of(values, one))

    return SearchParam("token", doc, apply)


# --- directory ------------------------------------------------------------------------------


def _organisations(user) -> QuerySet:
    return Organisation.objects.all()


def _idnst_lookup(value: str) -> Q:
    """IDNST = identifier type (TRE_G07: 1 FINESS, 3 SIRET, 4 the directory's technical
    structure id) + identifier (mappers.idnst; FR Core FRCoreOrganizationProfile idNatSt)."""
    kind, rest = value[:1], value[1:].strip()
    # The directory's own structure id (« Identifiant technique de la structure ») is what
    # the Annuaire Santé emits as idNat_Struct for the structures without FINESS or SIRET.
    condition = Q(structure_id=value.strip()) if value.strip() else Q(pk__in=[])
    if kind == "1" and rest:
        condition |= Q(finess=rest)
    if kind == "3" and rest:
        condition |= Q(siret=rest)
    if kind == "4" and rest:
        # FR Core Organization: "4 + RPPS rang ou identifiant technique de la structure".
        condition |= Q(structure_id=rest)
    return condition


def _services(user) -> QuerySet:
    return HospitalService.objects.select_related("hospital")


def _practitioners(user) -> QuerySet:
    return Practitioner.objects.all()


def _practitioner_roles(user) -> QuerySet:
    return PractitionerRole.objects.select_related("practitioner", "organisation", "service")


def _iexact_param(
    fields: list[str], doc: str, coded: dict[str, list[str]] | None = None
) -> SearchParam:
    """A text matched case-insensitively on ``fields``; with a ``system|code`` of ``coded``
    (system → the code fields), the national code instead (issue 21: ANS TRE_G15 / TRE_R38
    codes of the Annuaire Santé)."""

    def apply(qs, values, modifier):
        def one(value):
            system, code = token(value)
            if system and coded and system in coded:
                condition = Q(pk__in=[])
                for f in coded[system]:
                    condition |= Q(**{f: code}) if code else ~Q(**{f: ""})
                return condition
            if system:
                return Q(pk__in=[])
            condition = Q()
            for f in fields:
                condition |= Q(**{f"{f}__iexact": code})
            return condition

        return qs.filter(any_of(values, one))

    return SearchParam("token", doc, apply)


def _folded_param(field: str, doc: str) -> SearchParam:
    """A name searched on its folded key (accents and case ignored): starts-with any word;
    ``:contains`` anywhere; ``:exact`` the whole key."""

    def apply(qs, values, modifier):
        def one(value):
            key = fold(value)
            if not key:
                return Q(pk__in=[])
            if modifier == "exact":
                return Q(**{field: key})
            if modifier == "contains":
                return Q(**{f"{field}__contains": key})
            return Q(**{f"{field}__startswith": key}) | Q(**{f"{field}__contains": f" {key}"})

        return qs.filter(any_of(values, one))

    return SearchParam("string", doc, apply, modifiers=("contains", "exact"))


def _phonetic_param(table: str, doc: str) -> SearchParam:
    """Typo-tolerant name search, most similar first when it is the only name criterion:
    practitioners by similar family names on any database (``practitioner_fuzzy``, the
    directory page's fallback too); structures by pg_trgm word similarity over the name on
    PostgreSQL, every word contained on SQLite."""

    def apply(qs, values, modifier):
        if table == "directory_practitioner":
            return practitioner_fuzzy(qs, values[0])
        if fuzzy_available():
            return key_fuzzy(qs, values[0], table)
        return key_contains_all(qs, values[0])

    return SearchParam("string", doc, apply)


def _bool_param(field: str, doc: str) -> SearchParam:
    def apply(qs, values, modifier):
        # Like the other token parameters, a value other than true/false matches nothing.
        flags = {v for v in values if v in ("true", "false")}
        return qs.filter(**{f"{field}__in": [f == "true" for f in flags]}) if flags else qs.none()

    return SearchParam("token", doc, apply)


def _postcode_q(field: str, value: str) -> Q:
    """A postcode, or its first digits as an index range (department, area)."""
    value = value.strip()
    if not value:
        return Q(pk__in=[])  # an empty value matches nothing (not "every site without one")
    if len(value) >= 5 or not (value.isascii() and value.isdigit()):
        return Q(**{field: value[:5]})
    upper = str(int(value) + 1).zfill(len(value))
    return Q(**{f"{field}__gte": value, f"{field}__lt": upper})


# Up to this many practitioners at a place, their ids go to the query as a list; beyond, as
# a subquery (the planner reads a short list well; a long one costs more to send than to join).
PLACE_LIST_MAX = 5_000


def _place_condition(param: str, value: str) -> Q:
    """The active activities at a town (starts with, accents ignored) or a postcode (or its
    first digits), over their copied place keys."""
    if param == "address-city":
        key = fold(value)
        return Q(town_key__startswith=key) if key else Q(pk__in=[])
    return _postcode_q("postcode", value)


def _practitioner_place_params() -> dict[str, SearchParam]:
    """Practitioners with an active activity at the place, combined with other criteria
    (a place alone goes through ``_practitioner_place_plan``)."""

    def param(name: str) -> Callable:
        def apply(qs, values, modifier):
            roles = PractitionerRole.objects.filter(
                any_of(values, lambda v: _place_condition(name, v)), active=True
            ).values_list("practitioner_id", flat=True)
            ids = list(roles[: PLACE_LIST_MAX + 1])
            if len(ids) <= PLACE_LIST_MAX:
                return qs.filter(pk__in=ids)
            return qs.filter(pk__in=Subquery(roles))

        return apply

    return {
        "address-city": SearchParam(
            "string", "town, starts with (accents ignored)", param("address-city")
        ),
        "address-postalcode": SearchParam(
            "string", "postcode or its first digits", param("address-postalcode")
        ),
    }


def _practitioner_place_plan(user, query) -> SearchPlan | None:
    """``Practitioner?address-postalcode=…`` (or ``address-city``) alone: read in name order
    from the activities' (place, name key, practitioner) index, which holds a copy of each
    practitioner's search key, and counted there; the generic query sorted and counted the
    practitioners (p95 0.4–0.8 s for the large postcodes of a national directory)."""
    params = [k for k in query if k not in CONTROL_PARAMS]
    if (
        len(params) != 1
        or params[0] not in ("address-city", "address-postalcode")
        or len(query.getlist(params[0])) != 1
    ):
        return None
    values = [v for v in query[params[0]].split(",") if v]
    if not values:
        return None  # the generic path explains the error
    roles = PractitionerRole.objects.filter(
        any_of(values, lambda v: _place_condition(params[0], v)), active=True
    )
    readable = PRACTITIONER.queryset(user)

    def fetch(offset: int, limit: int) -> list:
        # (name key, practitioner) pairs in the order of PRACTITIONER.order (search_key,
        # id); a practitioner with two activities there is one pair.
        pairs = (
            roles.order_by("name_key", "practitioner_id")
            .values_list("name_key", "practitioner_id")
            .distinct()[offset : offset + limit]
        )
        ids = [pid for _key, pid in pairs]
        found = readable.in_bulk(ids)
        return [found[i] for i in ids if i in found]

    def count() -> int:
        return roles.aggregate(n=Count("practitioner_id", distinct=True))["n"]

    return SearchPlan(fetch=fetch, count=count)


def _role_place_params() -> dict[str, SearchParam]:
    def city(qs, values, modifier):
        return qs.filter(any_of(values, lambda v: _place_condition("address-city", v)))

    def postcode(qs, values, modifier):
        return qs.filter(any_of(values, lambda v: _place_condition("address-postalcode", v)))

    return {
        "address-city": SearchParam(
            "string", "town of the site, starts with (accents ignored)", city
        ),
        "address-postalcode": SearchParam(
            "string", "postcode of the site or its first digits", postcode
        ),
    }


def _place_params(prefix: str) -> dict[str, SearchParam]:
    """address-city / address-postalcode, through ``prefix`` (the organisation path)."""

    def city(qs, values, modifier):
        return qs.filter(
            any_of(values, lambda v: Q(**{f"{prefix}town_key__startswith": fold(v)}))
        ).distinct()

    def postcode(qs, values, modifier):
        return qs.filter(
            any_of(values, lambda v: Q(**{f"{prefix}postcode__startswith": v.strip()}))
        ).distinct()

    return {
        "address-city": SearchParam("string", "town, starts with (accents ignored)", city),
        "address-postalcode": SearchParam("string", "postcode or its first digits", postcode),
    }


ORGANIZATION = ResourceType(
    name="Organization",
    queryset=_organisations,
    to_fhir=mappers.organization,
    order=("name", "id"),
    doc="Établissements, cabinets, MSP, centres d'imagerie, réseaux.",
    sorts={"name": ("name",)},
    search={
        "_id": id_param(),
        "identifier": _identifier_param(
            {
                codes.FINESS: lambda v: Q(finess=v),
                codes.ID_NAT_STRUCT: _idnst_lookup,
                codes.SIRET: lambda v: Q(siret=v) if v else Q(pk__in=[]),
            },
            "IDNST (urn:oid:1.2.250.1.71.4.2.2|1+FINESS or "
            "3+SIRET), FINESS (https://finess.esante.gouv.fr|…), "
            "SIRET (https://sirene.fr|…); system| alone: any value",
            any_value={
                codes.FINESS: ~Q(finess=""),
                codes.SIRET: ~Q(siret=""),
                codes.ID_NAT_STRUCT: ~Q(finess="") | ~Q(siret=""),
            },
        ),
        "name": _folded_param(
            "search_key", "name: a word starts with (case and accents ignored); :contains, :exact"
        ),
        "phonetic": _phonetic_param("directory_organisation", "name, tolerant of typos"),
        **_place_params(""),
        "active": _bool_param("active", "false for structures gone from the national directory"),
        "type": code_param(
            "kind",
            "organisation kind (hospital, practice, msp, imaging, network)",
            {k: [k] for k in Organisation.Kind.values},
            codes.ORGANISATION_KIND,
        ),
    },
)

HEALTHCARE_SERVICE = ResourceType(
    name="HealthcareService",
    queryset=_services,
    to_fhir=mappers.healthcare_service,
    order=("hospital__name", "name", "id"),
    doc="Services hospitaliers qui reçoivent les demandes.",
    search={
        "_id": id_param(),
        "organization": reference_param(
            "hospital_id", "Organization", "the hospital (Organization/id)"
        ),
        "name": string_param(["name"], "name, starts with"),
        "specialty": _iexact_param(["specialty"], "specialty (text, case-insensitive)"),
        "active": _bool_param("accepts_requests", "true for services receiving requests"),
        **_place_params("hospital__"),
        "identifier": _identifier_param(
            {codes.HEALTHCARE_SERVICE_ID: lambda v: Q(pk=v) if is_id(v) else Q(pk__in=[])},
            f"the service's platform identifier ({codes.HEALTHCARE_SERVICE_ID}|id)",
            any_value={codes.HEALTHCARE_SERVICE_ID: Q()},
        ),
        "service-type": fs.service_type_param(
            "schedules__acts", "an act booked in one of the service's agendas (GAP)"
        ),
    },
    sorts={"name": ("name",), "organization": ("hospital__name",)},
    includes={"HealthcareService:organization": ("Organization", lambda s: [s.hospital_id])},
)


def _rpps_lookup(value: str) -> Q:
    return Q(rpps=value)


def _idnatps_lookup(value: str) -> Q:
    """idNatPs: "8" + RPPS, "0" + ADELI (ANS, Annuaire Santé: identification nationale PP)."""
    if value.startswith("8") and len(value) > 1:
        return Q(rpps=value[1:])
    if value.startswith("0") and len(value) > 1:
        return Q(adeli=value[1:])
    return Q(pk__in=[])


PRACTITIONER = ResourceType(
    name="Practitioner",
    queryset=_practitioners,
    to_fhir=mappers.practitioner,
    order=("search_key", "id"),
    doc="Professionnels de santé de l'annuaire (national et local).",
    search={
        "_id": id_param(),
        "identifier": _identifier_param(
            {codes.RPPS: _rpps_lookup, codes.ID_NAT_PS: _idnatps_lookup},
            "RPPS (https://rpps.esante.gouv.fr|…) or idNatPs (8+RPPS, 0+ADELI); system| "
            "alone: any value",
            any_value={codes.RPPS: ~Q(rpps=""), codes.ID_NAT_PS: ~Q(rpps="") | ~Q(adeli="")},
        ),
        "name": _folded_param(
            "search_key",
            "family or given name: a word starts with (case "
            "and accents ignored); :contains, :exact (« NOM PRÉNOM »)",
        ),
        "family": string_param(["last_name"], "family name, starts with"),
        "given": string_param(["first_name"], "given name, starts with"),
        "phonetic": _phonetic_param(
            "directory_practitioner",
            "family and/or given name, tolerant of typos and accents (trigram similarity)",
        ),
        "specialty": _iexact_param(
            ["specialty"],
            "specialty (text, case-insensitive) or its ANS TRE_R38 code (system|code)",
            {codes.TRE_R38_SPECIALTY: ["specialty_code"]},
        ),
        "qualification-code": _iexact_param(
            ["profession"],
            "profession (text) or its ANS TRE_G15 code (system|code)",
            {codes.TRE_G15_PROFESSION: ["profession_code"]},
        ),
        **_practitioner_place_params(),
        "active": _bool_param("active", "false for practitioners gone from the national directory"),
    },
    sorts={"family": ("last_name", "first_name"), "given": ("first_name",)},
    # Every practitioner of the directory is readable by every user (no per-user filter to
    # apply to the plan's count).
    search_plan=_practitioner_place_plan,
    ids_first=True,
)

PRACTITIONER_ROLE = ResourceType(
    name="PractitionerRole",
    queryset=_practitioner_roles,
    to_fhir=mappers.practitioner_role,
    order=("id",),
    doc="Activités des professionnels (établissement, service).",
    search={
        "_id": id_param(),
        "practitioner": reference_param("practitioner_id", "Practitioner", "Practitioner/id"),
        "organization": reference_param("organisation_id", "Organization", "Organization/id"),
        "service": reference_param("service_id", "HealthcareService", "HealthcareService/id"),
        "specialty": _iexact_param(
            ["specialty", "practitioner__specialty"],
            "specialty of the activity or the practitioner (text), or its ANS TRE_R38 code",
            {codes.TRE_R38_SPECIALTY: ["specialty_code", "practitioner__specialty_code"]},
        ),
        "role": _iexact_param(
            ["profession", "function", "practitioner__profession"],
            "the profession or function of the activity (text, case-insensitive; GAP), or the "
            "profession's ANS TRE_G15 code",
            {codes.TRE_G15_PROFESSION: ["profession_code", "practitioner__profession_code"]},
        ),
        "identifier": _identifier_param(
            {
                codes.RPPS: lambda v: Q(practitioner__rpps=v),
                codes.ID_NAT_PS: lambda v: (
                    Q(practitioner__rpps=v[1:]) if v.startswith("8") else Q(pk__in=[])
                ),
            },
            "the practitioner's RPPS or idNatPs",
            any_value={
                codes.RPPS: ~Q(practitioner__rpps=""),
                codes.ID_NAT_PS: ~Q(practitioner__rpps=""),
            },
        ),
        **_role_place_params(),
        "active": _bool_param("active", "false for activities gone from the national directory"),
    },
    includes={
        "PractitionerRole:practitioner": ("Practitioner", lambda r: [r.practitioner_id]),
        "PractitionerRole:organization": ("Organization", lambda r: [r.organisation_id]),
        "PractitionerRole:service": ("HealthcareService", lambda r: [r.service_id]),
    },
)


# --- patients -------------------------------------------------------------------------------


_PATIENT_RELATED = {
    "local_identifiers": Prefetch(
        "local_identifiers", queryset=PatientIdentifier.objects.select_related("organisation")
    ),
    "merged_from": Prefetch("merged_from", queryset=Patient.objects.only("id", "merged_into_id")),
}


def _patients(user) -> QuerySet:
    # A Patient resource is the identity alone (traits, status, local numbers): who found it
    # by its traits may read it; its data (DiagnosticReport, Observation…) keeps the stricter
    # rule of patients/access.py.
    return identity_queryset_for(user).prefetch_related(*_PATIENT_RELATED.values())


def _patient_read(user) -> QuerySet:
    return flag_related(
        identity_queryset_for(user),
        {
            "local_identifiers": PatientIdentifier.objects.filter(patient=OuterRef("pk")),
            "merged_from": Patient.objects.filter(merged_into=OuterRef("pk")),
        },
    )


def _local_lookup(system: str | None) -> Callable[[str], Q]:
    """A local number (IPP, network file number) of any system, or of one system."""

    def build(value: str) -> Q:
        idents = PatientIdentifier.objects.filter(patient=OuterRef("pk"), value=value)
        if system is not None:
            idents = idents.filter(system=system)
        return Q(Exists(idents))

    return build


def _patient_identifier_param() -> SearchParam:
    known = {
        **{s: _ins_lookup for s in codes.INS_SYSTEMS},
        codes.PATIENT_ID: lambda v: Q(pk=v) if is_id(v) else Q(pk__in=[]),
    }

    def apply(qs, values, modifier):
        def one(value):
            system, code = token(value)
            if system is None or system == "":
                condition = _local_lookup(None)(code)
                for build in known.values():
                    condition |= build(code)
                return condition
            return known.get(system, _local_lookup(system))(code)

        return qs.filter(any_of(values, one))

    return SearchParam(
        "token",
        "INS matricule (urn:oid:1.2.250.1.213.1.4.8|NIR), platform "
        "id, or a local identifier (IPP: its system|value)",
        apply,
    )


def _ins_lookup(value: str) -> Q:
    return Q(ins_nir="".join(value.split()).upper()) if value.strip() else Q(pk__in=[])


def _family_q(value: str) -> Q:
    key = ins_form(value)  # names are stored in INS form: upper case, no accents
    return Q(birth_name__startswith=key) | Q(used_name__startswith=key)


def _given_q(value: str) -> Q:
    key = ins_form(value)
    # Any of the birth given names (space-separated), or the used first name.
    return (
        Q(birth_given_names__startswith=key)
        | Q(birth_given_names__contains=f" {key}")
        | Q(used_first_name__istartswith=value.strip())
    )


def _patient_string_param(build: Callable[[str], Q], doc: str) -> SearchParam:
    def apply(qs, values, modifier):
        return qs.filter(any_of(values, build))

    return SearchParam("string", doc, apply)


PATIENT = ResourceType(
    name="Patient",
    queryset=_patients,
    to_fhir=mappers.patient,
    patient_data=True,
    order=("birth_name", "birth_given_names", "id"),
    sorts={
        "family": ("birth_name",),
        "given": ("birth_given_names",),
        "birthdate": ("birth_date",),
    },
    patient_id=lambda p: p.pk,
    interactions=("read", "search-type", "create"),
    read_queryset=_patient_read,
    prepare_read=lambda p: load_flagged(p, _PATIENT_RELATED),
    doc="Identités patient (traits INS, identifiants locaux ; opération $match). Visibles "
    "par qui a une relation de soin avec le patient ou a retrouvé l'identité par ses "
    "traits ; l'identité seule n'ouvre pas les données du patient.",
    search={
        "_id": id_param(),
        "identifier": _patient_identifier_param(),
        "family": _patient_string_param(
            _family_q, "birth or used name, starts with, case and accents ignored"
        ),
        "given": _patient_string_param(
            _given_q, "any birth given name or the used first name, starts with"
        ),
        "name": _patient_string_param(
            lambda v: _family_q(v) | _given_q(v), "family or given name, starts with"
        ),
        "birthdate": date_param("birth_date", "birth date (eq, lt, le, gt, ge)", is_date=True),
        "gender": code_param(
            "sex",
            "female, male, other",
            _inverse(mappers.PATIENT_GENDER),
            "http://hl7.org/fhir/administrative-gender",
        ),
    },
)


# --- referrals ------------------------------------------------------------------------------


def _referral_rows(user) -> QuerySet:
    last_event = ReferralEvent.objects.filter(referral=OuterRef("pk")).order_by("-at", "-id")
    return (
        referral_queryset_for(user)
        .select_related(
            "patient",
            "service",
            "author__practitioner",
            "assigned_to__practitioner",
        )
        .annotate(last_event_at=Subquery(last_event.values("at")[:1]))
    )


_ATTACHMENTS = {"attachments": Prefetch("attachments", queryset=ReferralAttachment.objects.all())}


def _referrals(user) -> QuerySet:
    return _referral_rows(user).prefetch_related("attachments")


def _referral_read(user) -> QuerySet:
    return flag_related(
        _referral_rows(user),
        {"attachments": ReferralAttachment.objects.filter(referral=OuterRef("pk"))},
    )


def _tasks(user) -> QuerySet:
    info = ReferralEvent.objects.filter(action=Action.INFO_REQUESTED).order_by("-at", "-id")
    return _referrals(user).prefetch_related(
        Prefetch("events", queryset=info, to_attr="info_events")
    )


def _referral_identifier(value: str) -> Q:
    v = value.upper().removeprefix("D-")
    return Q(pk=int(v)) if is_id(v) else Q(pk__in=[])


def _practitioner_ids(values: list[str]) -> list[str]:
    """Practitioner ids of Practitioner/… references, and of PractitionerRole/… ones (a role
    stands for its practitioner, issue 21)."""
    ids = [i for i in (reference_id(v, "Practitioner") for v in values) if i]
    roles = [i for i in (reference_id(v, "PractitionerRole") for v in values) if i]
    if roles:
        ids += [
            str(p)
            for p in PractitionerRole.objects.filter(pk__in=roles).values_list(
                "practitioner_id", flat=True
            )
        ]
    return ids


def _requester_param(field_prefix: str) -> SearchParam:
    def apply(qs, values, modifier):
        ids = _practitioner_ids(values)
        return qs.filter(**{f"{field_prefix}__practitioner__pk__in": ids}) if ids else qs.none()

    return SearchParam(
        "reference", "Practitioner/id or PractitionerRole/id of the requesting GP", apply
    )


def _owner_param() -> SearchParam:
    def apply(qs, values, modifier):
        condition = Q(pk__in=[])
        for v in values:
            for pid in _practitioner_ids([v]):
                condition |= Q(assigned_to__practitioner__pk=pid)
            sid = reference_id(v, "HealthcareService")
            if sid:
                condition |= Q(service_id=sid, assigned_to__isnull=True)
        return qs.filter(condition)

    return SearchParam(
        "reference",
        "Practitioner/id of the assigned doctor, or "
        "HealthcareService/id for requests not yet assigned",
        apply,
    )


def _referral_identifier_param() -> SearchParam:
    def one(value: str) -> Q:
        system, code = token(value)
        if system == codes.REFERRAL_ID:
            return _referral_identifier(code) if code else Q()
        if system and not code:
            return Q(identifier_system=system) & ~Q(identifier_value="")
        if system:
            return Q(identifier_system=system, identifier_value=code)
        return (_referral_identifier(code) | Q(identifier_value=code)) if code else Q(pk__in=[])

    return SearchParam(
        "token",
        f"request number ({codes.REFERRAL_ID}|D-000042) or the identifier the sending "
        "system gave (its system|value)",
        lambda qs, values, m: qs.filter(any_of(values, one)),
    )


def chained_patient_identifier(field: str) -> SearchParam:
    """``patient.identifier=[system|]value`` (chained search, FHIR R4 §3.1.1.4.9): the rows
    whose patient carries that identifier (INS, platform id, local number). The outer
    queryset is already what the caller may see."""
    inner = _patient_identifier_param()

    def apply(qs, values, modifier):
        patients = inner.apply(Patient.objects.all(), values, modifier).values("pk")
        return qs.filter(**{f"{field}__in": patients})

    return SearchParam("token", "chained: the patient's identifier (INS, IPP: system|value)", apply)


_SR_COMMON = {
    "_id": id_param(),
    "identifier": _referral_identifier_param(),
    "patient": reference_param("patient_id", "Patient", "Patient/id"),
    "subject": reference_param("patient_id", "Patient", "Patient/id"),
    "patient.identifier": chained_patient_identifier("patient"),
    "subject.identifier": chained_patient_identifier("patient"),
    "requester": _requester_param("author"),
    "_lastUpdated": date_param("last_event_at", "last change (the request's last event)"),
}
_SR_SORTS: dict[str, tuple[str, ...]] = {
    "authored": ("submitted_at",),
    "_lastUpdated": ("last_event_at",),
}
_SR_INCLUDES: dict[str, tuple[str, Callable[[Any], list]]] = {
    "patient": ("Patient", lambda r: [r.patient_id]),
    "subject": ("Patient", lambda r: [r.patient_id]),
    "performer": ("HealthcareService", lambda r: [r.service_id]),
    "requester": (
        "Practitioner",
        lambda r: (
            [getattr(getattr(r.author, "practitioner", None), "pk", None)]
            if mappers._has_practitioner(r.author)
            else []
        ),
    ),
}

SERVICE_REQUEST = ResourceType(
    name="ServiceRequest",
    queryset=_referrals,
    to_fhir=mappers.service_request,
    patient_data=True,
    order=("-submitted_at", "-id"),
    patient_id=lambda r: r.patient_id,
    interactions=("read", "search-type", "create"),
    read_queryset=_referral_read,
    prepare_read=lambda r: load_flagged(r, _ATTACHMENTS),
    doc="Demandes de prise en charge d'un médecin de ville à un service hospitalier.",
    search={
        **_SR_COMMON,
        "performer": reference_param("service_id", "HealthcareService", "HealthcareService/id"),
        "status": code_param(
            "status",
            "active, on-hold, completed, revoked",
            _inverse(mappers.SERVICE_REQUEST_STATUS),
            "http://hl7.org/fhir/request-status",
        ),
        "category": code_param(
            "kind",
            "ADVICE, ADMISSION, CONSULTATION, EXAM",
            {k: [k] for k in ("ADVICE", "ADMISSION", "CONSULTATION", "EXAM")},
            codes.REFERRAL_CATEGORY,
        ),
        "authored": date_param("submitted_at", "submission date (eq, lt, le, gt, ge)"),
    },
    sorts=_SR_SORTS,
    includes={f"ServiceRequest:{k}": v for k, v in _SR_INCLUDES.items()},
)

TASK = ResourceType(
    name="Task",
    queryset=_tasks,
    to_fhir=mappers.task,
    patient_data=True,
    order=("due_at", "id"),
    patient_id=lambda r: r.patient_id,
    interactions=("read", "search-type", "update", "patch"),
    read_queryset=_referral_rows,
    doc="Le suivi de chaque demande (même id que la ServiceRequest) : le circuit avance en "
    "modifiant la Task (PUT ou PATCH).",
    search={
        **_SR_COMMON,
        "focus": reference_param("pk", "ServiceRequest", "ServiceRequest/id"),
        "based-on": reference_param("pk", "ServiceRequest", "ServiceRequest/id"),
        "status": code_param(
            "status",
            "requested, accepted, on-hold, in-progress, completed, rejected, cancelled",
            _inverse(mappers.TASK_STATUS),
            codes.TASK_STATUS,
        ),
        "business-status": code_param(
            "status",
            "submitted, assigned, info-requested, answered, taken-in-charge, declined, cancelled",
            _inverse(mappers.BUSINESS_STATUS),
            codes.TASK_BUSINESS_STATUS,
        ),
        "owner": _owner_param(),
        "authored-on": date_param("submitted_at", "submission date"),
    },
    sorts={**_SR_SORTS, "authored-on": ("submitted_at",)},
    includes={
        "Task:patient": _SR_INCLUDES["patient"],
        "Task:focus": ("ServiceRequest", lambda r: [r.pk]),
        "Task:based-on": ("ServiceRequest", lambda r: [r.pk]),
        "Task:requester": _SR_INCLUDES["requester"],
    },
)


def _messages(user) -> QuerySet:
    return (
        ReferralMessage.objects.filter(referral__in=referral_queryset_for(user).values("pk"))
        .select_related("referral", "author__practitioner")
        .prefetch_related("attachments")
    )


MAIL_COMMUNICATION = ResourceType(
    name="Communication",
    queryset=fm.mail_for,
    to_fhir=fm.mail_communication,
    patient_data=True,
    order=("-sent_at", "-id"),
    patient_id=lambda m: m.thread.patient_id,
    doc="Messagerie sécurisée (ids mail-N).",
    search=fm.MAIL_SEARCH,
)


def _no_mail_category() -> SearchParam:
    def apply(qs, values, modifier):
        return qs.none()  # a mailbox category routes to the mailbox before this

    return SearchParam(
        "token",
        "message | discharge-letter | lab-result: search the secure "
        "mailbox (ids mail-N) instead of the request threads",
        apply,
    )


COMMUNICATION = ResourceType(
    name="Communication",
    queryset=_messages,
    to_fhir=mappers.communication,
    patient_data=True,
    order=("created_at", "id"),
    patient_id=lambda m: m.referral.patient_id,
    interactions=("read", "search-type", "create"),
    doc="Messages du fil d'échange d'une demande ; avec category=message, discharge-letter "
    "ou lab-result, la messagerie sécurisée (ids mail-N, lecture et recherche).",
    variant=MAIL_COMMUNICATION,
    variant_prefix=fm.MAIL_PREFIX,
    variant_search=fm.is_mail_search,
    search={
        "category": _no_mail_category(),
        "_id": id_param(),
        "based-on": reference_param("referral_id", "ServiceRequest", "ServiceRequest/id"),
        "part-of": reference_param("referral_id", "Task", "Task/id"),
        "patient": reference_param("referral__patient_id", "Patient", "Patient/id"),
        "subject": reference_param("referral__patient_id", "Patient", "Patient/id"),
        "sent": date_param("created_at", "date sent"),
    },
)

# --- shared agendas (fhir/scheduling.py) ---------------------------------------------------

# On-call rosters (fhir/oncall.py): a second source under Schedule and Slot, ids garde-N.
ONCALL_SCHEDULE = ResourceType(
    name="Schedule",
    queryset=fo.rosters_for,
    to_fhir=fo.schedule,
    order=("id",),
    doc="Tableaux de garde (ids garde-N), lecture seule.",
    search=fo.ROSTER_SEARCH,
)

ONCALL_SLOT = ResourceType(
    name="Slot",
    queryset=fo.shifts_for,
    to_fhir=fo.slot,
    order=("start", "id"),
    doc="Gardes d'un tableau de garde (ids garde-N), lecture seule.",
    search=fo.SHIFT_SEARCH,
)

SCHEDULE = ResourceType(
    profiles=(f"{fs.FR_CORE}fr-core-schedule",),
    name="Schedule",
    queryset=fs.schedules_for,
    to_fhir=fs.schedule,
    order=("id",),
    doc="Agendas partagés (praticien, service, équipement d'imagerie) ; profil FR Core "
    "Schedule, guide ANS Gestion d'Agendas Partagés. Avec service-category=on-call, les "
    "tableaux de garde (ids garde-N, lecture seule).",
    search=fs.SCHEDULE_SEARCH,
    includes={
        "Schedule:actor": ("HealthcareService", lambda s: [s.service_id]),
    },
    variant=ONCALL_SCHEDULE,
    variant_prefix=fo.PREFIX,
    variant_search=fo.is_roster_search,
)

SLOT = ResourceType(
    profiles=(f"{fs.FR_CORE}fr-core-slot",),
    name="Slot",
    queryset=fs.slots_for,
    to_fhir=fs.slot,
    order=("start", "id"),
    doc="Créneaux que l'appelant peut réserver (libres ou non) ; profil FR Core Slot. Avec "
    "service-category=on-call ou schedule=Schedule/garde-N, les gardes d'un tableau de garde.",
    search=fs.SLOT_SEARCH,
    sorts={"start": ("start",)},
    includes={"Slot:schedule": ("Schedule", lambda s: [s.schedule_id])},
    variant=ONCALL_SLOT,
    variant_prefix=fo.PREFIX,
    variant_search=fo.is_shift_search,
)

APPOINTMENT = ResourceType(
    profiles=(f"{fs.FR_CORE}fr-core-appointment",),
    name="Appointment",
    queryset=fs.appointments_for,
    to_fhir=fs.appointment,
    patient_data=True,
    order=("start", "id"),
    patient_id=lambda a: a.patient_id,
    interactions=("read", "search-type", "create", "update", "patch"),
    doc="Rendez-vous : réserver = POST sur un Slot libre ; annuler = statut « cancelled » "
    "(PUT ou PATCH) ; l'équipe indique « fulfilled » ou « noshow ».",
    search={
        **fs.APPOINTMENT_SEARCH,
        "patient.identifier": chained_patient_identifier("patient"),
    },
    sorts={"date": ("start",)},
    includes={
        "Appointment:patient": ("Patient", lambda a: [a.patient_id]),
        "Appointment:slot": ("Slot", lambda a: [a.slot_id]),
        "Appointment:based-on": ("ServiceRequest", lambda a: [a.referral_id]),
    },
)

# --- lab results (fhir/labs.py) ------------------------------------------------------------

DIAGNOSTIC_REPORT = ResourceType(
    name="DiagnosticReport",
    queryset=fl.reports_for,
    to_fhir=fl.diagnostic_report,
    patient_data=True,
    order=("-created_at", "-id"),
    patient_id=lambda r: r.patient_id,
    doc="Comptes rendus de biologie reçus en fichiers (HPRIM, HL7 v2).",
    search=fl.REPORT_SEARCH,
)

OBSERVATION = ResourceType(
    name="Observation",
    queryset=fl.results_for,
    to_fhir=fl.observation,
    patient_data=True,
    order=("report_id", "position", "id"),
    patient_id=lambda r: r.report.patient_id,
    doc="Résultats de biologie : valeur, unité, valeurs de référence, indicateur d'anomalie.",
    search=fl.OBSERVATION_SEARCH,
)

# --- hospital record summaries (fhir/record.py): what a transaction stored, read back ------


def _record_type(name: str, doc: str) -> ResourceType:
    return ResourceType(
        name=name,
        queryset=fsi.items_for(name),
        to_fhir=fsi.record_resource,
        patient_data=True,
        order=("-date", "-id"),
        patient_id=lambda i: i.patient_id,
        doc=doc,
        search=fsi.record_search(),
        sorts={"date": ("date",)},
        includes={f"{name}:patient": ("Patient", lambda i: [i.patient_id])},
    )


RECORD_ENCOUNTER = _record_type(
    "Encounter", "Séjours reçus dans une synthèse de dossier hospitalier (ids sejour-N)."
)
CONDITION = _record_type(
    "Condition", "Problèmes reçus dans une synthèse de dossier hospitalier (transaction)."
)
ALLERGY_INTOLERANCE = _record_type(
    "AllergyIntolerance", "Allergies reçues dans une synthèse de dossier hospitalier."
)
MEDICATION_STATEMENT = _record_type(
    "MedicationStatement", "Traitements reçus dans une synthèse de dossier hospitalier."
)
RECORD_DOCUMENT = _record_type(
    "DocumentReference", "Documents reçus dans une synthèse de dossier (ids rec-N)."
)

# --- discharge letters (fhir/messaging.py) ------------------------------------------------

DOCUMENT_REFERENCE = ResourceType(
    name="DocumentReference",
    queryset=fm.letters_for,
    to_fhir=fm.document_reference,
    patient_data=True,
    order=("-sent_at", "-id"),
    patient_id=lambda d: d.patient_id,
    doc="Lettres de liaison de sortie envoyées (texte et PDF en ligne) ; type LOINC 11490-0 ; "
    "les documents d'une synthèse de dossier (ids rec-N) en lecture.",
    search=fm.LETTER_SEARCH,
    # The documents of a hospital record summary are read by their rec-N ids (transaction
    # locations); searching DocumentReference lists the letters.
    variant=RECORD_DOCUMENT,
    variant_prefix=fsi.DOCUMENT_PREFIX,
    variant_search=lambda query: False,
)

# --- care networks' shared record (fhir/records.py) ----------------------------------------

QUESTIONNAIRE = ResourceType(
    name="Questionnaire",
    queryset=fr.questionnaires_for,
    to_fhir=fr.questionnaire_resource,
    order=("form_id", "-number"),
    interactions=("read", "search-type", "create"),
    doc="Formulaires des réseaux de santé : une ressource par version publiée (url|version) ; "
    "création par la coordination du réseau (publiée si status = active).",
    search=fr.QUESTIONNAIRE_SEARCH,
)

QUESTIONNAIRE_RESPONSE = ResourceType(
    name="QuestionnaireResponse",
    queryset=fr.responses_for,
    to_fhir=fr.response_resource,
    patient_data=True,
    order=("-updated_at", "-id"),
    patient_id=lambda r: r.record.patient_id,
    interactions=("read", "search-type", "create"),
    doc="Formulaires remplis du dossier partagé d'un réseau, réduits aux sections que le profil "
    "de l'appelant peut lire ; création validée par les règles du formulaire.",
    search=fr.RESPONSE_SEARCH,
)

CARE_TEAM = ResourceType(
    name="CareTeam",
    queryset=fr.records_for,
    to_fhir=fr.care_team,
    patient_data=True,
    order=("id",),
    patient_id=lambda r: r.patient_id,
    doc="Cercle de soins d'un patient dans un réseau de santé (id = celui du dossier).",
    search=dict(fr.RECORD_SEARCH),
)

NETWORK_EPISODE_OF_CARE = ResourceType(
    name="EpisodeOfCare",
    queryset=fr.records_for,
    to_fhir=fr.episode_of_care,
    patient_data=True,
    order=("id",),
    patient_id=lambda r: r.patient_id,
    doc="Inscription d'un patient dans un réseau de santé (ids reseau-N, type=reseau) : "
    "planned (demande d'admission), waitlist (évaluations, réunion de coordination), active "
    "(suivi), finished (sortie).",
    search=fr.EPISODE_SEARCH,
)

# --- Service Médical de Proximité (fhir/proximity.py) -------------------------------------

EPISODE_OF_CARE = ResourceType(
    name="EpisodeOfCare",
    queryset=fp.episodes_for,
    to_fhir=fp.episode_of_care,
    patient_data=True,
    order=("-registered_at", "-id"),
    patient_id=lambda e: e.patient_id,
    doc="Inscriptions au Service Médical de Proximité : liste d'attente, suivi, relais. Avec "
    "type=reseau, les inscriptions dans un réseau de santé (ids reseau-N).",
    search=fp.EPISODE_SEARCH,
    variant=NETWORK_EPISODE_OF_CARE,
    variant_prefix=fr.EPISODE_PREFIX,
    variant_search=fr.is_network_episode_search,
)

ENCOUNTER = ResourceType(
    name="Encounter",
    queryset=fp.encounters_for,
    to_fhir=fp.encounter,
    patient_data=True,
    order=("-start", "-id"),
    patient_id=lambda c: c.patient_id,
    doc="Consultations du Service Médical de Proximité (médecin, superviseur d'un interne) ; "
    "les séjours reçus dans une synthèse de dossier hospitalier (ids sejour-N) en lecture.",
    search=fp.ENCOUNTER_SEARCH,
    # The stays of a hospital record summary are read by their sejour-N ids (transaction
    # locations); searching Encounter lists the consultations.
    variant=RECORD_ENCOUNTER,
    variant_prefix=fsi.STAY_PREFIX,
    variant_search=lambda query: False,
)

REGISTRY: dict[str, ResourceType] = {
    r.name: r
    for r in (
        ORGANIZATION,
        HEALTHCARE_SERVICE,
        PRACTITIONER,
        PRACTITIONER_ROLE,
        PATIENT,
        SERVICE_REQUEST,
        TASK,
        COMMUNICATION,
        SCHEDULE,
        SLOT,
        APPOINTMENT,
        DIAGNOSTIC_REPORT,
        OBSERVATION,
        DOCUMENT_REFERENCE,
        CONDITION,
        ALLERGY_INTOLERANCE,
        MEDICATION_STATEMENT,
        QUESTIONNAIRE,
        QUESTIONNAIRE_RESPONSE,
        CARE_TEAM,
        EPISODE_OF_CARE,
        ENCOUNTER,
    )
}
