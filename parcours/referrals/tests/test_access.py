"""Every page × every role: who sees what. Anyone not allowed gets 404, like a missing object."""

import pytest
from django.urls import reverse

from conftest import pdf_upload

ROLES = ["anonymous", "gp", "gp2", "desk", "desk_beta", "doctor", "pneumo", "admin", "nobody"]


def _page(territory, referral, patient):
    attachment = referral.attachments.first()
    return {
        "home": reverse("home"),
        "patient_search": reverse("patients:search") + "?q=dupont",
        "patient_create": reverse("patients:create"),
        "patient_detail": reverse("patients:detail", args=[patient.pk]),
        "my_referrals": reverse("referrals:list"),
        "referral_new": reverse("referrals:new") + f"?patient={patient.pk}",
        "inbox": reverse("referrals:inbox"),
        "queue": reverse("referrals:queue"),
        "referral_detail": reverse("referrals:detail", args=[referral.pk]),
        "referral_fragment": reverse("referrals:detail", args=[referral.pk]) + "?fragment=1",
        "attachment": reverse("referrals:attachment", args=[referral.pk, attachment.pk]),
        "attachment_preview": reverse(
            "referrals:attachment_preview", args=[referral.pk, attachment.pk]
        ),
        "my_referrals_search": reverse("referrals:list") + "?q=dupont&born=1950-04-03",
        "referral_new_from_directory": reverse("referrals:new")
        + f"?patient={patient.pk}&service={territory.cardio.pk}",
        "directory": reverse("directory:index"),
        "service": reverse("directory:service", args=[territory.cardio.pk]),
        "notifications": reverse("notifications:centre"),
        "indicators": reverse("indicators:index"),
    }


# Expected status per page and role; 302 for anonymous everywhere (to the login page).
EXPECTED = {
    #                    gp   gp2  desk dskB doc  pneu adm  nob
    "home": [302, 302, 302, 302, 302, 302, 302, 302],
    "patient_search": [200, 200, 200, 200, 200, 200, 200, 200],
    "patient_create": [200, 200, 404, 404, 404, 404, 404, 404],
    "patient_detail": [200, 404, 200, 404, 200, 404, 404, 404],
    "my_referrals": [200, 200, 404, 404, 404, 404, 404, 404],
    "referral_new": [200, 404, 404, 404, 404, 404, 404, 404],
    "inbox": [404, 404, 200, 200, 404, 404, 404, 404],
    "queue": [404, 404, 404, 404, 200, 200, 404, 404],
    "referral_detail": [200, 404, 200, 404, 200, 404, 404, 404],
    "referral_fragment": [200, 404, 200, 404, 200, 404, 404, 404],
    "attachment": [200, 404, 200, 404, 200, 404, 404, 404],
    "attachment_preview": [200, 404, 200, 404, 200, 404, 404, 404],
    "my_referrals_search": [200, 200, 404, 404, 404, 404, 404, 404],
    "referral_new_from_directory": [200, 404, 404, 404, 404, 404, 404, 404],
    "directory": [200, 200, 200, 200, 200, 200, 200, 200],
    "service": [200, 200, 200, 200, 200, 200, 200, 200],
    "notifications": [200, 200, 200, 200, 200, 200, 200, 200],
    "indicators": [404, 404, 200, 200, 200, 200, 200, 404],
}


@pytest.mark.parametrize("role", ROLES)
def test_every_page_for_every_role(role, territory, patient, make_referral, client):
    referral = make_referral(files=[pdf_upload()])
    pages = _page(territory, referral, patient)
    if role != "anonymous":
        client.force_login(getattr(territory, role))
    for name, url in pages.items():
        response = client.get(url)
        if role == "anonymous":
            assert response.status_code == 302, name
            assert response["Location"].startswith(reverse("login")), name
            continue
        expected = EXPECTED[name][ROLES.index(role) - 1]
        assert response.status_code == expected, f"{name} as {role}: {response.status_code}"


def test_patient_search_only_finds_the_users_own_patients(territory, patient, client):
    client.force_login(territory.gp2)
    response = client.get(reverse("patients:search") + "?q=dupont")
    assert "DUPONT" not in response.content.decode()
    client.force_login(territory.gp)
    response = client.get(reverse("patients:search") + "?q=dupont")
    assert "DUPONT" in response.content.decode()


ACTIONS = [
    "message",
    "cancel",
    "decline",
    "request_info",
    "provide_info",
    "answer",
    "take_in_charge",
    "assign",
    "redirect",
]


@pytest.mark.parametrize("role", ["gp2", "desk_beta", "pneumo", "admin", "nobody"])
@pytest.mark.parametrize("action", ACTIONS)
def test_outsiders_cannot_post_any_action(role, action, territory, make_referral, client):
    referral = make_referral()
    client.force_login(getattr(territory, role))
    response = client.post(
        reverse("referrals:action", args=[referral.pk, action]),
        {"reason": "x", "body": "x", "question": "x", "text": "x"},
    )
    assert response.status_code == 404
    referral.refresh_from_db()
    assert referral.status == "submitted"


def test_desk_sees_only_its_hospital_in_the_inbox(territory, make_referral, client):
    mine = make_referral()
    other = make_referral(service=territory.beta_cardio)
    client.force_login(territory.desk)
    body = client.get(reverse("referrals:inbox")).content.decode()
    assert mine.reference in body and other.reference not in body


def test_gp_cannot_use_a_patient_they_do_not_know(territory, patient, client):
    client.force_login(territory.gp2)
    response = client.post(
        reverse("referrals:new") + f"?patient={patient.pk}",
        {"kind": "ADVICE", "service": territory.cardio.pk, "question": "?"},
    )
    assert response.status_code == 404
