"""Bearer tokens: issued once, stored hashed, revocable, optionally expiring."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from parcours.accounts.models import ApiToken
from parcours.fhir.tokens import api_token_create, api_token_revoke, hash_token


@pytest.mark.parametrize(
    "header", [None, "Bearer pct_not-a-real-token", "Basic Z3A6eA==", "Bearer "]
)
def test_missing_or_bad_token_is_401(client, territory, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = client.get("/fhir/Organization", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["resourceType"] == "OperationOutcome"
    assert response.json()["issue"][0]["code"] == "login"


def test_valid_token_authenticates_and_records_last_use(api, territory):
    issued = api_token_create(user=territory.gp)
    response = api(token=issued.secret).get("Organization")
    assert response.status_code == 200
    issued.token.refresh_from_db()
    assert issued.token.last_used_at is not None


def test_token_is_stored_hashed_only(territory):
    issued = api_token_create(user=territory.gp)
    row = ApiToken.objects.get(pk=issued.token.pk)
    assert row.token_hash == hash_token(issued.secret)
    assert issued.secret not in (row.token_hash, row.prefix, row.name)


def test_revoked_token_is_401(api, territory):
    issued = api_token_create(user=territory.gp)
    api_token_revoke(user=territory.gp, token_id=issued.token.pk)
    assert api(token=issued.secret).get("Organization").status_code == 401


def test_expired_token_is_401(api, territory):
    issued = api_token_create(user=territory.gp, expires_days=1)
    assert api(token=issued.secret).get("Organization").status_code == 200
    ApiToken.objects.filter(pk=issued.token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert api(token=issued.secret).get("Organization").status_code == 401


def test_token_of_deactivated_user_is_401(api, territory):
    issued = api_token_create(user=territory.gp)
    territory.gp.is_active = False
    territory.gp.save()
    assert api(token=issued.secret).get("Organization").status_code == 401


def test_session_cookie_does_not_authenticate_the_api(client, territory):
    client.force_login(territory.gp)
    assert client.get("/fhir/Organization").status_code == 401


def test_metadata_needs_no_token(client, db):
    response = client.get("/fhir/metadata")
    assert response.status_code == 200
    assert response.json()["resourceType"] == "CapabilityStatement"


def test_token_command_prints_lists_and_revokes(territory, api):
    out, err = StringIO(), StringIO()
    call_command("token", "gp", "--expires-days", "30", stdout=out, stderr=err)
    secret = out.getvalue().strip()
    assert secret.startswith("pct_") and "expire le" in err.getvalue()
    assert api(token=secret).get("Organization").status_code == 200
    token = ApiToken.objects.get(user=territory.gp)
    listing = StringIO()
    call_command("token", "gp", "--list", stdout=listing)
    assert f"{token.pk}\t{token.prefix}" in listing.getvalue() and "actif" in listing.getvalue()
    call_command("token", "gp", "--revoke", str(token.pk), stdout=StringIO())
    assert api(token=secret).get("Organization").status_code == 401
    listing = StringIO()
    call_command("token", "gp", "--list", stdout=listing)
    assert "révoqué" in listing.getvalue()


def test_token_command_refuses_unknown_user_and_foreign_token(territory):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("token", "ghost", stdout=StringIO())
    other = api_token_create(user=territory.gp2)
    with pytest.raises(CommandError):
        call_command("token", "gp", "--revoke", str(other.token.pk), stdout=StringIO())


def test_parcours_console_script_forwards_token_command(territory, capsys, monkeypatch):
    from django.db import connections

    from parcours import cli

    # run_from_argv closes every connection when the command ends; the test's transaction
    # lives on that connection.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    cli.main(["token", "gp", "--name", "Logiciel du cabinet"])
    secret = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(user=territory.gp)
    assert token.token_hash == hash_token(secret) and token.name == "Logiciel du cabinet"


def test_admin_lists_and_revokes_tokens_but_never_shows_or_creates_them(client, territory):
    from parcours.accounts.models import User

    issued = api_token_create(user=territory.gp)
    root = User.objects.create_superuser("root", "root@test.invalid", "secret-pass-123")
    client.force_login(root)
    listing = client.get("/admin/accounts/apitoken/")
    assert listing.status_code == 200
    assert issued.token.prefix in listing.content.decode()
    assert issued.secret not in listing.content.decode()
    assert (
        issued.token.token_hash
        not in client.get(f"/admin/accounts/apitoken/{issued.token.pk}/change/").content.decode()
    )
    assert client.get("/admin/accounts/apitoken/add/").status_code == 403
    client.post(
        "/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [issued.token.pk]}
    )
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None
