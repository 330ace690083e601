"""Bearer tokens of the FHIR API: issue, revoke, authenticate.

The token is ``pct_`` + 43 URL-safe random characters (256 bits); only its SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from parcours.accounts.models import ApiToken
from parcours.lib.actions import action

TOKEN_PREFIX = "pct_"
# last_used_at is refreshed at most this often, so that a busy client does not turn every
# read into a write on the token row.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@action
def api_token_create(*, user, name: str = "", expires_days: int | None = None) -> IssuedToken:
    if expires_days is not None and expires_days <= 0:
        raise ValueError("expires_days must be positive")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=secret[:12],
        token_hash=hash_token(secret),
        expires_at=expires_at,
    )
    return IssuedToken(token=token, secret=secret)


@action
def api_token_revoke(*, user, token_id: int) -> ApiToken:
    """Revoke one of this user's tokens (idempotent). Raises ApiToken.DoesNotExist."""
    token = ApiToken.objects.select_for_update().get(pk=token_id, user=user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(secret: str):
    """The active user this token belongs to, or None (unknown, revoked, expired, inactive)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(token_hash=hash_token(secret)).first()
    now = timezone.now()
    if token is None or not token.is_usable(now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
