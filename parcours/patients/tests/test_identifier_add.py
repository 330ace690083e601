"""Adding a local number (IPP, network file number) by hand from the patient page."""

from datetime import date

import pytest
from django.urls import reverse

from parcours.audit.models import AuditEvent
from parcours.patients.models import PatientIdentifier
from parcours.patients.services import patient_create


def _patient(territory):
    return patient_create(
        actor=territory.gp,
        birth_name="Martinot",
        birth_given_names="Lise",
        birth_date=date(1961, 2, 3),
        sex="F",
    ).patient


def _post(client, patient, org, value="IPP-0042", kind="IPP"):
    return client.post(
        reverse("patients:identifier-add", args=[patient.pk]),
        {"organisation": org.pk, "kind": kind, "value": value},
    )


def test_gp_adds_their_practice_number_and_it_is_audited(territory, login):
    patient = _patient(territory)
    client = login(territory.gp)
    page = client.get(reverse("patients:detail", args=[patient.pk]))
    assert "Ajouter un identifiant local" in page.content.decode()
    response = _post(client, patient, territory.msp1, value=" 12 345 ", kind="OTHER")
    assert response.status_code == 302
    ident = PatientIdentifier.objects.get(patient=patient)
    assert (ident.value, ident.organisation, ident.kind) == ("12345", territory.msp1, "OTHER")
    assert ident.system == f"urn:parcours:other:{territory.msp1.pk}"
    assert AuditEvent.objects.filter(patient_id=patient.pk, action="update").exists()


def test_same_number_of_another_organisation_does_not_collide(territory, login, make_referral):
    patient = _patient(territory)
    other = patient_create(
        actor=territory.gp2,
        birth_name="Bernardin",
        birth_given_names="Paul",
        birth_date=date(1970, 5, 6),
        sex="M",
    ).patient
    _post(login(territory.gp), patient, territory.msp1, value="777")
    _post(login(territory.gp2), other, territory.msp2, value="777")
    assert PatientIdentifier.objects.filter(value="777").count() == 2


def test_number_already_given_to_another_identity_is_refused(territory, login):
    patient = _patient(territory)
    other = patient_create(
        actor=territory.gp,
        birth_name="Bernardin",
        birth_given_names="Paul",
        birth_date=date(1970, 5, 6),
        sex="M",
    ).patient
    client = login(territory.gp)
    _post(client, patient, territory.msp1, value="888")
    response = _post(client, other, territory.msp1, value="888")
    page = client.get(response.url)
    assert "déjà attribué à une autre identité" in page.content.decode()
    assert not PatientIdentifier.objects.filter(patient=other).exists()


def test_organisation_must_be_one_of_the_users(territory, login):
    patient = _patient(territory)
    _post(login(territory.gp), patient, territory.alpha)
    assert not PatientIdentifier.objects.filter(patient=patient).exists()


@pytest.mark.parametrize("who", ["gp2", "desk", "doctor", "nobody"])
def test_users_who_cannot_see_the_patient_get_404(territory, login, who):
    patient = _patient(territory)
    org = territory.msp2 if who == "gp2" else territory.alpha
    response = _post(login(getattr(territory, who)), patient, org)
    assert response.status_code == 404
    assert not PatientIdentifier.objects.filter(patient=patient).exists()


def test_get_is_not_allowed(territory, login):
    patient = _patient(territory)
    response = login(territory.gp).get(reverse("patients:identifier-add", args=[patient.pk]))
    assert response.status_code == 405
