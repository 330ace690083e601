"""Indicators of the agendas and of the discharge letters (issue 14): monthly charts,
filters, roles, CSV, a query count that does not grow with the rows."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from parcours.messaging.letters import letter_declare, letter_send
from parcours.scheduling.services import appointment_set_outcome, slot_book
from parcours.scheduling.tests.fixtures import slot_on


def _chart(response, key):
    return next(c for c in response.context["charts"] if c["key"] == key)


@pytest.fixture
def bookings(agenda, territory, patient, frozen):
    """March 2026: three cardiology appointments by two doctors, one missed; one ultrasound."""
    slot_book(user=territory.gp, slot=slot_on(agenda.cardio, 9), patient=patient)
    slot_book(user=territory.gp2, slot=slot_on(agenda.cardio, 9, 9, 30), patient=patient)
    missed = slot_book(user=territory.gp, slot=slot_on(agenda.cardio, 10), patient=patient)
    slot_book(user=territory.gp, slot=slot_on(agenda.echo, 12, 14), patient=patient)
    frozen.move_to(missed.end)
    appointment_set_outcome(user=territory.desk, appointment=missed, status="noshow")
    return agenda


def test_appointments_per_month_with_filters(territory, bookings, login):
    client = login(territory.admin)
    page = client.get(reverse("indicators:appointments"), {"du": "2026-01", "au": "2026-03"})
    assert page.status_code == 200
    labels = _chart(page, "rendez-vous")["json"]["labels"]
    assert labels == ["janvier 2026", "février 2026", "mars 2026"]
    booked, noshow = (s["data"] for s in _chart(page, "rendez-vous")["json"]["series"])
    assert booked == [0, 0, 4] and noshow == [0, 0, 1]
    assert _chart(page, "prescripteurs")["json"]["series"][0]["data"] == [0, 0, 2]
    # Reserved pools, past slots only: Tuesday 10 March 9:00 (partner pool), taken.
    assert _chart(page, "remplissage")["json"]["series"][0]["data"][2] == 100.0
    assert page.context["totals"]["booked"] == 4
    cardio = client.get(
        reverse("indicators:appointments"),
        {"du": "2026-03", "au": "2026-03", "service": territory.cardio.pk},
    )
    assert cardio.context["totals"]["booked"] == 3
    assert "Échographe 1" not in cardio.content.decode()
    csv = client.get(
        reverse("indicators:appointments"), {"du": "2026-03", "au": "2026-03", "format": "csv"}
    ).content
    text = csv.decode("utf-8-sig")
    assert csv.startswith("\ufeff".encode())
    assert "Période;de mars 2026 à mars 2026 (inclus)" in text
    assert "2026-03;CH Alpha;Consultations de cardiologie;3;2;1;1;1;100" in text


@pytest.mark.parametrize(
    "who, status",
    [
        ("admin", 200),
        ("desk", 200),
        ("desk_beta", 404),
        ("gp", 404),
        ("cell", 404),
        ("nobody", 404),
    ],
)
def test_appointment_indicators_per_role(territory, bookings, login, who, status):
    client = login(getattr(territory, who))
    assert client.get(reverse("indicators:appointments")).status_code == status
    assert client.get(reverse("indicators:appointments"), {"format": "csv"}).status_code == status


def test_a_desk_cannot_filter_on_another_hospitals_agendas(territory, bookings, login):
    page = login(territory.desk).get(
        reverse("indicators:appointments"), {"etablissement": territory.beta.pk}
    )
    assert page.context["form"].errors["etablissement"]
    assert page.context["totals"]["booked"] == 4


def _letter(territory, patient, discharged, sent_after=None, service=None):
    letter = letter_declare(
        actor=territory.doctor,
        patient=patient,
        service=service or territory.cardio,
        recipient=territory.gp,
        discharged_at=discharged,
    )
    if sent_after is not None:
        from parcours.messaging.models import DischargeLetter

        letter = letter_send(actor=territory.doctor, letter=letter, body="Sortie, traitement.")
        DischargeLetter.objects.filter(pk=letter.pk).update(sent_at=discharged + sent_after)
    return letter


def test_letters_per_month_of_discharge(territory, patient, login):
    now = timezone.now()
    _letter(territory, patient, now - timedelta(days=40), sent_after=timedelta(hours=20))
    _letter(territory, patient, now - timedelta(days=40), sent_after=timedelta(hours=70))
    _letter(territory, patient, now - timedelta(hours=2))
    client = login(territory.admin)
    page = client.get(reverse("indicators:letters"))
    assert page.status_code == 200
    total, on_time, late = (s["data"] for s in _chart(page, "sorties")["json"]["series"])
    assert sum(total) == 3 and sum(on_time) == 1 and sum(late) == 1
    assert 50.0 in _chart(page, "lettres-48h")["json"]["series"][0]["data"]
    beta = client.get(reverse("indicators:letters"), {"etablissement": territory.beta.pk})
    assert sum(_chart(beta, "sorties")["json"]["series"][0]["data"]) == 0
    assert beta.context["rows"] == []
    html = page.content.decode()
    assert "DUPONT" not in html.upper()


@pytest.mark.parametrize(
    "who, status",
    [("admin", 200), ("desk", 200), ("doctor", 200), ("gp", 404), ("cell", 404), ("nobody", 404)],
)
def test_letter_indicators_per_role_with_filters(territory, patient, login, who, status):
    _letter(territory, patient, timezone.now() - timedelta(days=3))
    client = login(getattr(territory, who))
    response = client.get(reverse("indicators:letters"), {"service": territory.cardio.pk})
    assert response.status_code == status
    if status == 200:
        assert sum(_chart(response, "sorties")["json"]["series"][0]["data"]) == 1


def test_query_counts_do_not_grow_with_the_rows(territory, patient, agenda, login, frozen):
    client = login(territory.admin)

    def count(name):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(f"indicators:{name}")).status_code == 200
        return len(queries)

    _letter(territory, patient, timezone.now() - timedelta(days=5))
    slot_book(user=territory.gp, slot=slot_on(agenda.cardio, 9), patient=patient)
    count("letters")  # the session's first request does more
    few = {name: count(name) for name in ("letters", "appointments")}
    for days in (20, 50, 80, 110, 140):
        _letter(
            territory,
            patient,
            timezone.now() - timedelta(days=days),
            sent_after=timedelta(hours=days),
        )
        _letter(
            territory, patient, timezone.now() - timedelta(days=days), service=territory.pneumo_svc
        )
    slot_book(user=territory.gp2, slot=slot_on(agenda.cardio, 9, 9, 30), patient=patient)
    slot_book(user=territory.gp, slot=slot_on(agenda.echo, 12, 14), patient=patient)
    assert {name: count(name) for name in ("letters", "appointments")} == few
