"""Bearer tokens of the FHIR API: issue, revoke, authenticate.

The token is ``pct_`` + 43 URL-safe random characters (256 bits); only its SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import connections
from django.utils import timezone

from parcours.accounts.models import ApiToken, User
from parcours.accounts.scopes import prime_memberships
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
    """The active user this token belongs to, or None (unknown, revoked, expired, inactive).

    Takes the secret as sent (``pct_…``). One SQL statement: the token, its user and the
    user's memberships come from one LEFT JOIN (one row per membership, at least one row), and
    the memberships are handed to ``accounts.scopes`` so that the access checks of the request
    do not read them again (issue 16: two statements per API call before). Nothing is cached
    across requests: a revoked token, a deactivated user or a removed membership takes effect
    on the next call. ``last_used_at`` is written at most once a minute."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    rows = _token_rows(hash_token(secret))
    if not rows:
        return None
    first = rows[0]
    n_token, n_user = len(_TOKEN_FIELDS), len(_USER_FIELDS)
    token = ApiToken.from_db("default", _TOKEN_FIELDS, first[:n_token])
    user = User.from_db("default", _USER_FIELDS, first[n_token : n_token + n_user])
    token.user = user
    now = timezone.now()
    if not token.is_usable(now) or not user.is_active:
        return None
    prime_memberships(
        user,
        [
            {"role": role, "organisation_id": organisation_id, "service_id": service_id}
            for role, organisation_id, service_id in (row[n_token + n_user :] for row in rows)
            if role is not None
        ],
    )
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return user


def _token_query(token_hash: str):
    return ApiToken.objects.filter(token_hash=token_hash).values_list(
        *_TOKEN_COLUMNS, *_USER_COLUMNS, *_MEMBERSHIP_COLUMNS
    )


# The lookup's SQL, compiled once per process and database alias: its shape never changes and
# its only parameter is the hash (building and compiling it cost ~1.3 ms of the ~9 ms of CPU
# of a FHIR read, bench/api_floor.py). Django's converters of the columns are applied as
# ``values_list`` would (SQLite returns datetimes as text).
_COMPILED: dict[str, tuple[str, list]] = {}


def _token_rows(token_hash: str) -> list[tuple]:
    connection = connections[ApiToken.objects.db]
    compiled = _COMPILED.get(connection.alias)
    if compiled is None:
        compiler = _token_query("").query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        if list(params) != [""]:  # the hash must be the one and only parameter
            return list(_token_query(token_hash))
        converters = compiler.get_converters([col for col, _alias, _ in compiler.select])
        compiled = _COMPILED[connection.alias] = (sql, converters)
    sql, converters = compiled
    with connection.cursor() as cursor:
        cursor.execute(sql, [token_hash])
        rows = cursor.fetchall()
    if converters:
        rows = [tuple(row) for row in _apply_converters(rows, converters, connection)]
    return rows


def _apply_converters(rows, converters, connection):
    """Django's ``SQLCompiler.apply_converters`` on plain rows."""
    for row in rows:
        row = list(row)
        for pos, (convs, expression) in converters.items():
            value = row[pos]
            for converter in convs:
                value = converter(value, expression, connection)
            row[pos] = value
        yield row


_TOKEN_FIELDS = [f.attname for f in ApiToken._meta.concrete_fields]
_USER_FIELDS = [f.attname for f in User._meta.concrete_fields]
_TOKEN_COLUMNS = _TOKEN_FIELDS
_USER_COLUMNS = [f"user__{name}" for name in _USER_FIELDS]
_MEMBERSHIP_COLUMNS = [
    "user__memberships__role",
    "user__memberships__organisation_id",
    "user__memberships__service_id",
]
