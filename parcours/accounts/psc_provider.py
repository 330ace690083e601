"""A local OpenID provider shaped like Pro Santé Connect, for the tests and the demo.

Built on the ``oidc-provider-mock`` package (an Authlib-based provider: authorisation code
flow, PKCE, nonce, signed ID tokens, JWKS, end-session), with what PSC does differently:

- the discovery document is also served at PSC's non-standard path,
  ``/.well-known/wallet-openid-configuration``;
- the userinfo answers as JSON, as a JWT signed with the provider's key (``application/jwt``)
  or as a JWE encrypted to the client's public key, per ``userinfo_format``;
- its users carry PSC's claims (``SubjectNameID``, ``SubjectRefPro``, ``acr``): see
  ``psc_user``.

Never used in production: ``parcours demo`` starts it on the loopback address; tests run it
in a thread. Its authorisation page is the package's own (English) form, where one clicks a
predefined professional or types a ``sub``.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import flask
import oidc_provider_mock
import werkzeug.serving
from authlib.integrations.flask_oauth2 import current_token
from joserfc import jwe, jwt
from joserfc.jwk import RSAKey, import_key
from oidc_provider_mock._app import require_oauth

# Authlib (the provider's server side, and our client side) refuses plain HTTP unless the
# process sets AUTHLIB_INSECURE_TRANSPORT=1: the tests set it for their duration, the demo's
# provider command and web process for theirs. Never set it in production.


def psc_user(
    *,
    rpps: str,
    given_name: str,
    family_name: str,
    practices: Sequence[dict[str, str]] = (),
    acr: str | None = "eidas1",
    sub: str | None = None,
) -> oidc_provider_mock.User:
    """A professional as PSC describes them: ``SubjectNameID`` « 8 » + RPPS, ``SubjectRefPro``
    with one « exercice » holding ``practices`` (each a dict of PSC activity fields, e.g.
    ``raisonSocialeSite``, ``libelleCommune``, ``numeroFinessSite``), ``acr`` (None: absent).
    Claim names and shape: ANS, Pro Santé Connect userinfo (scope_all)."""
    national_id = f"8{rpps}"
    claims: dict[str, Any] = {
        "SubjectNameID": national_id,
        "preferred_username": national_id,
        "given_name": given_name,
        "family_name": family_name,
        "SubjectRefPro": {
            "codeCivilite": "",
            "exercices": [
                {
                    "codeProfession": "10",
                    "codeCategorieProfessionnelle": "C",
                    "nomDexercice": family_name,
                    "prenomDexercice": given_name,
                    "activities": [dict(p) for p in practices],
                }
            ],
        },
        "otherIds": [{"identifiant": national_id, "origine": "RPPS", "qualite": 1}],
    }
    if acr is not None:
        claims["acr"] = acr
    return oidc_provider_mock.User(sub=sub or f"f:{national_id}", claims=claims)


def make_app(
    *,
    users: Sequence[oidc_provider_mock.User] = (),
    token_max_age: timedelta = timedelta(hours=1),
    userinfo_format: str = "json",
    client_public_key: dict[str, Any] | None = None,
) -> flask.Flask:
    """The provider as a WSGI app. ``userinfo_format``: "json", "jwt" or "jwe" (then
    ``client_public_key``, an RSA public JWK, is what the userinfo is encrypted to); both can
    be changed later in ``app.config["PSC_USERINFO_FORMAT"]`` / ``["PSC_CLIENT_KEY"]``.
    ``token_max_age`` negative issues tokens that are already expired."""
    app = oidc_provider_mock.app(
        require_nonce=True, access_token_max_age=token_max_age, user_claims=users
    )
    # The package turns Werkzeug's interactive debugger on: not on a demo machine.
    app.debug = False
    app.wsgi_app = getattr(app.wsgi_app, "app", app.wsgi_app)
    app.config["PSC_USERINFO_FORMAT"] = userinfo_format
    app.config["PSC_CLIENT_KEY"] = client_public_key

    def wallet_configuration():
        # The package's own document, as served to this request's host.
        standard = app.test_client().get(
            "/.well-known/openid-configuration", base_url=flask.request.host_url
        )
        document = standard.get_json()
        document["acr_values_supported"] = ["eidas1"]
        document["userinfo_signing_alg_values_supported"] = ["RS256"]
        document["userinfo_encryption_alg_values_supported"] = ["RSA-OAEP-256"]
        document["code_challenge_methods_supported"] = ["S256"]
        return flask.jsonify(document)

    app.add_url_rule("/.well-known/wallet-openid-configuration", "wallet", wallet_configuration)

    @require_oauth()
    def userinfo():
        token = current_token
        # PSC's scope_all gives every claim (the package would filter the standard ones by
        # OpenID scope, and does not know scope_all).
        user = token.get_user()
        claims = {**user.claims, "sub": user.sub}
        kind = app.config["PSC_USERINFO_FORMAT"]
        if kind == "json":
            return flask.jsonify(claims)
        storage = flask.g.oidc_provider_mock_storage
        signing = import_key(storage.jwk.as_dict(is_private=True))
        payload = dict(claims, iss=flask.request.host_url.rstrip("/"))
        body = jwt.encode({"alg": "RS256"}, payload, signing)
        if kind == "jwe":
            recipient = RSAKey.import_key(app.config["PSC_CLIENT_KEY"])
            body = jwe.encrypt_compact(
                {"alg": "RSA-OAEP-256", "enc": "A256GCM", "cty": "JWT"},
                body,
                recipient,
                registry=jwe.JWERegistry(algorithms=["RSA-OAEP-256", "A256GCM"]),
            )
        return flask.Response(body, content_type="application/jwt")

    app.view_functions["oidc-provider-mock.userinfo"] = userinfo
    return app


def client_key_pair() -> tuple[dict[str, Any], str]:
    """A new RSA key pair for JWE userinfo: (public JWK dict, private JWK as JSON, the form of
    the PSC_USERINFO_DECRYPTION_KEY setting)."""
    key = RSAKey.generate_key(2048, private=True)
    return key.as_dict(private=False), json.dumps(key.as_dict(private=True))


@contextmanager
def running(app: flask.Flask, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` in a thread; yields its issuer URL (``http://host:port``); stops it at the
    end of the block."""
    server = werkzeug.serving.make_server(host, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,))
    thread.daemon = True
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(2)


def demo_client() -> tuple[str, str]:
    """A client id and secret for the demo (the mock accepts any)."""
    return "parcours-demo", secrets.token_urlsafe(16)
