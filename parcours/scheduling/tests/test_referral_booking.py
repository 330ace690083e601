"""Answering a consultation or exam request with a slot: booked, or proposed and confirmed."""

import pytest
from django.urls import reverse

from parcours.referrals.workflow import Status
from parcours.scheduling.models import Appointment, Pool

from .fixtures import slot_on


@pytest.fixture
def consultation(make_referral):
    return make_referral(kind="CONSULTATION", question="Bilan d'une dyspnée d'effort.")


def test_desk_books_a_slot_and_the_request_is_answered(agenda, territory, consultation, login):
    slot = slot_on(agenda.cardio, 9)
    url = reverse("scheduling:book", args=[slot.pk]) + f"?referral={consultation.pk}"
    client = login(territory.desk)
    assert "Réserver et répondre" in client.get(url).content.decode()
    response = client.post(url, {"mode": "book", "note": "Venir à jeun."})
    a = Appointment.objects.get()
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.status == Status.ANSWERED
    assert consultation.answer_date == slot.start and "Dernier ECG" in consultation.answer_text
    assert (a.prescriber, a.booked_by, a.referral) == (territory.gp, territory.desk, consultation)


def test_proposed_slot_is_held_for_the_gp_who_confirms_it(agenda, territory, consultation, login):
    slot = slot_on(agenda.cardio, 9)
    login(territory.doctor).post(
        reverse("scheduling:book", args=[slot.pk]) + f"?referral={consultation.pk}",
        {"mode": "propose"},
    )
    slot.refresh_from_db()
    assert (slot.pool, slot.partner, slot.held_for) == (Pool.PARTNER, territory.msp1, consultation)
    consultation.refresh_from_db()
    assert consultation.status == Status.ANSWERED
    detail = login(territory.gp).get(reverse("referrals:detail", args=[consultation.pk]))
    assert reverse("scheduling:book", args=[slot.pk]) in detail.content.decode()
    # Another practice's GP cannot take it.
    assert login(territory.gp2).get(reverse("scheduling:book", args=[slot.pk])).status_code == 404
    login(territory.gp).post(
        reverse("scheduling:book", args=[slot.pk]) + f"?referral={consultation.pk}", {}
    )
    assert Appointment.objects.get().referral == consultation


def test_advice_requests_are_not_answered_with_a_slot(agenda, territory, make_referral, login):
    advice = make_referral(kind="ADVICE")
    response = login(territory.desk).post(
        reverse("scheduling:book", args=[slot_on(agenda.cardio, 9).pk]) + f"?referral={advice.pk}",
        {"mode": "book"},
    )
    assert response.status_code == 404
    assert not Appointment.objects.exists()


def test_slot_of_another_service_is_refused_and_nothing_is_written(
    agenda, territory, make_referral, login
):
    pneumo_request = make_referral(kind="EXAM", service=territory.pneumo_svc)
    response = login(territory.desk).post(
        reverse("scheduling:book", args=[slot_on(agenda.cardio, 9).pk])
        + f"?referral={pneumo_request.pk}",
        {"mode": "book"},
    )
    assert response.status_code == 400
    assert "service de la demande" in response.content.decode()
    pneumo_request.refresh_from_db()
    assert pneumo_request.status == Status.SUBMITTED
    assert not Appointment.objects.exists()
