"""Issue 14, bug 1: text typed in an action form is given back when the request moved on."""

import pytest
from django.urls import reverse

from parcours.referrals.services import referral_assign, referral_cancel


def _post(client, referral, action, data):
    return client.post(reverse("referrals:action", args=[referral.pk, action]), data)


def test_doctors_answer_is_kept_when_the_gp_cancelled_meanwhile(territory, make_referral, client):
    referral = make_referral()
    referral_assign(actor=territory.desk, referral=referral, doctor=territory.doctor)
    referral_cancel(actor=territory.gp, referral=referral, reason="Patient hospitalisé ailleurs")
    client.force_login(territory.doctor)
    response = _post(
        client,
        referral,
        "answer",
        {"answer_kind": "advice", "text": "Échographie cardiaque sous 15 jours, IEC à majorer."},
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "pas été envoyé" in body
    assert "Échographie cardiaque sous 15 jours, IEC à majorer." in body
    assert "demande annulée par Dr Gp TEST" in body  # what happened, and who did it
    assert "Patient hospitalisé ailleurs" in body  # the reason given by the GP
    referral.refresh_from_db()
    assert referral.status == "cancelled" and referral.answer_text == ""


@pytest.mark.parametrize(
    "action,data,label",
    [
        ("message", {"body": "Un dernier mot sur l'ECG"}, "Un dernier mot sur l&#x27;ECG"),
        ("request_info", {"question": "Créatinine récente ?"}, "Créatinine récente ?"),
        ("decline", {"decline-reason": "Hors filière"}, "Hors filière"),
        ("redirect", {"service": "", "reason": "Plutôt pneumologie"}, "Plutôt pneumologie"),
    ],
)
def test_every_action_form_gives_its_text_back(
    action, data, label, territory, make_referral, client
):
    referral = make_referral()
    referral_cancel(actor=territory.gp, referral=referral, reason="Plus nécessaire")
    client.force_login(territory.desk)
    response = _post(client, referral, action, data)
    assert response.status_code == 409
    assert label in response.content.decode()


def test_gp_message_is_kept_when_the_hospital_closed_meanwhile(territory, make_referral, client):
    from parcours.referrals.services import referral_answer, referral_take_in_charge

    referral = make_referral()
    referral_answer(actor=territory.doctor, referral=referral, answer_kind="advice", text="ok")
    referral_take_in_charge(actor=territory.desk, referral=referral, note="Vu en consultation")
    client.force_login(territory.gp)
    response = _post(client, referral, "message", {"body": "72 kg, stable"})
    assert response.status_code == 409
    body = response.content.decode()
    assert "72 kg, stable" in body and "Vu en consultation" in body


def test_an_empty_form_on_a_closed_request_just_says_why(territory, make_referral, client):
    referral = make_referral()
    referral_cancel(actor=territory.gp, referral=referral, reason="x")
    client.force_login(territory.desk)
    response = _post(client, referral, "acknowledge", {})
    assert response.status_code == 302


def test_answer_lost_to_a_colleagues_answer_goes_into_the_message_form(
    territory, make_referral, client
):
    from parcours.referrals.services import referral_answer

    referral = make_referral()
    referral_answer(
        actor=territory.head,
        referral=referral,
        answer_kind="advice",
        text="Avis du chef de service",
    )
    client.force_login(territory.doctor)
    response = _post(
        client,
        referral,
        "answer",
        {"answer_kind": "advice", "text": "Mon avis à moi, plus détaillé"},
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "Pr Head TEST" in body  # who answered first
    assert "recopiée dans le champ « Message »" in body
    thread = body[body.index('id="thread"') :]
    assert "Mon avis à moi, plus détaillé</textarea>" in thread
