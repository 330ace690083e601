"""OAuth 2 client credentials (RFC 6749 §4.4) for systems: the token endpoint and the token it
gives, used on the FHIR API."""

from __future__ import annotations

import base64

import pytest
from django.core.management import call_command

from parcours.accounts.models import ApiToken, OAuthClient
from parcours.accounts.services import oauth_client_create

URL = "/fhir/oauth2/token"


@pytest.fixture
def registered(territory):
    return oauth_client_create(name="Logiciel du cabinet", user=territory.gp)


def _basic(client_id, secret):
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def _token(client, data, auth=None, secure=True):
    """POST to the token endpoint over HTTPS (the test client's ``secure``)."""
    extra = {"HTTP_AUTHORIZATION": auth} if auth else {}
    return client.post(URL, data, secure=secure, **extra)


def test_a_system_gets_a_bearer_token_with_basic_auth_and_reads_the_api(client, registered):
    oauth, secret = registered
    response = _token(client, {"grant_type": "client_credentials"}, _basic(oauth.client_id, secret))
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["access_token"].startswith("pct_") and "refresh_token" not in body
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=oauth.user)
    assert token.expires_at is not None and token.name == "OAuth : Logiciel du cabinet"
    api = client.get("/fhir/Patient?name=Test", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert api.status_code == 200


def test_the_secret_may_come_in_the_body(client, registered):
    oauth, secret = registered
    data = {"grant_type": "client_credentials", "client_id": oauth.client_id}
    assert _token(client, {**data, "client_secret": secret}).status_code == 200


def test_a_wrong_secret_or_an_inactive_client_is_an_invalid_client(client, registered):
    oauth, secret = registered
    grant = {"grant_type": "client_credentials"}
    wrong = _token(client, grant, _basic(oauth.client_id, "not-the-secret"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    OAuthClient.objects.filter(pk=oauth.pk).update(active=False)
    assert _token(client, grant, _basic(oauth.client_id, secret)).status_code == 401
    assert not ApiToken.objects.exists()


def test_other_grants_and_scopes_are_refused(client, registered):
    oauth, secret = registered
    auth = _basic(oauth.client_id, secret)
    password = _token(client, {"grant_type": "password"}, auth)
    assert password.status_code == 400
    assert password.json()["error"] == "unsupported_grant_type"
    scoped = _token(client, {"grant_type": "client_credentials", "scope": "system/*.read"}, auth)
    assert scoped.status_code == 400 and scoped.json()["error"] == "invalid_scope"
    assert client.get(URL, secure=True).status_code == 405
    assert not ApiToken.objects.exists()


def test_plain_http_is_refused(client, registered, monkeypatch):
    monkeypatch.delenv("AUTHLIB_INSECURE_TRANSPORT", raising=False)
    oauth, secret = registered
    response = _token(
        client, {"grant_type": "client_credentials"}, _basic(oauth.client_id, secret), secure=False
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert not ApiToken.objects.exists()


def test_the_token_expires(client, registered, time_machine):
    oauth, secret = registered
    time_machine.move_to("2026-11-30 09:00:00+01:00", tick=False)
    grant = {"grant_type": "client_credentials"}
    body = _token(client, grant, _basic(oauth.client_id, secret)).json()
    bearer = f"Bearer {body['access_token']}"
    assert client.get("/fhir/Patient?name=Test", HTTP_AUTHORIZATION=bearer).status_code == 200
    time_machine.move_to("2026-11-30 10:01:00+01:00", tick=False)
    assert client.get("/fhir/Patient?name=Test", HTTP_AUTHORIZATION=bearer).status_code == 401


def test_the_command_registers_a_client_and_shows_the_secret_once(territory, capsys):
    call_command("oauth_client", "Logiciel du cabinet", "gp")
    out = capsys.readouterr().out
    client_id = out.split("client_id=")[1].split()[0]
    stored = OAuthClient.objects.get(client_id=client_id)
    assert stored.user == territory.gp
    assert out.split("client_secret=")[1].strip() not in stored.secret_hash
