"""External recipients: which addresses count as secure health messaging (MSSanté).

The accepted domains come from ``settings.MSSANTE_DOMAINS``: ``medecin.mssante.fr`` accepts
that domain only, ``*.mssante.fr`` any of its sub-domains (``medecin.mssante.fr``,
``ch-laval.mssante.fr``) but not ``mssante.fr`` itself nor ``mssante.fr.example.com``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.utils.translation import gettext as _

from parcours.directory.models import Practitioner
from parcours.lib.errors import ServiceError


def secure_domains() -> list[str]:
    """The accepted domain patterns, lower case (``settings.MSSANTE_DOMAINS``)."""
    return [d.strip().lower() for d in settings.MSSANTE_DOMAINS if d.strip()]


def domain_is_secure(domain: str) -> bool:
    """Whether ``domain`` (any case) is one of the accepted secure-messaging domains."""
    domain = domain.strip().lower().rstrip(".")
    for pattern in secure_domains():
        if pattern.startswith("*."):
            if domain.endswith(pattern[1:]) and len(domain) > len(pattern) - 1:
                return True
        elif domain == pattern:
            return True
    return False


def is_secure_address(address: str) -> bool:
    """Whether ``address`` is a well-formed e-mail address on a secure-messaging domain."""
    try:
        validate_email(address)
    except ValidationError:
        return False
    return domain_is_secure(address.rsplit("@", 1)[1])


def domains_label() -> str:
    """The accepted domains for a French message: « @….mssante.fr »."""
    return ", ".join(f"@…{p[1:]}" if p.startswith("*.") else f"@{p}" for p in secure_domains())


def check_external(address: str) -> str:
    """``address`` lower-cased and stripped if it is a secure-messaging address.

    Raises ServiceError (a ValidationError; code "address" or "not_mssante") with a French
    message saying why not (malformed, or outside the secure domains — then with the
    directory's MSSanté address for the same person when the directory knows one)."""
    address = address.strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise ServiceError(
            _("L'adresse « %(a)s » n'est pas valide.") % {"a": address}, code="address"
        ) from None
    if domain_is_secure(address.rsplit("@", 1)[1]):
        return address
    message = _(
        "« %(a)s » n'est pas une adresse de messagerie sécurisée de santé (MSSanté) : "
        "les données de santé ne partent que vers %(d)s."
    ) % {"a": address, "d": domains_label() or _("aucun domaine (aucun n'est configuré)")}
    # Only on a refusal (rare): the directory's plain e-mail columns have no index.
    known = (
        Practitioner.objects.filter(active=True)
        .exclude(mssante="")
        .filter(Q(email__iexact=address) | Q(imported_email__iexact=address))
        .values_list("mssante", flat=True)
        .first()
    )
    if known and is_secure_address(known):
        message += " " + _(
            "L'annuaire connaît l'adresse sécurisée de ce professionnel : %(m)s."
        ) % {"m": known}
    raise ServiceError(message, code="not_mssante")
