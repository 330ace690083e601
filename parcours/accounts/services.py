"""Writes of the accounts app (each an ``@action``): PSC identities, second factors, the
administrator's bulk revocation of FHIR API tokens (issuing and revoking one's own token lives
with the API, ``parcours.fhir.tokens``)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from parcours.lib.actions import action
from parcours.lib.errors import Invalid

from .models import ApiToken, OAuthClient, PscIdentity, User
from .psc import PscIdentityClaims

RECOVERY_CODES = 10


@action
def psc_login(*, claims: PscIdentityClaims, now: datetime | None = None) -> PscIdentity:
    """Record a validated Pro Santé Connect login and find its account.

    Takes the identity from ``psc.complete_login``; returns the PscIdentity, whose ``user`` is
    the account to sign in, or None for a professional Parcours does not know (the row then
    waits for the territory administrator to link it). First login: the identity is linked to
    the one active account whose RPPS is the RPPS of ``SubjectNameID``; two accounts with that
    RPPS link neither (an identity is never guessed). A linked identity stays linked.
    """
    now = now or timezone.now()
    identity, created = PscIdentity.objects.select_for_update().get_or_create(
        subject_name_id=claims.subject_name_id,
        defaults={"first_seen_at": now, "last_login_at": now},
    )
    fields = ["last_login_at", "given_name", "family_name"]
    identity.last_login_at = now
    identity.given_name = claims.given_name[:100]
    identity.family_name = claims.family_name[:100]
    if identity.user_id is None and claims.rpps:
        matches = list(User.objects.filter(rpps=claims.rpps, is_active=True)[:2])
        if len(matches) == 1:
            identity.user = matches[0]
            identity.linked_at = now
            fields += ["user", "linked_at"]
    identity.save(update_fields=fields)
    return identity


@action
def psc_identity_link(*, identity: PscIdentity, user: User | None) -> PscIdentity:
    """Link a PSC identity to ``user`` (the territory administrator « invites » the
    professional), or unlink it with None. Returns the identity, saved; ``linked_at`` is now.
    Raises Invalid(field="user") for an inactive account."""
    if user is not None and not user.is_active:
        raise Invalid(_("Ce compte est désactivé."), field="user")
    locked = PscIdentity.objects.select_for_update().get(pk=identity.pk)
    locked.user = user
    locked.linked_at = timezone.now() if user is not None else None
    locked.save(update_fields=["user", "linked_at"])
    identity.user, identity.linked_at = locked.user, locked.linked_at
    return locked


@action
def oauth_client_create(*, name: str, user: User) -> tuple[OAuthClient, str]:
    """Register a system for OAuth 2 client credentials acting as ``user`` (fhir/oauth.py).

    Returns the client and its secret (40+ random characters), which is shown once: only its
    SHA-256 is stored. Raises Invalid(field="user") for an inactive account."""
    if not user.is_active:
        raise Invalid(_("Ce compte est désactivé."), field="user")
    secret = secrets.token_urlsafe(32)
    client = OAuthClient.objects.create(
        client_id="pcc_" + secrets.token_hex(12),
        secret_hash=hashlib.sha256(secret.encode()).hexdigest(),
        name=name[:100],
        user=user,
    )
    return client, secret


@action
def second_factor_enrol(*, user: User, key: str, token: str) -> list[str]:
    """Enrol a TOTP authenticator (RFC 6238: 30 s steps, 6 digits) for ``user``.

    ``key``: the secret shown to the person (hex, 20 bytes); ``token``: the code their app
    shows now, which proves the app holds the secret (one step of drift allowed). Replaces any
    earlier authenticator and recovery codes. Returns the new recovery codes (shown once).
    Raises Invalid(field="token") for a wrong code."""
    device = TOTPDevice(user=user, name="Application d'authentification", key=key, confirmed=True)
    if not _totp_matches(key, token):
        raise Invalid(_("Code incorrect : vérifiez l'heure de votre téléphone."), field="token")
    TOTPDevice.objects.select_for_update().filter(user=user).delete()
    device.save()
    return _new_recovery_codes(user)


@action
def recovery_codes_renew(*, user: User) -> list[str]:
    """Replace the user's recovery codes with ``RECOVERY_CODES`` new ones; returns them."""
    return _new_recovery_codes(user)


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.select_for_update().filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Codes de secours", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


@action
def second_factor_check(*, user: User, token: str):
    """The user's device that accepts ``token`` (an authenticator code or an unused recovery
    code, which is then used up), or None. django-otp throttles repeated failures per device
    (growing delays) and refuses a TOTP code already used."""
    devices = list(TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True))
    devices += list(StaticDevice.objects.select_for_update().filter(user=user, confirmed=True))
    token = token.strip().replace(" ", "")
    for device in devices:
        if device.verify_is_allowed()[0] and device.verify_token(token):
            return device
    return None


def _totp_matches(key: str, token: str) -> bool:
    token = token.strip().replace(" ", "")
    if not token.isdigit():
        return False
    totp = TOTP(bytes.fromhex(key), step=30, t0=0, digits=6)
    return totp.verify(int(token), tolerance=1)


@action
def api_tokens_revoke(*, token_ids: Iterable[int]) -> int:
    """Revoke the tokens of ``token_ids`` not revoked yet (revocation is final: ``revoked_at``
    is never edited back). Returns how many were revoked; one UPDATE."""
    return ApiToken.objects.filter(pk__in=list(token_ids), revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
