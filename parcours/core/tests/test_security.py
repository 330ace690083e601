import os
import subprocess
import sys

from django.conf import settings
from django.urls import reverse


def test_passwords_are_hashed_with_argon2_outside_tests():
    env = {**os.environ, "PARCOURS_TESTING": "0"}
    code = (
        "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='parcours.settings';"
        "django.setup();from django.conf import settings as s;"
        "print(s.PASSWORD_HASHERS[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert "Argon2PasswordHasher" in out


def _production_env(tmp_path, **extra) -> dict:
    return {
        **os.environ,
        "PARCOURS_ENV": "production",
        "PARCOURS_TESTING": "0",
        "SECRET_KEY": "x" * 20 + "-production-secret-key-for-the-deploy-check-0123456789",
        "ALLOWED_HOSTS": "parcours.example.org",
        "PARCOURS_VAR_DIR": str(tmp_path),
        "MESSAGING_KEYS": "ZmFrZS1rZXktZm9yLXRoZS1kZXBsb3ktY2hlY2stMDE=",
        "AUDIT_SIGNING_KEY": "ZmFrZS1hdWRpdC1zaWduaW5nLWtleS0wMTIzNDU2Nzg=",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        **extra,
    }


def _manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR.parent,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = _production_env(tmp_path)
    # Without collected static files every page would answer 500: the check says so.
    result = _manage(env, "check", "--deploy")
    assert result.returncode != 0 and "parcours.E001" in result.stderr
    assert _manage(env, "collectstatic", "--no-input", "-v", "0").returncode == 0
    result = _manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_malformed_messaging_key_is_refused_at_start(tmp_path):
    result = _manage(_production_env(tmp_path, MESSAGING_KEYS="not-a-fernet-key"), "check")
    assert result.returncode != 0 and "parcours.E002" in result.stderr


def test_production_refuses_debug(tmp_path):
    result = _manage(_production_env(tmp_path, DEBUG="1"), "check")
    assert result.returncode != 0 and "DEBUG must be off" in result.stderr


def test_debug_is_off_by_default_and_each_installation_gets_its_own_secret_key(tmp_path):
    code = (
        "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='parcours.settings';"
        "django.setup();from django.conf import settings as s;"
        "print(s.DEBUG, s.SECRET_KEY)"
    )
    keys = []
    for name in ("a", "b"):
        env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
        env.update(PARCOURS_TESTING="0", PARCOURS_VAR_DIR=str(tmp_path / name))
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
        assert out[0] == "False"
        keys.append(out[1])
        assert (tmp_path / name / "secret_key").stat().st_mode & 0o077 == 0
    assert keys[0] != keys[1] and len(keys[0]) >= 50
    assert "dev-only-insecure" not in keys[0]


def test_secure_headers_are_sent(db, client):
    response = client.get(reverse("login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin"


def test_login_is_throttled_after_repeated_failures(territory, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "gp", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "gp", "password": "secret-pass-123"})
    assert response.status_code == 429
    assert "Trop de tentatives" in response.content.decode()


def test_login_with_the_right_password_lands_on_the_role_page(territory, client):
    response = client.post(
        reverse("login"), {"username": "desk", "password": "secret-pass-123"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("referrals:inbox")


def test_wrong_password_message_is_french(territory, client):
    response = client.post(reverse("login"), {"username": "gp", "password": "nope"})
    assert "Identifiant ou mot de passe incorrect" in response.content.decode()


def test_post_without_csrf_token_is_refused(territory, make_referral):
    from django.test import Client

    referral = make_referral()
    client = Client(enforce_csrf_checks=True)
    client.force_login(territory.gp)
    response = client.post(
        reverse("referrals:action", args=[referral.pk, "cancel"]), {"cancel-reason": "x"}
    )
    assert response.status_code == 403


def test_healthz_answers(db, client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_healthz_answers_503_within_a_second_when_the_database_is_down(db, client, monkeypatch):
    import time

    from parcours.core import views

    def hangs() -> bool:
        time.sleep(3)  # a database host that does not answer (libpq waits ≥ 2 s)
        return True

    monkeypatch.setattr(views, "_database_answers", hangs)
    start = time.monotonic()
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["status"] == "unavailable"
    assert time.monotonic() - start < 2.5  # generous: the point is not waiting 3 s or 10 s


def test_healthz_says_unavailable_when_the_database_refuses(db, client, monkeypatch):
    from django.db import connection

    from parcours.core import views

    broken = {
        **connection.settings_dict,
        "ENGINE": "django.db.backends.postgresql",
        "HOST": "127.0.0.1",
        "PORT": "1",
        "NAME": "nothing",
    }
    monkeypatch.setattr(type(connection), "settings_dict", broken, raising=False)
    assert views._database_answers() is False


def test_login_is_throttled_per_account_across_addresses(territory, client):
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": "gp", "password": "wrong"},
            REMOTE_ADDR=f"192.0.2.{i + 1}",
        )
    response = client.post(
        reverse("login"),
        {"username": "gp", "password": "secret-pass-123"},
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 429


def test_a_forwarded_for_header_does_not_change_the_address_throttled(territory, client):
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": f"nobody{i}", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        )
    from axes.models import AccessAttempt

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}
