"""Pro Santé Connect (PSC): the national OpenID Connect provider for health professionals.

The client side of the authorisation code flow, through Authlib's Django client (a maintained
OIDC client: state, nonce, PKCE S256, ID token signature and claims):

- ``authorize_redirect`` sends the browser to PSC with ``scope=openid scope_all``,
  ``acr_values=eidas1`` and a PKCE challenge; Authlib keeps state, nonce and verifier in the
  session;
- ``complete_login`` exchanges the code, validates the ID token (signature against the
  provider's JWKS, ``iss``, ``aud``, ``exp`` with ``PSC_LEEWAY_SECONDS``, ``nonce``), refuses a
  missing or too low ``acr``, then reads the userinfo, which PSC may serve as JSON, as a signed
  JWT (``application/jwt``) or as an encrypted JWE (five parts, decrypted with our private key
  ``PSC_USERINFO_DECRYPTION_KEY``, then verified if it wraps a JWS).

Sources: ANS, « Pro Santé Connect — Guide d'intégration » (discovery at
``{issuer}/.well-known/wallet-openid-configuration``, scope ``scope_all``, ``acr_values=eidas1``,
claims ``SubjectNameID`` and ``SubjectRefPro``); OpenID Connect Core 1.0 §3.1.3.7 (ID token
validation) and §5.3.2 (userinfo as JSON or JWT); RFC 7636 (PKCE).

Nothing here writes to the database: ``services.psc_login`` does.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from joserfc import jwe, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, import_key

# eIDAS levels of assurance, lowest first (Regulation (EU) 910/2014, art. 8). PSC answers
# ``eidas1`` for a CPS card or the e-CPS app; a higher level is accepted, anything else is not.
ACR_LEVELS = ("eidas1", "eidas2", "eidas3")
# Key management and content encryption PSC may use for an encrypted userinfo (RFC 7518 §4.3,
# §5.3); joserfc allows only its "recommended" ones unless told.
_JWE_REGISTRY = jwe.JWERegistry(
    algorithms=[
        "RSA-OAEP",
        "RSA-OAEP-256",
        "A128GCM",
        "A192GCM",
        "A256GCM",
        "A128CBC-HS256",
        "A256CBC-HS512",
    ]
)


class PscError(Exception):
    """A PSC login that must not go on; ``message`` is French, for the person at the screen."""

    def __init__(self, message: str, *, reason: str):
        super().__init__(message)
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class Practice:
    """One practice (« activité ») of the professional, from ``SubjectRefPro``.

    ``key`` identifies it within the login (index ``exercice/activité``); ``label`` is what the
    person chooses from; ``structure_id`` is the national technical identifier of the site
    (``identifiantTechniqueDeLaStructure``), ``finess`` and ``siret`` may be empty."""

    key: str
    label: str
    structure_id: str = ""
    finess: str = ""
    siret: str = ""
    profession: str = ""

    def as_session(self) -> dict[str, str]:
        return {
            "key": self.key,
            "label": self.label,
            "structure_id": self.structure_id,
            "finess": self.finess,
            "siret": self.siret,
            "profession": self.profession,
        }


@dataclass(frozen=True)
class PscIdentityClaims:
    """What a validated PSC login tells about the person.

    ``subject_name_id``: the national identifier (``SubjectNameID``, « 8 » + RPPS, or « 0 » +
    ADELI); ``rpps``: the RPPS when the identifier is RPPS-based, else empty; ``acr``: the level
    reached; ``practices``: one per ``SubjectRefPro.exercices[].activities[]``."""

    subject_name_id: str
    rpps: str
    given_name: str
    family_name: str
    acr: str
    sub: str
    practices: tuple[Practice, ...] = field(default_factory=tuple)


def enabled() -> bool:
    """True when PSC is configured (issuer and client id set)."""
    return bool(settings.PSC_ISSUER and settings.PSC_CLIENT_ID)


_metadata_cache: dict[str, tuple[float, dict[str, Any]]] = {}


def _client():
    """A fresh Authlib client for the configured provider (settings may change in tests); the
    discovery document is cached one hour per address."""
    oauth = OAuth()
    url = settings.PSC_DISCOVERY_URL
    client = oauth.register(
        name="psc",
        client_id=settings.PSC_CLIENT_ID,
        client_secret=settings.PSC_CLIENT_SECRET,
        server_metadata_url=url,
        client_kwargs={
            "scope": settings.PSC_SCOPE,
            "code_challenge_method": "S256",
            "timeout": settings.PSC_TIMEOUT_SECONDS,
        },
    )
    cached = _metadata_cache.get(url)
    if cached and cached[0] > time.monotonic():
        client.server_metadata = dict(cached[1])
    else:
        try:
            metadata = client.load_server_metadata()
        except Exception as exc:  # noqa: BLE001 — network, JSON: all mean "PSC unreachable"
            raise PscError(
                _("Pro Santé Connect ne répond pas. Réessayez dans quelques minutes."),
                reason="discovery",
            ) from exc
        _metadata_cache[url] = (time.monotonic() + 3600, dict(metadata))
    return client


def authorize_redirect(request: HttpRequest, redirect_uri: str) -> HttpResponse:
    """A redirect to PSC's authorisation endpoint (code flow, state, nonce, PKCE S256,
    ``acr_values``); Authlib keeps state, nonce and code verifier in ``request.session``.

    Raises PscError when the discovery document cannot be read."""
    client = _client()
    return client.authorize_redirect(
        request, redirect_uri, acr_values=settings.PSC_ACR_VALUES, ui_locales="fr"
    )


def check_acr(acr: Any) -> str:
    """``acr`` if it is at least the level asked for (``PSC_ACR_VALUES``), else PscError.

    A missing ``acr`` is refused too: PSC always states the level it reached."""
    wanted = settings.PSC_ACR_VALUES
    if not isinstance(acr, str) or acr not in ACR_LEVELS:
        raise PscError(
            _(
                "Pro Santé Connect n'a pas confirmé une authentification forte "
                "(carte CPS ou e-CPS). Connexion refusée."
            ),
            reason="acr",
        )
    if wanted in ACR_LEVELS and ACR_LEVELS.index(acr) < ACR_LEVELS.index(wanted):
        raise PscError(
            _("Le niveau d'authentification de Pro Santé Connect est insuffisant."),
            reason="acr",
        )
    return acr


def _decode_userinfo(client, response) -> dict[str, Any]:
    """The userinfo claims from PSC's response: JSON, a JWS (signed by the provider) or a JWE
    (encrypted to us, possibly wrapping a JWS). Raises PscError if it cannot be trusted."""
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    body = response.text.strip()
    if content_type == "application/json":
        claims = response.json()
        if not isinstance(claims, dict):
            raise PscError(_("Réponse de Pro Santé Connect illisible."), reason="userinfo")
        return claims
    parts = body.split(".")
    if len(parts) == 5:
        if not settings.PSC_USERINFO_DECRYPTION_KEY:
            raise PscError(
                _("Réponse chiffrée de Pro Santé Connect : aucune clé de déchiffrement."),
                reason="userinfo",
            )
        key = import_key(json.loads(settings.PSC_USERINFO_DECRYPTION_KEY))
        try:
            plaintext = jwe.decrypt_compact(body, key, registry=_JWE_REGISTRY).plaintext or b""
        except (JoseError, ValueError) as exc:
            raise PscError(
                _("Réponse chiffrée de Pro Santé Connect indéchiffrable."), reason="userinfo"
            ) from exc
        body = plaintext.decode()
        if body.lstrip().startswith("{"):
            return json.loads(body)
        parts = body.split(".")
    if len(parts) != 3:
        raise PscError(_("Réponse de Pro Santé Connect illisible."), reason="userinfo")
    keys = KeySet.import_key_set(client.fetch_jwk_set())
    try:
        token = jwt.decode(body, keys)
    except (JoseError, ValueError) as exc:
        raise PscError(
            _("Signature de la réponse de Pro Santé Connect invalide."), reason="userinfo"
        ) from exc
    claims = dict(token.claims)
    # OpenID Connect Core §5.3.2: a signed userinfo names its issuer and audience.
    issuer = client.server_metadata.get("issuer")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience] if audience else []
    if (claims.get("iss") and issuer and claims["iss"] != issuer) or (
        audiences and settings.PSC_CLIENT_ID not in audiences
    ):
        raise PscError(_("Réponse de Pro Santé Connect incohérente."), reason="userinfo")
    return claims


def rpps_from_national_id(national_id: str) -> str:
    """The RPPS in a national identifier « 8 » + 11 digits, else "" (ADELI-based « 0 » + 9).

    Source: ANS, CI-SIS « Identification des acteurs de santé », identifiant national de
    personne physique (idNat_PS)."""
    if len(national_id) == 12 and national_id.startswith("8") and national_id.isdigit():
        return national_id[1:]
    return ""


def practices_from(ref_pro: Any) -> tuple[Practice, ...]:
    """One Practice per ``SubjectRefPro.exercices[].activities[]`` (missing fields: empty)."""
    practices: list[Practice] = []
    if not isinstance(ref_pro, dict):
        return ()
    for i, exercice in enumerate(ref_pro.get("exercices") or []):
        if not isinstance(exercice, dict):
            continue
        profession = str(exercice.get("codeProfession") or "")
        for j, activity in enumerate(exercice.get("activities") or []):
            if not isinstance(activity, dict):
                continue
            name = (
                activity.get("raisonSocialeSite")
                or activity.get("enseigneCommercialeSite")
                or _("Activité %(n)s") % {"n": len(practices) + 1}
            )
            town = activity.get("libelleCommune") or ""
            label = f"{name} — {town}" if town else str(name)
            practices.append(
                Practice(
                    key=f"{i}/{j}",
                    label=label,
                    structure_id=str(activity.get("identifiantTechniqueDeLaStructure") or ""),
                    finess=str(activity.get("numeroFinessSite") or ""),
                    siret=str(activity.get("numeroSiretSite") or ""),
                    profession=profession,
                )
            )
    return tuple(practices)


def identity_from(id_token: dict[str, Any], userinfo: dict[str, Any]) -> PscIdentityClaims:
    """The PSC identity from a validated ID token and userinfo. The userinfo's ``sub`` must be
    the ID token's (OpenID Connect Core §5.3.2). Raises PscError without ``SubjectNameID``."""
    if userinfo.get("sub") and id_token.get("sub") and userinfo["sub"] != id_token["sub"]:
        raise PscError(_("Réponse de Pro Santé Connect incohérente."), reason="userinfo")
    national_id = str(userinfo.get("SubjectNameID") or id_token.get("SubjectNameID") or "")
    if not national_id:
        raise PscError(
            _("Pro Santé Connect n'a pas transmis votre identifiant national."),
            reason="identity",
        )
    return PscIdentityClaims(
        subject_name_id=national_id,
        rpps=rpps_from_national_id(national_id),
        given_name=str(userinfo.get("given_name") or ""),
        family_name=str(userinfo.get("family_name") or ""),
        acr=str(id_token.get("acr") or ""),
        sub=str(id_token.get("sub") or ""),
        practices=practices_from(userinfo.get("SubjectRefPro")),
    )


def complete_login(request: HttpRequest) -> tuple[PscIdentityClaims, str]:
    """Finish the code flow on PSC's redirect back to us.

    Returns the identity and the raw ID token (kept for an explicit PSC logout). Raises
    PscError (French message) for an error returned by PSC, a state or nonce that does not
    match, an expired or badly signed ID token, a missing or low ``acr``, an unreadable
    userinfo."""
    client = _client()
    try:
        token = client.authorize_access_token(request, leeway=settings.PSC_LEEWAY_SECONDS)
    except OAuthError as exc:
        if exc.error == "access_denied":
            raise PscError(_("Connexion annulée sur Pro Santé Connect."), reason="denied") from exc
        raise PscError(
            _("La connexion Pro Santé Connect a échoué ou a expiré. Recommencez."),
            reason=exc.error or "oauth",
        ) from exc
    except (JoseError, ValueError, KeyError) as exc:
        raise PscError(
            _("Le jeton de Pro Santé Connect est invalide ou expiré. Recommencez."),
            reason="id_token",
        ) from exc
    except Exception as exc:  # noqa: BLE001 — network errors of the token exchange
        raise PscError(
            _("Pro Santé Connect ne répond pas. Réessayez dans quelques minutes."),
            reason="network",
        ) from exc
    id_claims = token.get("userinfo")
    if not id_claims:
        raise PscError(
            _("Pro Santé Connect n'a pas fourni de jeton d'identité."), reason="id_token"
        )
    check_acr(id_claims.get("acr"))
    try:
        response = client.get(client.load_server_metadata()["userinfo_endpoint"], token=token)
    except Exception as exc:  # noqa: BLE001 — network errors
        raise PscError(
            _("Pro Santé Connect ne répond pas. Réessayez dans quelques minutes."),
            reason="network",
        ) from exc
    if response.status_code != 200:
        raise PscError(
            _("Pro Santé Connect a refusé de transmettre votre profil."), reason="userinfo"
        )
    userinfo = _decode_userinfo(client, response)
    return identity_from(dict(id_claims), userinfo), str(token.get("id_token") or "")


def end_session_url(id_token: str, post_logout_redirect_uri: str) -> str | None:
    """PSC's end-session address for an explicit logout (OpenID Connect RP-Initiated Logout
    1.0), or None when the provider has none or cannot be reached."""
    try:
        client = _client()
    except PscError:
        return None
    endpoint = client.server_metadata.get("end_session_endpoint")
    if not endpoint:
        return None
    result = client.create_logout_url(
        post_logout_redirect_uri=post_logout_redirect_uri, id_token_hint=id_token or None
    )
    return result["url"]
