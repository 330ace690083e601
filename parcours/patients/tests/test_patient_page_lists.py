"""The patient page lists what the other areas hold about the patient — appointments, imaging
reports, discharge letters, requests — each through the owning area's access rules (issue 14,
bug 9); « Mes patients » lists the patients a professional cares for."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.audit.models import AuditEvent
from parcours.patients.services import emergency_access_open, patient_create
from parcours.scheduling.tests.fixtures import slot_on

CONCLUSION = "Nodule thyroïdien isolé de 8 mm, classé EU-TIRADS 3."


@pytest.fixture
def booked(territory, agenda, patient):
    """``gp`` booked a cardiology consultation and a thyroid ultrasound (with its report)."""
    from parcours.scheduling.models import ImagingReport
    from parcours.scheduling.services import slot_book

    consult = slot_book(user=territory.gp, slot=slot_on(agenda.cardio, 9), patient=patient)
    echo = slot_book(user=territory.gp, slot=slot_on(agenda.echo, 12, 14), patient=patient)
    # The report itself is the scheduling area's business (its rules on when it may be
    # written are tested there): written directly here.
    ImagingReport.objects.create(appointment=echo, conclusion=CONCLUSION, author=agenda.radiologist)
    return consult, echo


def _page(login, user, patient):
    return login(user).get(reverse("patients:detail", args=[patient.pk]))


def test_the_booking_gp_sees_appointments_and_imaging_report(territory, login, patient, booked):
    consult, echo = booked
    page = _page(login, territory.gp, patient)
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("scheduling:appointment", args=[consult.pk]) in html
    assert reverse("scheduling:appointment", args=[echo.pk]) in html
    assert "Échographie thyroïdienne" in html and "Consultation" in html
    assert CONCLUSION in html
    assert page.context["imaging_reports"] == [echo]
    assert AuditEvent.objects.filter(
        user=territory.gp, action="read", patient_id=patient.pk
    ).exists()


def test_the_agenda_staff_see_the_appointments_of_their_agenda_only(
    territory, agenda, login, patient, booked
):
    consult, echo = booked
    # The cardiologist runs the cardiology agenda, not the ultrasound device.
    page = _page(login, territory.doctor, patient)
    assert page.status_code == 200
    assert page.context["patient_appointments"] == [consult]
    assert CONCLUSION not in page.content.decode()
    # The radiologist (imaging staff of CH Alpha) runs both agendas of the organisation.
    page = _page(login, agenda.radiologist, patient)
    assert set(page.context["patient_appointments"]) == {consult, echo}
    assert CONCLUSION in page.content.decode()


def test_a_gp_with_the_identity_only_sees_no_appointment_of_others(
    territory, login, patient, booked
):
    # gp2 types the same traits: identity only, and none of gp's appointments.
    patient_create(
        actor=territory.gp2,
        birth_name="DUPONT",
        birth_given_names="Marie Anne",
        birth_date=date(1950, 4, 3),
        sex="F",
        birthplace_insee="53130",
    )
    page = _page(login, territory.gp2, patient)
    assert page.status_code == 200
    assert page.context["patient_appointments"] == []
    assert CONCLUSION not in page.content.decode()
    assert "Aucun rendez-vous visible pour ce patient." in page.content.decode()


@pytest.mark.parametrize("who", ["nobody", "admin", "pneumo"])
def test_others_get_404_and_no_list(territory, login, patient, booked, who):
    assert _page(login, getattr(territory, who), patient).status_code == 404


def test_discharge_letters_and_requests_are_listed(territory, login, patient, make_referral):
    from parcours.messaging.letters import letter_declare

    referral = make_referral()
    letter = letter_declare(
        actor=territory.desk,
        patient=patient,
        service=territory.cardio,
        recipient=territory.gp,
        discharged_at=timezone.now() - timedelta(hours=2),
    )
    html = _page(login, territory.gp, patient).content.decode()
    assert reverse("messaging:letter", args=[letter.pk]) in html
    assert reverse("referrals:detail", args=[referral.pk]) in html


# --- « Mes patients » -------------------------------------------------------------------------


def _mine(login, user, **params):
    return login(user).get(reverse("patients:mine"), params)


def test_my_patients_lists_the_patients_the_gp_created(territory, login, patient):
    other = patient_create(
        actor=territory.gp2,
        birth_name="Lefort",
        birth_given_names="Jules",
        birth_date=date(1961, 2, 7),
        sex="M",
    ).patient
    page = _mine(login, territory.gp)
    assert page.status_code == 200
    assert list(page.context["page"].object_list) == [patient]
    assert other.display_name not in page.content.decode()
    assert AuditEvent.objects.filter(
        user=territory.gp, action="search", detail__startswith="mes patients"
    ).exists()
    assert reverse("patients:mine") in page.content.decode()  # in the menu


def test_my_patients_search_by_name_ignores_accents_and_case(territory, login, patient):
    patient_create(
        actor=territory.gp,
        birth_name="Hérault",
        birth_given_names="Léon",
        birth_date=date(1970, 1, 1),
        sex="M",
    )
    page = _mine(login, territory.gp, q="herault")
    names = [p.birth_name for p in page.context["page"].object_list]
    assert names == ["HERAULT"]
    assert _mine(login, territory.gp, q="dupont").context["page"].paginator.count == 1
    page = _mine(login, territory.gp, q="zzz")
    assert "Aucun de vos patients ne correspond" in page.content.decode()


def test_my_patients_of_a_hospital_doctor_come_from_requests(
    territory, login, patient, make_referral
):
    assert _mine(login, territory.doctor).context["page"].paginator.count == 0
    make_referral()  # to cardiology: its doctors and desk now care for the patient
    assert list(_mine(login, territory.doctor).context["page"].object_list) == [patient]
    assert list(_mine(login, territory.desk).context["page"].object_list) == [patient]
    assert _mine(login, territory.pneumo).context["page"].paginator.count == 0


def test_bris_de_glace_does_not_make_a_patient_mine(territory, login, patient):
    emergency_access_open(
        actor=territory.pneumo,
        patient=patient,
        reason="Patient inconscient aux urgences, antécédents inconnus.",
    )
    assert _mine(login, territory.pneumo).context["page"].paginator.count == 0


@pytest.mark.parametrize("who", ["nobody", "admin", "cell"])
def test_my_patients_is_empty_without_care(territory, login, patient, who):
    page = _mine(login, getattr(territory, who))
    assert page.status_code == 200
    assert page.context["page"].paginator.count == 0


def test_my_patients_needs_login(client):
    response = client.get(reverse("patients:mine"))
    assert response.status_code == 302


def test_my_patients_bad_date_says_so(territory, login, patient):
    page = _mine(login, territory.gp, birth_date="31/02/1950")
    assert page.status_code == 200
    assert page.context["form"].errors
    assert "Date de naissance" in page.content.decode()
