"""Issue 14, bug 4: « Adresser » from a directory card carries the service into the form."""

from django.urls import reverse

from parcours.directory.models import Practitioner, PractitionerRole


def _selected_service(body: str, service_id: int) -> bool:
    return f'<option value="{service_id}" selected>' in body


def test_service_in_the_url_is_preselected(territory, patient, client):
    client.force_login(territory.gp)
    body = client.get(
        reverse("referrals:new") + f"?patient={patient.pk}&service={territory.pneumo_svc.pk}"
    ).content.decode()
    assert _selected_service(body, territory.pneumo_svc.pk)
    assert "déjà choisi" in body


def test_service_survives_the_patient_choice(territory, patient, client):
    client.force_login(territory.gp)
    response = client.get(reverse("referrals:new") + f"?service={territory.pneumo_svc.pk}")
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:search") + "?next=referral"
    # The patient search's « Adresser » link comes back with the patient only.
    body = client.get(reverse("referrals:new") + f"?patient={patient.pk}").content.decode()
    assert _selected_service(body, territory.pneumo_svc.pk)
    response = client.post(
        reverse("referrals:new") + f"?patient={patient.pk}",
        {"kind": "ADVICE", "service": territory.pneumo_svc.pk, "question": "Toux ?"},
    )
    assert response.status_code == 302
    # Sent: the next request starts from a blank form.
    body = client.get(reverse("referrals:new") + f"?patient={patient.pk}").content.decode()
    assert not _selected_service(body, territory.pneumo_svc.pk)


def test_practitioner_in_the_url_preselects_their_service(territory, patient, client):
    practitioner = Practitioner.objects.create(last_name="Lemaire", first_name="Hugo")
    PractitionerRole.objects.create(
        practitioner=practitioner, organisation=territory.alpha, service=territory.cardio
    )
    client.force_login(territory.gp)
    body = client.get(
        reverse("referrals:new") + f"?patient={patient.pk}&practitioner={practitioner.pk}"
    ).content.decode()
    assert _selected_service(body, territory.cardio.pk)
    assert "À l&#x27;attention de Dr Hugo Lemaire." in body


def test_unknown_or_garbage_service_is_ignored(territory, patient, client):
    client.force_login(territory.gp)
    for value in ("999999", "abc", "³"):
        response = client.get(
            reverse("referrals:new") + f"?patient={patient.pk}&service={value}&practitioner={value}"
        )
        assert response.status_code == 200
        assert "déjà choisi" not in response.content.decode()


def test_the_new_request_url_name_stays_stable():
    # Directory cards link here (« Adresser »): keep this path.
    assert reverse("referrals:new") == "/demandes/nouvelle/"


def test_choosing_the_patient_for_a_new_request_goes_to_the_form(territory, patient, client):
    """From « Nouvelle demande », the patient's name and its button lead to the form, not to
    the patient page (review of issue 14: a click on the name lost the request)."""
    client.force_login(territory.gp)
    body = client.get(reverse("patients:search") + "?q=dupont&next=referral").content.decode()
    form_url = reverse("referrals:new") + f"?patient={patient.pk}"
    assert body.count(f'href="{form_url}"') == 2
    assert f'href="{reverse("patients:detail", args=[patient.pk])}"' not in body
    # The ordinary patient search still opens the patient page.
    body = client.get(reverse("patients:search") + "?q=dupont").content.decode()
    assert f'href="{reverse("patients:detail", args=[patient.pk])}"' in body
