"""Pro Santé Connect login against a local PSC-shaped provider (parcours/accounts/psc_provider).

Each test starts the provider in a thread, then drives the authorisation code flow: our login
page sends to the provider, the provider's form is posted as the professional would, the
provider's redirect comes back to our callback, which exchanges the code over HTTP.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.urls import reverse

from parcours.accounts import psc, psc_provider
from parcours.accounts.models import AuthMethod, PscIdentity, User

CABINET = {
    "raisonSocialeSite": "Cabinet du Val",
    "libelleCommune": "Laval",
    "identifiantTechniqueDeLaStructure": "R10000000000001",
}
MSP = {
    "raisonSocialeSite": "MSP des Trois Rivières",
    "libelleCommune": "Mayenne",
    "numeroFinessSite": "530000001",
}


@pytest.fixture
def provider(settings, monkeypatch):
    """Start a provider; returns ``start(users=…, **make_app options)`` -> the app, and
    configures PSC_* settings to point at it (discovery at PSC's wallet path)."""
    stack = []
    # Plain HTTP on loopback, for this test only (Authlib refuses it otherwise).
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")

    def start(users, **options):
        app = psc_provider.make_app(users=users, **options)
        context = psc_provider.running(app)
        issuer = context.__enter__()
        stack.append(context)
        settings.PSC_ISSUER = issuer
        settings.PSC_DISCOVERY_URL = f"{issuer}/.well-known/wallet-openid-configuration"
        settings.PSC_CLIENT_ID = "parcours-test"
        settings.PSC_CLIENT_SECRET = "secret-test"
        psc._metadata_cache.clear()
        return app

    yield start
    for context in stack:
        context.__exit__(None, None, None)
    psc._metadata_cache.clear()


def _gp_user(territory, rpps="10000000001"):
    territory.gp.rpps = rpps
    territory.gp.save(update_fields=["rpps"])
    return territory.gp


def _authorize(client, sub: str, *, next_url: str = ""):
    """Our start page, then the provider's form posted for ``sub``: returns (the authorize
    request's query parameters, our callback path with code and state)."""
    start = client.get(reverse("accounts:psc_start") + (f"?next={next_url}" if next_url else ""))
    assert start.status_code == 302
    authorize_url = start["Location"]
    params = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    answer = httpx.post(authorize_url, data={"sub": sub})
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    return params, f"{back.path}?{back.query}"


def test_the_authorisation_request_asks_psc_for_code_flow_with_pkce_nonce_and_eidas1(
    territory, client, provider
):
    provider([])
    start = client.get(reverse("accounts:psc_start"))
    url = urlsplit(start["Location"])
    params = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert url.path == "/oauth2/authorize"
    assert params["response_type"] == "code"
    assert params["scope"] == "openid scope_all"
    assert params["acr_values"] == "eidas1"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) >= 43
    assert params["state"] and params["nonce"]
    assert params["redirect_uri"] == "http://testserver/connexion/psc/retour/"


def test_a_gp_signs_in_with_psc_linked_by_rpps_with_json_userinfo(territory, client, provider):
    gp = _gp_user(territory)
    provider(
        [
            psc_provider.psc_user(
                rpps=gp.rpps, given_name="Gé", family_name="Pé", practices=[CABINET]
            )
        ]
    )
    _, callback = _authorize(client, "f:810000000001", next_url="/patients/")
    response = client.get(callback)
    assert response.status_code == 302 and response["Location"] == "/patients/"
    session = client.session
    assert int(session["_auth_user_id"]) == gp.pk
    assert session["auth_method"] == AuthMethod.PSC
    assert session["psc_practice"]["label"] == "Cabinet du Val — Laval"
    assert session["psc_practice"]["structure_id"] == "R10000000000001"
    identity = PscIdentity.objects.get(subject_name_id="810000000001")
    assert identity.user == gp and identity.linked_at is not None
    page = client.get("/patients/")
    assert page.status_code == 200
    assert "Cabinet du Val — Laval" in page.content.decode()


def test_several_practices_are_chosen_before_any_page_signed_jwt_userinfo(
    territory, client, provider
):
    gp = _gp_user(territory)
    provider(
        [
            psc_provider.psc_user(
                rpps=gp.rpps, given_name="Gé", family_name="Pé", practices=[CABINET, MSP]
            )
        ],
        userinfo_format="jwt",
    )
    _, callback = _authorize(client, "f:810000000001")
    response = client.get(callback)
    assert response["Location"] == reverse("accounts:psc_practice")
    assert client.get("/patients/")["Location"] == reverse("accounts:psc_practice")
    page = client.get(reverse("accounts:psc_practice"))
    assert "MSP des Trois Rivières — Mayenne" in page.content.decode()
    bad = client.post(reverse("accounts:psc_practice"), {"practice": "9/9"})
    assert bad.status_code == 200 and "practice" in bad.context["form"].errors
    chosen = client.post(reverse("accounts:psc_practice"), {"practice": "0/1"})
    assert chosen.status_code == 302
    assert client.session["psc_practice"]["finess"] == "530000001"
    assert client.get("/patients/").status_code == 200


def test_an_encrypted_jwe_userinfo_is_decrypted_with_our_key(territory, client, provider, settings):
    gp = _gp_user(territory)
    public, private = psc_provider.client_key_pair()
    settings.PSC_USERINFO_DECRYPTION_KEY = private
    provider(
        [
            psc_provider.psc_user(
                rpps=gp.rpps, given_name="Gé", family_name="Pé", practices=[CABINET]
            )
        ],
        userinfo_format="jwe",
        client_public_key=public,
    )
    _, callback = _authorize(client, "f:810000000001")
    assert client.get(callback).status_code == 302
    assert client.session["auth_method"] == AuthMethod.PSC
    assert PscIdentity.objects.get().given_name == "Gé"


def test_a_jwe_userinfo_without_our_key_is_refused(territory, client, provider, settings):
    gp = _gp_user(territory)
    public, _private = psc_provider.client_key_pair()
    settings.PSC_USERINFO_DECRYPTION_KEY = ""
    provider(
        [psc_provider.psc_user(rpps=gp.rpps, given_name="Gé", family_name="Pé")],
        userinfo_format="jwe",
        client_public_key=public,
    )
    _, callback = _authorize(client, "f:810000000001")
    response = client.get(callback)
    assert response.status_code == 403
    assert "aucune clé de déchiffrement" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_expired_id_token_is_refused(territory, client, provider):
    gp = _gp_user(territory)
    provider(
        [psc_provider.psc_user(rpps=gp.rpps, given_name="Gé", family_name="Pé")],
        token_max_age=timedelta(hours=-1),
    )
    _, callback = _authorize(client, "f:810000000001")
    response = client.get(callback)
    assert response.status_code == 403
    assert "invalide ou expiré" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not PscIdentity.objects.exists()


@pytest.mark.parametrize("acr", [None, "eidas0", "urn:psc:faible"])
def test_a_missing_or_unknown_acr_is_refused(territory, client, provider, acr):
    gp = _gp_user(territory)
    provider([psc_provider.psc_user(rpps=gp.rpps, given_name="Gé", family_name="Pé", acr=acr)])
    _, callback = _authorize(client, "f:810000000001")
    response = client.get(callback)
    assert response.status_code == 403
    assert "authentification forte" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_acr_lower_than_the_one_asked_is_refused(territory, client, provider, settings):
    settings.PSC_ACR_VALUES = "eidas2"
    gp = _gp_user(territory)
    provider([psc_provider.psc_user(rpps=gp.rpps, given_name="Gé", family_name="Pé", acr="eidas1")])
    _, callback = _authorize(client, "f:810000000001")
    response = client.get(callback)
    assert response.status_code == 403
    assert "insuffisant" in response.content.decode()


def test_a_wrong_nonce_is_refused(territory, client, provider):
    gp = _gp_user(territory)
    provider([psc_provider.psc_user(rpps=gp.rpps, given_name="Gé", family_name="Pé")])
    params, callback = _authorize(client, "f:810000000001")
    session = client.session
    key = f"_state_psc_{params['state']}"
    state = session[key]
    state["data"]["nonce"] = "not-the-nonce-sent"
    session[key] = state
    session.save()
    response = client.get(callback)
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_callback_with_an_unknown_state_is_refused(territory, client, provider):
    gp = _gp_user(territory)
    provider([psc_provider.psc_user(rpps=gp.rpps, given_name="Gé", family_name="Pé")])
    _, callback = _authorize(client, "f:810000000001")
    forged = callback.replace("state=", "state=forged")
    response = client.get(forged)
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_an_unknown_professional_sees_a_clear_page_and_waits_for_the_admin(
    territory, client, provider
):
    provider([psc_provider.psc_user(rpps="19999999999", given_name="Inès", family_name="Connue")])
    _, callback = _authorize(client, "f:819999999999")
    response = client.get(callback)
    assert response.status_code == 403
    text = response.content.decode()
    assert "pas encore de compte Parcours" in text and "819999999999" in text
    identity = PscIdentity.objects.get()
    assert identity.user is None and identity.family_name == "Connue"
    assert "_auth_user_id" not in client.session


def test_an_identity_linked_by_the_admin_signs_in_next_time(territory, client, provider):
    provider([psc_provider.psc_user(rpps="19999999999", given_name="Inès", family_name="Connue")])
    _, callback = _authorize(client, "f:819999999999")
    client.get(callback)
    PscIdentity.objects.update(user=territory.gp2)
    _, callback = _authorize(client, "f:819999999999")
    assert client.get(callback).status_code == 302
    assert int(client.session["_auth_user_id"]) == territory.gp2.pk


def test_logout_ends_the_psc_session_only_when_asked(territory, client, provider):
    gp = _gp_user(territory)
    provider([psc_provider.psc_user(rpps=gp.rpps, given_name="Gé", family_name="Pé")])
    _, callback = _authorize(client, "f:810000000001")
    client.get(callback)
    plain = client.post(reverse("logout"))
    assert plain["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session
    _, callback = _authorize(client, "f:810000000001")
    client.get(callback)
    assert "Se déconnecter aussi de Pro Santé Connect" in client.get("/patients/").content.decode()
    both = client.post(reverse("logout"), {"psc": "1"})
    assert "/oauth2/end_session" in both["Location"]
    assert "id_token_hint=" in both["Location"]
    assert "_auth_user_id" not in client.session


def test_the_psc_button_shows_only_when_psc_is_configured(db, client, provider, settings):
    assert "Pro Santé Connect" not in client.get(reverse("login")).content.decode()
    provider([])
    assert "Se connecter avec Pro Santé Connect" in client.get(reverse("login")).content.decode()


def test_a_national_identifier_gives_the_rpps_only_when_rpps_based():
    assert psc.rpps_from_national_id("810000000001") == "10000000001"
    assert psc.rpps_from_national_id("0123456789") == ""
    assert psc.rpps_from_national_id("8abc") == ""


def test_the_territory_admin_links_an_unknown_professional_in_the_administration(territory, client):
    identity = PscIdentity.objects.create(
        subject_name_id="819999999999",
        family_name="Connue",
        first_seen_at="2026-11-30T08:00:00+01:00",
        last_login_at="2026-11-30T08:00:00+01:00",
    )
    root = User.objects.create_superuser("root", "root@test.invalid", "secret-pass-123")
    client.force_login(root)
    listing = client.get("/admin/accounts/pscidentity/?compte=sans")
    assert "819999999999" in listing.content.decode()
    url = f"/admin/accounts/pscidentity/{identity.pk}/change/"
    response = client.post(url, {"user": territory.gp2.pk})
    assert response.status_code == 302
    identity.refresh_from_db()
    assert identity.user == territory.gp2 and identity.linked_at is not None


def test_the_demo_provider_knows_every_account_with_an_rpps_and_gps_have_two_practices(
    territory,
):
    from parcours.accounts.management.commands.psc_provider import demo_professionals

    _gp_user(territory)
    territory.doctor.rpps = "10000000002"
    territory.doctor.save(update_fields=["rpps"])
    users = {u.claims["SubjectNameID"]: u for u in demo_professionals()}
    assert set(users) == {"810000000001", "810000000002"}
    gp_practices = users["810000000001"].claims["SubjectRefPro"]["exercices"][0]["activities"]
    assert [p["raisonSocialeSite"] for p in gp_practices] == [
        "MSP Un",
        "Maison médicale de garde de Laval",
    ]
    assert users["810000000002"].claims["acr"] == "eidas1"
