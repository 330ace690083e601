"""Agenda indicators: appointments per month, distinct doctors, reserved pools, no-shows."""

import pytest
from django.urls import reverse

from parcours.scheduling.services import appointment_set_outcome, slot_book

from .fixtures import slot_on


def test_counts_per_schedule_and_month(agenda, territory, patient, login, frozen):
    slot_book(user=territory.gp, slot=slot_on(agenda.cardio, 9), patient=patient)
    slot_book(user=territory.gp2, slot=slot_on(agenda.cardio, 9, 9, 30), patient=patient)
    missed = slot_book(user=territory.gp, slot=slot_on(agenda.cardio, 10), patient=patient)
    frozen.move_to(missed.end)
    appointment_set_outcome(user=territory.desk, appointment=missed, status="noshow")
    page = login(territory.desk).get(reverse("indicators:appointments"))
    assert page.status_code == 200
    row = next(r for r in page.context["rows"] if r["schedule"] == agenda.cardio.name)
    assert (row["booked"], row["prescribers"], row["noshow"]) == (3, 2, 1)
    # Reserved pools, past slots only: Tuesday 9:00 (partner pool), taken.
    assert (row["reserved"], row["reserved_booked"]) == (1, 1)
    totals = page.context["totals"]
    assert totals["prescribers"] == 2 and totals["noshow_rate"] == 33
    csv = login(territory.desk).get(reverse("indicators:appointments"), {"format": "csv"})
    assert "Consultations de cardiologie;3;2;1;1;1;100" in csv.content.decode()


@pytest.mark.parametrize(
    "who, status", [("desk", 200), ("admin", 200), ("gp", 404), ("nobody", 404)]
)
def test_agenda_indicators_per_role(agenda, territory, login, who, status):
    response = login(getattr(territory, who)).get(reverse("indicators:appointments"))
    assert response.status_code == status


def test_imaging_secretariat_lands_on_the_agenda_indicators(agenda, login):
    response = login(agenda.radiologist).get(reverse("indicators:index"))
    assert response.url == reverse("indicators:appointments")
