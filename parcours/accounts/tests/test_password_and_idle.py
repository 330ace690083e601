"""Password change with strength rules, and the idle timeout of browser sessions."""

import time

from django.urls import reverse

from parcours.core.middleware import IdleTimeoutMiddleware


def test_password_change_refuses_a_guessable_password_in_french(territory, client):
    client.force_login(territory.gp)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "secret-pass-123",
            "new_password1": "parcours2026!",
            "new_password2": "parcours2026!",
        },
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["new_password2"])
    assert "trop facile à deviner" in errors
    assert "trop facile à deviner" in response.content.decode()
    territory.gp.refresh_from_db()
    assert territory.gp.check_password("secret-pass-123")


def test_password_change_accepts_a_strong_password_and_keeps_this_session(territory, client):
    client.force_login(territory.gp)
    strong = "tortue violette escalade 47 nuages"
    response = client.post(
        reverse("password_change"),
        {"old_password": "secret-pass-123", "new_password1": strong, "new_password2": strong},
    )
    assert response.status_code == 302
    territory.gp.refresh_from_db()
    assert territory.gp.check_password(strong)
    assert client.get(reverse("patients:search")).status_code == 200


def test_password_change_needs_a_session(db, client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def _age_session(client, seconds):
    session = client.session
    session[IdleTimeoutMiddleware.STAMP] = int(time.time()) - seconds
    session.save()


def test_a_session_idle_longer_than_the_limit_is_signed_out(territory, client, settings):
    settings.SESSION_IDLE_MINUTES = 30
    client.force_login(territory.gp)
    client.get(reverse("patients:search"))
    _age_session(client, 31 * 60)
    response = client.get(reverse("patients:search"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_live_updates_do_not_keep_an_idle_session_open(territory, client, settings):
    settings.SESSION_IDLE_MINUTES = 30
    client.force_login(territory.gp)
    client.get(reverse("patients:search"))
    _age_session(client, 29 * 60)
    # The open page re-fetches its parts: not the user's activity.
    client.get(reverse("patients:search"), HTTP_X_REQUESTED_WITH="fetch")
    _age_session_by = client.session[IdleTimeoutMiddleware.STAMP]
    assert int(time.time()) - _age_session_by >= 29 * 60
    # The user's own request a minute before the limit keeps the session.
    assert client.get(reverse("patients:search")).status_code == 200
    assert int(time.time()) - client.session[IdleTimeoutMiddleware.STAMP] < 5
