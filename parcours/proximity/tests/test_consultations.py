"""Consultations on the SMP agendas, intern supervision, treating doctor and hand-over."""

import re
import zlib
from datetime import timedelta

import pytest
from django.urls import reverse

from parcours.lib.errors import Conflict, Forbidden, Invalid
from parcours.messaging.models import Message
from parcours.notifications.models import Notification
from parcours.patients.access import can_see_patient_data
from parcours.patients.models import Patient
from parcours.proximity.models import Consultation, Episode
from parcours.proximity.selectors import indicators, portfolio, supervision_dashboard
from parcours.proximity.services import (
    consultation_book,
    consultation_record,
    consultation_review,
    episode_declare,
    handover_acknowledge,
    handover_send,
    handover_withdraw,
    prescription_issue,
)
from parcours.scheduling.models import Slot


def _pdf_text(data: bytes) -> str:
    """The text drawn by a PDF's (zlib-compressed) content streams, good enough to search."""
    assert data.startswith(b"%PDF-")
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            out.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            out.append(stream.decode("latin-1"))
    return "".join(out)


def _book_and_see(smp, frozen, doctor_agenda, doctor, **kw):
    slot = Slot.objects.filter(schedule=doctor_agenda, status="free").order_by("start").first()
    appointment = consultation_book(actor=smp.assistant, episode=smp.episode, slot=slot)
    frozen.move_to(appointment.start + timedelta(minutes=20))
    return consultation_record(
        actor=doctor,
        episode=smp.episode,
        appointment=appointment,
        reason="Renouvellement de traitement",
        notes="TA 13/8.",
        conclusion="Traitement renouvelé.",
        **kw,
    )


def test_the_assistant_books_an_smp_slot_and_the_first_consultation_stops_the_clock(smp, frozen):
    consultation = _book_and_see(smp, frozen, smp.retired_agenda, smp.retired)
    episode = Episode.objects.get(pk=smp.episode.pk)
    assert episode.status == Episode.Status.ACTIVE
    assert episode.first_seen_at == consultation.start
    assert consultation.review == Consultation.Review.NOT_NEEDED
    assert consultation.appointment.patient_id == smp.patient.pk


def test_an_intern_consultation_needs_the_patients_consent(smp, frozen):
    with pytest.raises(Invalid, match="interne"):
        _book_and_see(smp, frozen, smp.intern_agenda, smp.intern, intern_consent=False)
    assert not Consultation.objects.exists()


def test_an_intern_consultation_enters_the_supervisors_queue_and_is_signed(smp, frozen):
    consultation = _book_and_see(smp, frozen, smp.intern_agenda, smp.intern, intern_consent=True)
    assert consultation.review == Consultation.Review.PENDING
    assert consultation.supervisor == smp.coord
    assert Notification.objects.filter(user=smp.coord, kind="proximity_review").exists()
    frozen.shift(timedelta(hours=20))
    with pytest.raises(Forbidden):
        consultation_review(actor=smp.retired, consultation=consultation, decision="reviewed")
    with pytest.raises(Invalid):
        consultation_review(actor=smp.coord, consultation=consultation, decision="to_discuss")
    done = consultation_review(actor=smp.coord, consultation=consultation, decision="reviewed")
    assert done.reviewed_by == smp.coord and done.reviewed_at is not None
    assert len(done.review_signature) == 64
    with pytest.raises(Conflict):
        consultation_review(actor=smp.coord, consultation=consultation, decision="reviewed")
    board = supervision_dashboard(supervisor=smp.coord, since=done.start - timedelta(days=1))
    assert board["interns"][0]["reviewed"] == 1
    assert board["interns"][0]["mean_delay_hours"] == pytest.approx(20.3, abs=0.1)
    folio = portfolio(intern=smp.intern, since=done.start.date())
    assert list(folio["consultations"]) == [done]


def test_an_assistant_cannot_record_a_consultation_nor_read_one(smp, frozen, client):
    with pytest.raises(Forbidden):
        consultation_record(actor=smp.assistant, episode=smp.episode, reason="x")
    consultation = _book_and_see(smp, frozen, smp.retired_agenda, smp.retired)
    client.force_login(smp.assistant)
    assert client.get(reverse("proximity:consultation", args=[consultation.pk])).status_code == 404
    page = client.get(reverse("proximity:episode", args=[smp.episode.pk])).content.decode()
    assert "TA 13/8" not in page and "Renouvellement" not in page


def test_declaring_an_smp_doctor_then_handing_over_to_a_territory_gp(smp, frozen, territory):
    _book_and_see(smp, frozen, smp.retired_agenda, smp.retired)
    with pytest.raises(Invalid):
        episode_declare(actor=smp.assistant, episode=smp.episode, doctor=smp.intern)
    episode = episode_declare(actor=smp.assistant, episode=smp.episode, doctor=smp.retired)
    assert Patient.objects.get(pk=smp.patient.pk).treating_doctor == smp.retired
    with pytest.raises(Invalid):
        handover_send(
            actor=smp.retired, episode=episode, new_doctor=territory.gp2, summary="trop court"
        )
    episode = handover_send(
        actor=smp.retired,
        episode=episode,
        new_doctor=territory.gp2,
        summary="Hypertension équilibrée, ALD diabète, suivi trimestriel.",
    )
    assert episode.status == Episode.Status.HANDOVER
    assert Message.objects.filter(pk=episode.handover_message_id).exists()
    assert can_see_patient_data(territory.gp2, smp.patient)
    with pytest.raises(Forbidden):
        handover_acknowledge(actor=territory.gp, episode=episode)
    frozen.shift(timedelta(days=3))
    episode = handover_acknowledge(actor=territory.gp2, episode=episode)
    assert episode.status == Episode.Status.FINISHED
    assert Patient.objects.get(pk=smp.patient.pk).treating_doctor == territory.gp2
    figures = indicators(organisation_ids={smp.org.pk}, since=episode.registered_at.date())
    assert figures["handovers"] == 1 and figures["consultations"] == 1


def test_a_handover_never_accepted_is_taken_back_and_can_go_to_another_gp(
    smp, frozen, territory, client
):
    _book_and_see(smp, frozen, smp.retired_agenda, smp.retired)
    episode = handover_send(
        actor=smp.retired,
        episode=smp.episode,
        new_doctor=territory.gp2,
        summary="Hypertension équilibrée, ALD diabète, suivi trimestriel.",
    )
    with pytest.raises(Forbidden):  # the assistant manages the list, not the hand-over
        handover_withdraw(actor=smp.assistant, episode=episode, reason="Pas de réponse")
    with pytest.raises(Invalid):
        handover_withdraw(actor=smp.retired, episode=episode, reason=" ")
    client.force_login(smp.retired)
    page = client.get(reverse("proximity:episode", args=[episode.pk])).content.decode()
    assert "Reprendre le relais" in page
    response = client.post(
        reverse("proximity:handover-withdraw", args=[episode.pk]),
        {"reason": "Pas de réponse depuis trois semaines"},
    )
    assert response.status_code == 302
    episode = Episode.objects.get(pk=episode.pk)
    assert episode.status == Episode.Status.ACTIVE and episode.handover_to_id is None
    assert Notification.objects.filter(user=territory.gp2, title__contains="annulé").exists()
    with pytest.raises(Forbidden):  # the doctor first asked can no longer accept
        handover_acknowledge(actor=territory.gp2, episode=episode)
    with pytest.raises(Conflict):
        handover_withdraw(actor=smp.retired, episode=episode, reason="Deux fois")
    episode = handover_send(
        actor=smp.retired,
        episode=episode,
        new_doctor=territory.gp,
        summary="Hypertension équilibrée, ALD diabète, suivi trimestriel.",
    )
    assert handover_acknowledge(actor=territory.gp, episode=episode).status == "finished"


def test_the_supervision_page_and_review_form_for_the_supervisor(smp, frozen, client):
    consultation = _book_and_see(smp, frozen, smp.intern_agenda, smp.intern, intern_consent=True)
    client.force_login(smp.coord)
    queue = client.get(reverse("proximity:supervision"))
    assert queue.status_code == 200
    assert reverse("proximity:consultation", args=[consultation.pk]) in queue.content.decode()
    url = reverse("proximity:consultation", args=[consultation.pk])
    assert client.post(url, {"decision": "to_discuss"}).status_code == 400
    assert (
        client.post(url, {"decision": "to_discuss", "comment": "Revoir la posologie"}).status_code
        == 302
    )
    consultation.refresh_from_db()
    assert consultation.review == "to_discuss"
    assert Notification.objects.filter(user=smp.intern, kind="proximity_review").exists()


def test_the_indicators_page_and_its_csv_export(smp, frozen, client):
    _book_and_see(smp, frozen, smp.intern_agenda, smp.intern, intern_consent=True)
    client.force_login(smp.coord)
    page = client.get(reverse("proximity:indicators"))
    assert page.status_code == 200 and "10000" in page.content.decode()
    export = client.get(reverse("proximity:indicators") + "?format=csv")
    assert export["Content-Type"].startswith("text/csv")
    assert "part des internes (%);100.0" in export.content.decode()


def test_the_assistant_books_from_the_episode_page_and_the_doctor_records_there(
    smp, frozen, client
):
    slot = Slot.objects.filter(schedule=smp.retired_agenda, status="free").order_by("start")[0]
    client.force_login(smp.assistant)
    booked = client.post(reverse("proximity:book", args=[smp.episode.pk]), {"slot": slot.pk})
    assert booked.status_code == 302
    slot.refresh_from_db()
    assert slot.status == "busy"
    frozen.move_to(slot.end)
    client.force_login(smp.retired)
    url = reverse("proximity:consult", args=[smp.episode.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    appointment = slot.appointments.get()
    done = client.post(url, {"reason": "Premier contact", "appointment": appointment.pk})
    assert done.status_code == 302
    assert Consultation.objects.get().appointment == appointment


def test_a_prescription_pdf_by_an_intern_names_the_supervisor_and_the_finess(smp, frozen, client):
    consultation = consultation_record(
        actor=smp.intern, episode=smp.episode, reason="Angine", intern_consent=True
    )
    client.force_login(smp.intern)
    url = reverse("proximity:prescription-new", args=[consultation.pk])
    assert client.post(url, {"lines": "  \n "}).status_code == 400
    assert client.post(url, {"lines": "Amoxicilline 1 g matin et soir, 6 jours"}).status_code == 302
    document = consultation.documents.get()
    client.force_login(smp.assistant)
    assert client.get(reverse("proximity:document", args=[document.pk])).status_code == 404
    client.force_login(smp.coord)
    response = client.get(reverse("proximity:document", args=[document.pk]))
    assert response.status_code == 200
    text = _pdf_text(b"".join(response.streaming_content))
    assert smp.intern.rpps in text and smp.coord.rpps in text and smp.org.finess in text
    assert "Amoxicilline" in text


def test_only_the_consultations_doctor_issues_its_prescription(smp, frozen):
    consultation = consultation_record(actor=smp.retired, episode=smp.episode, reason="Bilan")
    with pytest.raises(Forbidden):
        prescription_issue(actor=smp.coord, consultation=consultation, lines="Paracétamol")
    with pytest.raises(Invalid):
        prescription_issue(
            actor=smp.retired, consultation=consultation, lines="\n".join(["x"] * 31)
        )
    assert not consultation.documents.exists()
