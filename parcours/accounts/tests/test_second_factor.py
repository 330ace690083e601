"""Password accounts: the sign-in policy per role and the TOTP second factor with recovery
codes (django-otp)."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from parcours.accounts import access
from parcours.accounts.models import AuthMethod


def _code(key_hex: str, at: float | None = None) -> str:
    totp = TOTP(bytes.fromhex(key_hex), step=30, t0=0, digits=6)
    totp.time = at or time.time()
    return f"{totp.token():06d}"


PASSWORD = "secret-pass-123"  # noqa: S105 — the personas' test password (conftest.py)


def _password_login(client, user):
    return client.post(reverse("login"), {"username": user.username, "password": PASSWORD})


def _enrol(client):
    client.get(reverse("accounts:second_factor_setup"))
    key = client.session["otp_enrol_key"]
    response = client.post(reverse("accounts:second_factor_setup"), {"token": _code(key)})
    return key, response


def test_the_strict_policy_sends_doctors_to_psc_and_others_to_a_second_factor(territory, settings):
    settings.AUTH_POLICY = "strict"
    settings.PSC_ISSUER, settings.PSC_CLIENT_ID = "https://psc.example.invalid", "parcours"
    assert access.required_method(territory.gp) == access.PSC
    assert access.required_method(territory.doctor) == access.PSC
    assert access.required_method(territory.desk) == access.OTP
    assert access.required_method(territory.admin) == access.OTP
    settings.AUTH_POLICY_ROLES = {"pathway_desk": "psc"}
    assert access.required_method(territory.desk) == access.PSC
    settings.AUTH_POLICY = "relaxed"
    settings.AUTH_POLICY_ROLES = {}
    assert access.required_method(territory.gp) == access.PASSWORD


def test_without_psc_configured_the_strict_policy_asks_doctors_for_a_second_factor(
    territory, settings
):
    settings.AUTH_POLICY = "strict"
    settings.PSC_CLIENT_ID = ""
    assert access.required_method(territory.gp) == access.OTP
    assert access.may_use_password(territory.gp)


def test_a_gp_who_must_use_psc_is_refused_the_password_in_french(territory, client, settings):
    settings.AUTH_POLICY = "strict"
    settings.PSC_ISSUER, settings.PSC_CLIENT_ID = "https://psc.example.invalid", "parcours"
    response = _password_login(client, territory.gp)
    assert response.status_code == 200
    assert "Votre rôle impose la connexion par Pro Santé Connect" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_desk_member_must_enrol_then_gets_recovery_codes_and_reaches_pages(
    territory, client, settings
):
    settings.AUTH_POLICY = "strict"
    assert _password_login(client, territory.desk).status_code == 302
    assert client.session["auth_method"] == AuthMethod.PASSWORD
    blocked = client.get(reverse("patients:search"))
    assert blocked["Location"] == reverse("accounts:second_factor_setup")
    setup = client.get(reverse("accounts:second_factor_setup"))
    assert setup.status_code == 200
    assert "data:image/svg+xml" in setup.content.decode()
    wrong = client.post(reverse("accounts:second_factor_setup"), {"token": "000000"})
    assert wrong.status_code == 200 and "Code incorrect" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=territory.desk).exists()
    _key, done = _enrol(client)
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10
    assert StaticToken.objects.filter(device__user=territory.desk).count() == 10
    assert client.session["auth_method"] == AuthMethod.PASSWORD_OTP
    assert client.get(reverse("patients:search")).status_code == 200


def test_an_enrolled_person_enters_a_code_after_the_password_and_a_recovery_code_works_once(
    territory, client, settings, time_machine
):
    settings.AUTH_POLICY = "strict"
    time_machine.move_to("2026-11-30 09:00:00+01:00", tick=False)
    _password_login(client, territory.desk)
    key, done = _enrol(client)
    recovery = done.context["codes"][0]
    client.post(reverse("logout"))

    _password_login(client, territory.desk)
    asked = client.get(reverse("patients:search"))
    assert asked["Location"].startswith(reverse("accounts:second_factor"))
    bad = client.post(reverse("accounts:second_factor"), {"token": "123456"})
    assert bad.status_code == 200 and "Code incorrect" in bad.content.decode()
    # django-otp makes the person wait after a failure (1 s, then 2, 4…).
    time_machine.shift(5)
    ok = client.post(reverse("accounts:second_factor"), {"token": recovery, "next": "/patients/"})
    assert ok["Location"] == "/patients/"
    assert client.get(reverse("patients:search")).status_code == 200
    client.post(reverse("logout"))

    _password_login(client, territory.desk)
    again = client.post(reverse("accounts:second_factor"), {"token": recovery})
    assert again.status_code == 200  # used up
    assert not StaticToken.objects.filter(token=recovery).exists()


def test_a_totp_code_opens_the_session(territory, client, settings, time_machine):
    settings.AUTH_POLICY = "otp"
    time_machine.move_to("2026-11-30 09:00:00+01:00", tick=False)
    _password_login(client, territory.cell)
    key, _ = _enrol(client)
    client.post(reverse("logout"))
    time_machine.move_to("2026-11-30 09:05:00+01:00", tick=False)
    _password_login(client, territory.cell)
    ok = client.post(reverse("accounts:second_factor"), {"token": _code(key)})
    assert ok.status_code == 302
    assert client.get(reverse("patients:search")).status_code == 200


def test_under_the_relaxed_policy_a_person_who_enrolled_is_still_asked(territory, client, settings):
    settings.AUTH_POLICY = "relaxed"
    _password_login(client, territory.desk)
    assert client.get(reverse("patients:search")).status_code == 200
    _enrol(client)
    client.post(reverse("logout"))
    _password_login(client, territory.desk)
    assert client.get(reverse("patients:search"))["Location"].startswith(
        reverse("accounts:second_factor")
    )


@pytest.mark.parametrize("persona", ["desk", "admin", "cell"])
def test_recovery_codes_are_renewed_only_in_a_verified_session(
    territory, client, settings, persona
):
    settings.AUTH_POLICY = "otp"
    user = getattr(territory, persona)
    _password_login(client, user)
    _, first = _enrol(client)
    renewed = client.post(reverse("accounts:second_factor_setup"), {"renew": "1"})
    assert renewed.status_code == 200
    assert set(renewed.context["codes"]).isdisjoint(first.context["codes"])
    assert StaticToken.objects.filter(device__user=user).count() == 10
