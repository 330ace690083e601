"""OAuth 2 client credentials for systems (RFC 6749 §4.4): a GP's practice software or a
hospital system obtains a FHIR API bearer token without a person, besides ``parcours token``.

``POST /fhir/oauth2/token`` with ``grant_type=client_credentials``, the client authenticated by
HTTP Basic (``client_secret_basic``, RFC 6749 §2.3.1) or in the body (``client_secret_post``).
The answer (RFC 6749 §5.1) is a bearer token of the usual form (``pct_…``, an ``ApiToken`` of
the client's account, so the API's access rules are those of that account) expiring after
``OAUTH_TOKEN_SECONDS``; errors follow §5.2 (``invalid_client`` 401, ``unsupported_grant_type``
400, …). The protocol is Authlib's authorisation server; we give it the client lookup and the
token storage. Scopes are not supported yet: a requested ``scope`` is refused (``invalid_scope``).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from authlib.integrations.django_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    ClientMixin,
    InsecureTransportError,
    InvalidScopeError,
    grants,
)
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from parcours.accounts.models import ApiToken, OAuthClient
from parcours.lib.actions import action

from .tokens import TOKEN_PREFIX, hash_token


class _Client(ClientMixin):
    """An OAuthClient row as Authlib sees it: confidential, client credentials only."""

    def __init__(self, row: OAuthClient):
        self.row = row

    def get_client_id(self):
        return self.row.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        return ""

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, client_secret):
        return hmac.compare_digest(self.row.secret_hash, hash_token(client_secret or ""))

    def check_endpoint_auth_method(self, method, endpoint):
        return endpoint == "token" and method in {"client_secret_basic", "client_secret_post"}

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return grant_type == "client_credentials"


class _ClientCredentials(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


@action
def oauth_token_store(*, client: OAuthClient, secret: str, expires_in: int) -> ApiToken:
    """Store the bearer token ``secret`` issued to ``client`` (its SHA-256 only), valid
    ``expires_in`` seconds from now, for the client's account. Returns the ApiToken."""
    return ApiToken.objects.create(
        user=client.user,
        name=f"OAuth : {client.name}"[:100],
        prefix=secret[:12],
        token_hash=hash_token(secret),
        expires_at=timezone.now() + timedelta(seconds=expires_in),
    )


class _Server(AuthorizationServer):
    def __init__(self):
        super().__init__(OAuthClient, ApiToken)
        self.register_grant(_ClientCredentials)

    def load_config(self, config):
        super().load_config(
            {
                "access_token_generator": lambda *a, **k: TOKEN_PREFIX + secrets.token_urlsafe(32),
                "token_expires_in": {"client_credentials": settings.OAUTH_TOKEN_SECONDS},
            }
        )

    def query_client(self, client_id):
        row = (
            OAuthClient.objects.select_related("user")
            .filter(client_id=client_id or "", active=True, user__is_active=True)
            .first()
        )
        return _Client(row) if row else None

    def save_token(self, token, request):
        return oauth_token_store(
            client=request.client.row,
            secret=token["access_token"],
            expires_in=int(token["expires_in"]),
        )

    def validate_requested_scope(self, scope):
        if scope:
            raise InvalidScopeError()


@csrf_exempt
@require_POST
def token_endpoint(request: HttpRequest) -> HttpResponse:
    """The token endpoint (RFC 6749 §3.2): see the module doc. Over plain HTTP (no TLS, or no
    ``SECURE_PROXY_SSL_HEADER`` behind the proxy) it answers 400 ``invalid_request``: client
    secrets and tokens never travel in clear (RFC 6749 §3.2)."""
    try:
        return _Server().create_token_response(request)
    except InsecureTransportError:
        return JsonResponse(
            {"error": "invalid_request", "error_description": "HTTPS obligatoire."}, status=400
        )
