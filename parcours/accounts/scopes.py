"""What a user's memberships give them access to, as id sets (cached on the user object)."""

from .models import Role


def _memberships(user):
    cached = getattr(user, "_memberships_cache", None)
    if cached is None:
        cached = list(user.memberships.values("role", "organisation_id", "service_id"))
        user._memberships_cache = cached
    return cached


def prime_memberships(user, rows: list[dict]) -> None:
    """Give ``user`` its memberships read by the caller in the same query as the user (dicts
    with role, organisation_id, service_id — what ``membership_rows`` returns), so that the
    scope checks of this request run no query of their own (the FHIR token lookup,
    fhir/tokens.py: one statement instead of two per API call, issue 16)."""
    user._memberships_cache = rows


def desk_hospital_ids(user) -> set[int]:
    """Hospitals whose pathway desk this user sits on."""
    if not user.is_authenticated:
        return set()
    return {m["organisation_id"] for m in _memberships(user) if m["role"] == Role.PATHWAY_DESK}


def doctor_service_ids(user) -> set[int]:
    """Hospital services this user is a doctor of."""
    if not user.is_authenticated:
        return set()
    return {
        m["service_id"]
        for m in _memberships(user)
        if m["role"] == Role.HOSPITAL_DOCTOR and m["service_id"]
    }


def gp_organisation_ids(user) -> set[int]:
    if not user.is_authenticated:
        return set()
    return {m["organisation_id"] for m in _memberships(user) if m["role"] == Role.GP}


def is_gp(user) -> bool:
    return bool(gp_organisation_ids(user))


# Roles that take part in care (receive health data about a patient). The identitovigilance
# cell and the territory administration do not (least privilege, issue 13).
# The doctors of a Service Médical de Proximité take part in care; its assistants do not.
CLINICAL_ROLES = frozenset(
    {
        Role.GP,
        Role.HOSPITAL_DOCTOR,
        Role.PATHWAY_DESK,
        Role.IMAGING,
        Role.NETWORK_COORDINATOR,
        Role.PROXIMITY_COORDINATOR,
        Role.RETIRED_GP,
        Role.INTERN,
    }
)


def has_clinical_role(user) -> bool:
    """Whether this user has at least one role that takes part in care (CLINICAL_ROLES)."""
    return user.is_authenticated and any(m["role"] in CLINICAL_ROLES for m in _memberships(user))


def is_identity_cell(user) -> bool:
    """The regional identitovigilance cell (every identity, for review only)."""
    return user.is_authenticated and any(
        m["role"] == Role.IDENTITY_CELL for m in _memberships(user)
    )


def is_territory_admin(user) -> bool:
    return user.is_authenticated and (
        user.is_superuser or any(m["role"] == Role.TERRITORY_ADMIN for m in _memberships(user))
    )


def membership_rows(user) -> list[dict]:
    """The user's memberships as dicts (role, organisation_id, service_id), cached."""
    if not user.is_authenticated:
        return []
    return _memberships(user)
