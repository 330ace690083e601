import os
import subprocess
import sys

from django.conf import settings
from django.urls import reverse


def test_passwords_are_hashed_with_argon2_outside_tests():
    env = {**os.environ, "PARCOURS_TESTING": "0"}
    code = "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='parcours.settings';" \
           "django.setup();from django.conf import settings as s;" \
           "print(s.PASSWORD_HASHERS[0])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert "Argon2PasswordHasher" in out


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {**os.environ, "PARCOURS_ENV": "production", "PARCOURS_TESTING": "0",
           "SECRET_KEY": "x" * 20 + "-production-secret-key-for-the-deploy-check-0123456789",
           "ALLOWED_HOSTS": "parcours.example.org", "PARCOURS_VAR_DIR": str(tmp_path),
           "MESSAGING_KEYS": "ZmFrZS1rZXktZm9yLXRoZS1kZXBsb3ktY2hlY2stMDE=",
           "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy",
                             "--fail-level", "WARNING"], env=env, capture_output=True,
                            text=True, cwd=settings.BASE_DIR.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


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
    response = client.post(reverse("login"), {"username": "desk",
                                              "password": "secret-pass-123"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("referrals:inbox")


def test_wrong_password_message_is_french(territory, client):
    response = client.post(reverse("login"), {"username": "gp", "password": "nope"})
    assert "Identifiant ou mot de passe incorrect" in response.content.decode()


def test_post_without_csrf_token_is_refused(territory, make_referral):
    from django.test import Client

    referral = make_referral()
    client = Client(enforce_csrf_checks=True)
    client.force_login(territory.gp)
    response = client.post(reverse("referrals:action", args=[referral.pk, "cancel"]),
                           {"cancel-reason": "x"})
    assert response.status_code == 403


def test_healthz_answers(db, client):
    assert client.get("/healthz").json() == {"status": "ok"}
