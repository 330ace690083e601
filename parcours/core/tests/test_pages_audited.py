"""Pages that show a patient's identity write their audit row (issue 13: the new request
form, the booking form and the new message form opened with ?patient= wrote none)."""

from django.urls import reverse

from parcours.audit.models import AuditEvent
from parcours.scheduling.tests.fixtures import slot_on


def _rows(user, patient):
    return AuditEvent.objects.filter(user=user, patient_id=patient.pk, action="read")


def test_the_new_request_form_audits_the_patient_it_shows(territory, patient, login):
    before = _rows(territory.gp, patient).count()
    response = login(territory.gp).get(reverse("referrals:new") + f"?patient={patient.pk}")
    assert response.status_code == 200
    assert _rows(territory.gp, patient).count() == before + 1


def test_the_booking_form_audits_the_patient_it_shows(agenda, territory, patient, login):
    slot = slot_on(agenda.cardio, 9)
    before = _rows(territory.gp, patient).count()
    url = reverse("scheduling:book", args=[slot.pk]) + f"?patient={patient.pk}"
    assert login(territory.gp).get(url).status_code == 200
    assert _rows(territory.gp, patient).count() == before + 1


def test_the_booking_patient_choice_audits_the_patients_listed(agenda, territory, patient, login):
    slot = slot_on(agenda.cardio, 9)
    assert login(territory.gp).get(reverse("scheduling:book", args=[slot.pk])).status_code == 200
    row = AuditEvent.objects.filter(user=territory.gp, action="list").latest("id")
    assert str(patient.pk) in row.detail


def test_the_new_message_form_audits_the_patient_it_shows(territory, patient, login):
    before = _rows(territory.gp, patient).count()
    response = login(territory.gp).get(reverse("messaging:compose") + f"?patient={patient.pk}")
    assert response.status_code == 200
    assert _rows(territory.gp, patient).count() == before + 1
