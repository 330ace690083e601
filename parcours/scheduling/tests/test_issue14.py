"""Issue 14 on the agendas, through HTTP: the week booking grid, moves that keep their
reference, the waitlist, reports not before the exam, reminders' day words, prescriptions on
imaging bookings, the imaging role's landing page, live fragments."""

from datetime import date, datetime, timedelta
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import pdf_upload
from parcours.audit.models import AuditEvent
from parcours.notifications.models import Notification
from parcours.scheduling.models import Appointment, ImagingReport, Slot, WaitlistEntry
from parcours.scheduling.services import (
    appointment_cancel,
    reminder_when,
    reminders_send,
    slot_book,
    slots_generate,
)

from .fixtures import PARIS, slot_on

# --- the week grid ---------------------------------------------------------------------------


def text(response) -> str:
    """The page as the user reads it (entities such as &#x27; decoded)."""
    return unescape(response.content.decode())


def _week(schedule, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("scheduling:week", args=[schedule.pk]) + (f"?{query}" if query else "")


@pytest.mark.parametrize(
    "who, status",
    [
        ("gp", 200),
        ("gp2", 200),
        ("desk", 200),
        ("doctor", 200),
        ("pneumo", 404),
        ("desk_beta", 404),
        ("admin", 404),
        ("cell", 404),
        ("nobody", 404),
    ],
)
def test_week_grid_per_role(agenda, territory, login, who, status):
    response = login(getattr(territory, who)).get(_week(agenda.cardio, semaine="2026-03-09"))
    assert response.status_code == status
    if status == 200:
        html = text(response)
        assert 'data-testid="week-grid"' in html and "Lundi 9" in html


def test_week_grid_marks_urgent_and_reserved_slots_in_words(agenda, territory, patient, login):
    html = text(
        login(territory.gp).get(_week(agenda.cardio, semaine="2026-03-09", patient=patient.pk))
    )
    urgent, partner = slot_on(agenda.cardio, 11), slot_on(agenda.cardio, 10)
    assert f'data-slot="{urgent.pk}"' in html and f'data-slot="{partner.pk}"' in html
    assert "réservé aux urgences : le motif d'urgence est demandé" in html  # the legend
    assert html.count('class="tag urgent">Urgence') >= 3  # legend + two urgent slots
    assert "Réservé</span>" in html
    # The page says for whom, links carry the patient, and the waitlist is one click away.
    assert "DUPONT" in html.upper() and "Pour :" in html
    assert reverse("scheduling:book", args=[urgent.pk]) + f"?patient={patient.pk}" in html
    assert (
        reverse("scheduling:waitlist", args=[agenda.cardio.pk]) + f"?patient={patient.pk}" in html
    )
    assert AuditEvent.objects.filter(
        action="read", patient_id=patient.pk, detail__startswith="grille de réservation"
    ).exists()


def test_another_practice_does_not_see_the_slots_reserved_to_msp_un(agenda, territory, login):
    partner = slot_on(agenda.cardio, 10)
    html = text(login(territory.gp2).get(_week(agenda.cardio, semaine="2026-03-09")))
    assert f'data-slot="{partner.pk}"' not in html


def test_week_grid_shows_the_next_free_slot(agenda, territory, login):
    first = slot_on(agenda.cardio, 9)
    slot_book(user=territory.gp, slot=first, patient=_patient(territory))
    html = text(login(territory.gp).get(_week(agenda.cardio, semaine="2026-03-16")))
    second = slot_on(agenda.cardio, 9, 9, 30)
    assert "Prochain créneau disponible" in html
    assert reverse("scheduling:book", args=[second.pk]) in html
    assert "?semaine=2026-03-09" in html  # « Voir sa semaine »


def test_request_wished_window_prefills_the_grid_week(agenda, territory, make_referral, login):
    referral = make_referral(
        kind="CONSULTATION",
        question="Bilan de dyspnée.",
        wished_from=date(2026, 3, 17),
        wished_until=date(2026, 3, 19),
    )
    html = text(login(territory.desk).get(_week(agenda.cardio, referral=referral.pk)))
    assert "Semaine du 16 mars au 22 mars 2026" in html
    assert "Période souhaitée par le demandeur : du 17/03/2026 au 19/03/2026" in html
    assert referral.reference in html
    assert f"?referral={referral.pk}" in html


def test_week_grid_queries_do_not_grow_with_the_number_of_slots(agenda, territory, login):
    client = login(territory.gp)
    url = _week(agenda.cardio, semaine="2026-03-09")
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    # Open many more slots that week: Thursday and Friday, every 30 minutes all day.
    from datetime import time

    from parcours.scheduling.models import AvailabilityRule

    for weekday in (3, 4):
        AvailabilityRule.objects.create(
            schedule=agenda.cardio,
            weekday=weekday,
            start_time=time(8),
            end_time=time(19),
            act=agenda.consult,
        )
    slots_generate(schedule=agenda.cardio)
    assert Slot.objects.filter(schedule=agenda.cardio).count() > 50
    with CaptureQueriesContext(connection) as many:
        html = text(client.get(url))
    assert "18:30" in html
    assert len(many.captured_queries) == len(few.captured_queries)


# --- moves (bug 3 and « a move keeps the appointment's reference ») --------------------------


def test_move_page_marks_urgent_slots_and_has_a_reason_field(agenda, territory, patient, login):
    a = slot_book(user=territory.gp, slot=slot_on(agenda.cardio, 9), patient=patient)
    html = text(login(territory.gp).get(reverse("scheduling:move", args=[a.pk])))
    urgent = slot_on(agenda.cardio, 11)
    assert f'value="{urgent.pk}" required data-urgent' in html
    assert 'name="urgent_reason"' in html and "Obligatoire si le nouveau créneau" in html


def test_move_into_an_urgent_slot_without_reason_is_refused_on_the_page(
    agenda, territory, patient, login
):
    a = slot_book(user=territory.gp, slot=slot_on(agenda.cardio, 9), patient=patient)
    urgent = slot_on(agenda.cardio, 11)
    client = login(territory.gp)
    url = reverse("scheduling:move", args=[a.pk])
    response = client.post(url, {"slot": urgent.pk, "urgent_reason": ""})
    assert response.status_code == 400
    html = text(response)
    assert "indiquez le motif d'urgence" in html
    assert f'value="{urgent.pk}" required checked' in html  # the choice is kept
    a.refresh_from_db()
    assert a.slot_id != urgent.pk
    response = client.post(url, {"slot": urgent.pk, "urgent_reason": "Syncope d'effort"})
    assert response.status_code == 302
    assert response.url == reverse("scheduling:appointment", args=[a.pk])
    a.refresh_from_db()
    assert (a.slot_id, a.urgent_reason, a.status) == (urgent.pk, "Syncope d'effort", "booked")
    page = text(client.get(response.url))
    assert a.reference in page and "Historique des déplacements" in page
    assert Appointment.objects.count() == 1


def test_move_without_choosing_a_slot_says_so(agenda, territory, patient, login):
    a = slot_book(user=territory.gp, slot=slot_on(agenda.cardio, 9), patient=patient)
    response = login(territory.gp).post(reverse("scheduling:move", args=[a.pk]), {})
    assert response.status_code == 400
    assert "Choisissez le nouveau créneau." in text(response)


# --- cancelled appointments leave « à venir » --------------------------------------------------


def test_cancelled_appointment_leaves_upcoming_and_is_listed_with_the_past(
    agenda, territory, patient, login
):
    a = slot_book(user=territory.gp, slot=slot_on(agenda.cardio, 9), patient=patient)
    appointment_cancel(user=territory.gp, appointment=a, reason="Patient hospitalisé")
    client = login(territory.gp)
    upcoming = text(client.get(reverse("scheduling:appointments")))
    assert a.reference not in upcoming
    past = text(client.get(reverse("scheduling:appointments") + "?passes=1"))
    assert a.reference in past and "Annulé" in past


# --- waitlist (bug 5) -------------------------------------------------------------------------


def test_waitlist_refuses_a_window_with_free_slots_and_offers_them(
    agenda, territory, patient, login
):
    url = reverse("scheduling:waitlist", args=[agenda.cardio.pk]) + f"?patient={patient.pk}"
    response = login(territory.gp).post(
        url, {"patient": patient.pk, "earliest": "2026-03-09", "latest": "2026-03-09"}
    )
    assert response.status_code == 400
    html = text(response)
    assert "Des créneaux sont encore libres sur cette période" in html
    free = slot_on(agenda.cardio, 9)
    assert reverse("scheduling:book", args=[free.pk]) + f"?patient={patient.pk}" in html
    assert not WaitlistEntry.objects.exists()


def test_waitlist_accepts_a_full_window(agenda, territory, patient, login):
    for slot in (slot_on(agenda.cardio, 9), slot_on(agenda.cardio, 9, 9, 30)):
        slot_book(user=territory.gp2, slot=slot, patient=patient)
    url = reverse("scheduling:waitlist", args=[agenda.cardio.pk]) + f"?patient={patient.pk}"
    client = login(territory.gp)
    page = text(client.get(url + "&earliest=2026-03-09&latest=2026-03-09"))
    assert 'value="2026-03-09"' in page
    response = client.post(
        url, {"patient": patient.pk, "earliest": "2026-03-09", "latest": "2026-03-09"}
    )
    assert response.status_code == 302
    assert WaitlistEntry.objects.get().requested_by == territory.gp


@pytest.mark.parametrize("who", ["desk", "gp2", "nobody"])
def test_waitlist_is_for_the_patients_gp(agenda, territory, patient, login, who):
    url = reverse("scheduling:waitlist", args=[agenda.cardio.pk]) + f"?patient={patient.pk}"
    assert login(getattr(territory, who)).get(url).status_code == 404


# --- imaging: report not before the exam (bug 2), prescription ---------------------------------


def test_report_before_the_exam_is_refused_and_the_appointment_stays_booked(
    agenda, territory, patient, login, frozen
):
    a = slot_book(user=territory.gp, slot=slot_on(agenda.echo, 12, 14), patient=patient)
    client = login(agenda.radiologist)
    url = reverse("scheduling:appointment", args=[a.pk])
    page = text(client.get(url))
    assert "Le compte rendu pourra être publié une fois l'examen passé" in page
    assert 'value="report"' not in page
    response = client.post(
        url, {"action": "report", "report-conclusion": "Nodule 8 mm."}, follow=True
    )
    assert "L'examen n'a pas encore eu lieu" in text(response)
    a.refresh_from_db()
    assert a.status == "booked" and not ImagingReport.objects.exists()
    frozen.move_to(a.start + timedelta(minutes=30))
    client = login(agenda.radiologist)  # a new session: the first one expired meanwhile
    client.post(url, {"action": "report", "report-conclusion": "Nodule 8 mm."})
    a.refresh_from_db()
    assert a.status == "fulfilled" and a.report.conclusion == "Nodule 8 mm."


def test_prescription_attached_to_an_imaging_booking_reaches_the_centre(
    agenda, territory, patient, login
):
    slot = slot_on(agenda.echo, 12, 14)
    url = reverse("scheduling:book", args=[slot.pk]) + f"?patient={patient.pk}"
    client = login(territory.gp)
    assert 'name="prescription"' in text(client.get(url))
    response = client.post(url, {"note": "", "prescription": pdf_upload("ordo.pdf")})
    a = Appointment.objects.get()
    assert response.status_code == 302 and a.prescription_name == "ordo.pdf"
    radiologist = login(agenda.radiologist)
    page = text(radiologist.get(reverse("scheduling:appointment", args=[a.pk])))
    assert reverse("scheduling:prescription", args=[a.pk]) in page
    download = radiologist.get(reverse("scheduling:prescription", args=[a.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download).startswith(b"%PDF")
    assert AuditEvent.objects.filter(
        action="download", user=agenda.radiologist, patient_id=patient.pk
    ).exists()
    assert (
        login(territory.gp2).get(reverse("scheduling:prescription", args=[a.pk])).status_code == 404
    )


def test_a_prescription_of_the_wrong_type_is_refused_with_nothing_booked(
    agenda, territory, patient, login
):
    slot = slot_on(agenda.echo, 12, 14)
    url = reverse("scheduling:book", args=[slot.pk]) + f"?patient={patient.pk}"
    bad = SimpleUploadedFile("ordo.exe", b"MZ\x90\x00" + b"\x00" * 300)
    response = login(territory.gp).post(url, {"note": "", "prescription": bad})
    assert response.status_code == 400
    assert "n'est pas accepté" in text(response)
    assert not Appointment.objects.exists()
    slot.refresh_from_db()
    assert slot.status == "free"


def test_consultation_booking_offers_no_prescription_field(agenda, territory, patient, login):
    url = reverse("scheduling:book", args=[slot_on(agenda.cardio, 9).pk]) + f"?patient={patient.pk}"
    assert 'name="prescription"' not in text(login(territory.gp).get(url))


# --- the imaging role's landing page (bug 11) --------------------------------------------------


def test_radiologist_lands_on_the_centres_appointments(agenda, login):
    response = login(agenda.radiologist).get("/")
    assert response.status_code == 302 and response.url == reverse("scheduling:appointments")


# --- reminders' day words (bug 15) -------------------------------------------------------------


def test_reminder_words_follow_the_paris_calendar_day():
    now = datetime(2026, 3, 6, 8, 0, tzinfo=PARIS)
    assert (
        reminder_when(datetime(2026, 3, 6, 16, 30, tzinfo=PARIS), now=now) == "aujourd'hui à 16:30"
    )
    assert reminder_when(datetime(2026, 3, 7, 9, 0, tzinfo=PARIS), now=now) == "demain à 09:00"
    assert (
        reminder_when(datetime(2026, 3, 9, 9, 0, tzinfo=PARIS), now=now) == "le 09/03/2026 à 09:00"
    )
    # 23:30 in Paris is already the next day in UTC terms of some zones: the Paris day counts.
    late = datetime(2026, 3, 6, 23, 30, tzinfo=PARIS)
    assert reminder_when(datetime(2026, 3, 7, 0, 30, tzinfo=PARIS), now=late) == "demain à 00:30"


def test_reminder_for_later_today_says_today(agenda, territory, patient, frozen):
    slot = slot_on(agenda.cardio, 9, 9, 30)
    slot_book(user=territory.gp, slot=slot, patient=patient)
    frozen.move_to(datetime(2026, 3, 9, 7, 0, tzinfo=PARIS))
    assert reminders_send()["reminders"] == 1
    title = Notification.objects.get(kind="appointment_reminder").title
    assert "aujourd'hui à 09:30" in title and "demain" not in title


# --- live updates (bug 7, scheduling part) ------------------------------------------------------


def test_appointment_page_declares_a_live_fragment_for_the_hospital_side(
    agenda, territory, patient, login
):
    a = slot_book(user=territory.gp, slot=slot_on(agenda.cardio, 9), patient=patient)
    client = login(territory.desk)
    url = reverse("scheduling:appointment", args=[a.pk])
    assert f'data-live-url="{url}?fragment=1"' in text(client.get(url))
    appointment_cancel(user=territory.gp, appointment=a, reason="Patient hospitalisé")
    # The desk is told (the stream pushes it) and the fragment shows the new state.
    assert Notification.objects.filter(user=territory.desk, kind="appointment_cancelled")
    fragment = text(client.get(url + "?fragment=1"))
    assert "Annulé" in fragment and "<html" not in fragment
    listing = text(client.get(reverse("scheduling:appointments") + "?fragment=1"))
    assert a.reference not in listing and "<html" not in listing


def _patient(territory):
    from parcours.patients.services import patient_create

    return patient_create(
        actor=territory.gp,
        birth_name="Martin",
        birth_given_names="Paul",
        birth_date=date(1961, 2, 1),
        sex="M",
        birthplace_insee="53130",
    ).patient


def test_staff_agenda_week_refreshes_live(agenda, territory, patient, login):
    client = login(territory.desk)
    url = reverse("scheduling:agenda", args=[agenda.cardio.pk])
    page = text(client.get(url + "?semaine=2026-03-09"))
    assert f'data-live-url="{url}?semaine=2026-03-09&fragment=1"' in page
    slot_book(user=territory.gp, slot=slot_on(agenda.cardio, 9), patient=patient)
    fragment = text(client.get(url + "?semaine=2026-03-09&fragment=1"))
    assert "DUPONT" in fragment.upper() and "<html" not in fragment


def test_week_grid_for_another_gps_patient_is_not_found(agenda, territory, patient, login):
    assert login(territory.gp2).get(_week(agenda.cardio, patient=patient.pk)).status_code == 404


def test_search_from_a_request_prefills_its_wished_window_and_lists_its_agendas(
    agenda, territory, make_referral, login
):
    referral = make_referral(
        kind="CONSULTATION",
        question="Bilan de dyspnée.",
        wished_from=date(2026, 3, 17),
        wished_until=date(2026, 3, 19),
    )
    page = text(login(territory.desk).get(reverse("scheduling:search"), {"referral": referral.pk}))
    assert 'value="2026-03-17"' in page and 'value="2026-03-19"' in page
    assert "Mardi 17 mars 2026" in page and "Lundi 16 mars 2026" not in page
    assert _week(agenda.cardio, referral=referral.pk) in page.replace("&amp;", "&")
    # The imaging device of the hospital has no service: listed; none of another service's.
    assert reverse("scheduling:week", args=[agenda.echo.pk]) in page


def test_report_published_reaches_the_prescriber_and_the_centres_other_staff(
    agenda, territory, patient, frozen
):
    from conftest import _user
    from parcours.accounts.models import Membership, Role
    from parcours.scheduling.services import report_attach

    secretary = _user("secretaire")
    Membership.objects.create(user=secretary, organisation=territory.alpha, role=Role.IMAGING)
    a = slot_book(user=territory.gp, slot=slot_on(agenda.echo, 12, 14), patient=patient)
    frozen.move_to(a.start + timedelta(minutes=30))
    report_attach(user=agenda.radiologist, appointment=a, conclusion="Thyroïde normale.")
    assert Notification.objects.filter(user=territory.gp, kind="imaging_report").exists()
    assert Notification.objects.filter(user=secretary, kind="imaging_report_staff").exists()
    assert not Notification.objects.filter(
        user=agenda.radiologist, kind__startswith="imaging_report"
    ).exists()


# --- review: absurd dates in the query string (issue 14 review) -------------------------------


@pytest.mark.parametrize("week", ["9999-12-31", "9999-12-27", "0001-01-01", "0001-01-03"])
def test_week_grid_and_staff_agenda_ignore_an_absurd_week(agenda, territory, login, week):
    """A week at the edge of the calendar (typed or followed from « semaine suivante ») was a
    500 (date overflow): the pages open on the current week instead."""
    gp = login(territory.gp).get(_week(agenda.cardio, semaine=week))
    assert gp.status_code == 200 and 'data-testid="week-grid"' in text(gp)
    staff = login(territory.desk).get(
        reverse("scheduling:agenda", args=[agenda.cardio.pk]) + f"?semaine={week}"
    )
    assert staff.status_code == 200


def test_slot_search_refuses_an_absurdly_far_period_with_a_message(agenda, territory, login):
    response = login(territory.gp).get(
        reverse("scheduling:search"), {"start": "9999-12-31", "end": "9999-12-31"}
    )
    assert response.status_code == 200
    assert "trop lointaine" in text(response)


@pytest.mark.parametrize("latest", ["9999-12-31", "2031-01-01"])
def test_waitlist_refuses_an_absurdly_far_window_with_a_message(
    agenda, territory, patient, login, latest
):
    """31/12/9999 as « Jusqu'au » overflowed the free-slot check (a 500); years ahead is no
    waiting list either."""
    url = reverse("scheduling:waitlist", args=[agenda.cardio.pk]) + f"?patient={patient.pk}"
    response = login(territory.gp).post(
        url, {"patient": patient.pk, "earliest": "2026-03-09", "latest": latest}
    )
    assert response.status_code == 400
    assert "trop lointaine" in text(response)
    assert not WaitlistEntry.objects.exists()


def test_booking_form_asks_the_urgency_reason_only_for_an_urgent_slot(
    agenda, territory, patient, login
):
    """An « Motif d'urgence » field on every booking form (an ordinary consultation, a
    scanner) left GPs wondering whether to fill it in."""
    client = login(territory.gp)
    plain = text(
        client.get(
            reverse("scheduling:book", args=[slot_on(agenda.cardio, 9).pk])
            + f"?patient={patient.pk}"
        )
    )
    assert "Consultation" in plain and 'name="urgent_reason"' not in plain
    urgent = text(
        client.get(
            reverse("scheduling:book", args=[slot_on(agenda.cardio, 11).pk])
            + f"?patient={patient.pk}"
        )
    )
    assert 'name="urgent_reason"' in urgent
    response = client.post(
        reverse("scheduling:book", args=[slot_on(agenda.cardio, 9).pk]) + f"?patient={patient.pk}",
        {"note": "Bilan"},
    )
    assert response.status_code == 302
