"""The agenda pages through HTTP, per role."""

import pytest
from django.urls import reverse

from conftest import pdf_upload
from parcours.audit.models import AuditEvent
from parcours.scheduling.models import Appointment, Slot
from parcours.scheduling.services import slot_book

from .fixtures import slot_on


def test_gp_searches_books_and_sees_the_confirmation(agenda, territory, patient, login):
    client = login(territory.gp)
    page = client.get(reverse("scheduling:search"), {"patient": patient.pk})
    html = page.content.decode()
    assert page.status_code == 200 and "Consultation" in html and "urgence" in html
    slot = slot_on(agenda.cardio, 9)
    url = reverse("scheduling:book", args=[slot.pk]) + f"?patient={patient.pk}"
    assert "Dernier ECG" in client.get(url).content.decode()
    response = client.post(url, {"note": "Bilan"})
    a = Appointment.objects.get()
    assert response.url == reverse("scheduling:appointment", args=[a.pk])
    confirmation = client.get(response.url).content.decode()
    assert "Dernier ECG et ordonnances" in confirmation and a.reference in confirmation


def test_booking_a_taken_slot_shows_the_message(agenda, territory, patient, login):
    slot = slot_on(agenda.cardio, 9)
    slot_book(user=territory.gp2, slot=slot, patient=patient)
    response = login(territory.gp).post(
        reverse("scheduling:book", args=[slot.pk]) + f"?patient={patient.pk}", {}
    )
    assert response.status_code == 400
    assert "Ce créneau est déjà pris." in response.content.decode()


def test_search_page_refuses_a_reversed_period(agenda, territory, login):
    page = login(territory.gp).get(
        reverse("scheduling:search"), {"start": "2026-03-20", "end": "2026-03-10"}
    )
    assert "La fin de la période doit suivre son début." in page.content.decode()


def test_without_a_patient_the_gp_chooses_one(agenda, territory, patient, login):
    slot = slot_on(agenda.cardio, 9)
    page = login(territory.gp).get(reverse("scheduling:book", args=[slot.pk]))
    assert f"?patient={patient.pk}" in page.content.decode()
    assert f"next=slot-{slot.pk}" in page.content.decode()


@pytest.mark.parametrize(
    "who, status",
    [
        ("gp", 200),
        ("gp2", 404),
        ("desk", 200),
        ("doctor", 200),
        ("pneumo", 404),
        ("desk_beta", 404),
        ("admin", 404),
        ("nobody", 404),
    ],
)
def test_appointment_page_per_role(agenda, territory, patient, login, who, status):
    a = slot_book(user=territory.gp, slot=slot_on(agenda.cardio, 9), patient=patient)
    response = login(getattr(territory, who)).get(reverse("scheduling:appointment", args=[a.pk]))
    assert response.status_code == status
    if status == 200:
        assert AuditEvent.objects.filter(
            object_type="appointment", action="read", object_id=str(a.pk)
        ).exists()


@pytest.mark.parametrize(
    "who, status",
    [("gp", 404), ("desk", 200), ("doctor", 200), ("pneumo", 404), ("admin", 404), ("nobody", 404)],
)
def test_staff_agenda_page_per_role(agenda, territory, login, who, status):
    response = login(getattr(territory, who)).get(
        reverse("scheduling:agenda", args=[agenda.cardio.pk])
    )
    assert response.status_code == status


@pytest.mark.parametrize("who, status", [("gp", 200), ("desk", 200), ("nobody", 404)])
def test_search_page_per_role(agenda, territory, login, who, status):
    assert login(getattr(territory, who)).get(reverse("scheduling:search")).status_code == status


def test_gp2_cannot_open_a_slot_reserved_to_another_practice(agenda, territory, patient, login):
    slot = slot_on(agenda.cardio, 10)
    response = login(territory.gp2).get(reverse("scheduling:book", args=[slot.pk]))
    assert response.status_code == 404


def test_staff_close_a_period_from_the_agenda_page(agenda, territory, login):
    response = login(territory.desk).post(
        reverse("scheduling:agenda", args=[agenda.cardio.pk]),
        {"start": "2026-03-09T08:00", "end": "2026-03-09T12:00", "reason": "Formation"},
    )
    assert response.status_code == 302
    assert set(
        agenda.cardio.slots.filter(start__date="2026-03-09").values_list("status", flat=True)
    ) == {Slot.Status.BLOCKED}


def test_radiologist_publishes_the_report_and_the_prescriber_reads_it(
    agenda, territory, patient, login, frozen, settings
):
    settings.IMAGING_RESULTS_URL = "https://pacs.example.test/viewer?acc={accession}"
    a = slot_book(user=territory.gp, slot=slot_on(agenda.echo, 12, 14), patient=patient)
    frozen.move_to(a.end)
    url = reverse("scheduling:appointment", args=[a.pk])
    # The GP cannot publish a report.
    login(territory.gp).post(url, {"action": "report", "report-conclusion": "x"})
    assert not hasattr(Appointment.objects.get(pk=a.pk), "report")
    response = login(agenda.radiologist).post(
        url,
        {
            "action": "report",
            "report-conclusion": "Nodule isoéchogène de 8 mm, EU-TIRADS 3.",
            "report-accession": "ACC123",
            "report-file": pdf_upload("cr.pdf"),
        },
    )
    assert response.status_code == 302
    page = login(territory.gp).get(url).content.decode()
    assert "EU-TIRADS 3" in page and "https://pacs.example.test/viewer?acc=ACC123" in page
    pdf = login(territory.gp).get(reverse("scheduling:report-file", args=[a.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert (
        login(territory.gp2).get(reverse("scheduling:report-file", args=[a.pk])).status_code == 404
    )


def test_report_upload_refuses_a_non_pdf(agenda, territory, patient, login, frozen):
    from django.core.files.uploadedfile import SimpleUploadedFile

    a = slot_book(user=territory.gp, slot=slot_on(agenda.echo, 12, 14), patient=patient)
    frozen.move_to(a.end)
    login(agenda.radiologist).post(
        reverse("scheduling:appointment", args=[a.pk]),
        {
            "action": "report",
            "report-conclusion": "RAS",
            "report-file": SimpleUploadedFile("cr.pdf", b"MZ\x90\x00 not a pdf"),
        },
    )
    assert not hasattr(Appointment.objects.get(pk=a.pk), "report")


def test_opinion_thread_reaches_the_other_side(agenda, territory, patient, login):
    from parcours.notifications.models import Notification

    a = slot_book(user=territory.gp, slot=slot_on(agenda.echo, 12, 14), patient=patient)
    login(territory.gp).post(
        reverse("scheduling:appointment", args=[a.pk]),
        {"action": "message", "message-body": "Doppler souhaité ?"},
    )
    assert Notification.objects.filter(user=agenda.radiologist, kind="appointment_message").exists()


def test_ical_feed_needs_the_token_and_shows_initials_only(agenda, territory, patient, client):
    slot_book(user=territory.gp, slot=slot_on(agenda.cardio, 9), patient=patient)
    url = reverse("scheduling:ical", args=[agenda.cardio.pk, agenda.cardio.ical_token])
    body = client.get(url).content.decode()
    assert "BEGIN:VCALENDAR" in body and "Consultation — M. D." in body
    assert "DUPONT" not in body.upper()
    assert (
        client.get(reverse("scheduling:ical", args=[agenda.cardio.pk, "wrong"])).status_code == 404
    )


def test_outcome_is_staff_only_and_after_the_time(agenda, territory, patient, login, frozen):
    a = slot_book(user=territory.gp, slot=slot_on(agenda.cardio, 9), patient=patient)
    url = reverse("scheduling:appointment", args=[a.pk])
    login(territory.desk).post(url, {"action": "outcome", "outcome-status": "noshow"})
    assert Appointment.objects.get(pk=a.pk).status == "booked"
    frozen.move_to(a.end)
    login(territory.gp).post(url, {"action": "outcome", "outcome-status": "noshow"})
    assert Appointment.objects.get(pk=a.pk).status == "booked"
    login(territory.desk).post(url, {"action": "outcome", "outcome-status": "noshow"})
    assert Appointment.objects.get(pk=a.pk).status == "noshow"


def test_staff_add_an_act_and_a_weekly_opening_which_opens_slots(agenda, territory, login):
    url = reverse("scheduling:setup", args=[agenda.cardio.pk])
    client = login(territory.desk)
    assert client.get(url).status_code == 200
    client.post(
        url,
        {
            "form": "act",
            "act-name": "Échographie cardiaque",
            "act-duration_minutes": 40,
            "act-instructions": "Aucune préparation.",
        },
    )
    act = agenda.cardio.acts.get(name="Échographie cardiaque")
    before = agenda.cardio.slots.count()
    response = client.post(
        url,
        {
            "form": "rule",
            "rule-weekday": 4,
            "rule-start_time": "14:00",
            "rule-end_time": "16:00",
            "rule-act": act.pk,
            "rule-pool": "partner",
            "rule-partner": territory.msp1.pk,
        },
    )
    assert response.status_code == 302
    # 3 per Friday over the 2-week horizon: today 14:00 is still to come, then 13 and 20 March.
    assert agenda.cardio.slots.count() - before == 9
    rule = agenda.cardio.rules.get(act=act)
    client.post(url, {"form": "remove", "rule": rule.pk})
    assert (
        agenda.cardio.slots.count() == before and not agenda.cardio.rules.filter(act=act).exists()
    )


def test_opening_refuses_a_reversed_time_and_a_partner_pool_without_partner(
    agenda, territory, login
):
    url = reverse("scheduling:setup", args=[agenda.cardio.pk])
    response = login(territory.desk).post(
        url,
        {
            "form": "rule",
            "rule-weekday": 4,
            "rule-start_time": "16:00",
            "rule-end_time": "14:00",
            "rule-act": agenda.consult.pk,
            "rule-pool": "partner",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400 and "La fin de la plage doit suivre son début." in html
    assert "Choisissez la structure" in html


@pytest.mark.parametrize(
    "who, status", [("gp", 404), ("desk", 200), ("doctor", 200), ("pneumo", 404), ("nobody", 404)]
)
def test_setup_page_per_role(agenda, territory, login, who, status):
    response = login(getattr(territory, who)).get(
        reverse("scheduling:setup", args=[agenda.cardio.pk])
    )
    assert response.status_code == status
