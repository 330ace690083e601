"""Discharge letters: declared at discharge, sent within 48 h, acknowledged, escalated."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from conftest import pdf_upload
from parcours.messaging.letters import (
    letter_acknowledge,
    letter_declare,
    letter_declare_and_send,
    letter_send,
    letters_escalate_due,
)
from parcours.messaging.models import DischargeLetter, MailboxEntry
from parcours.messaging.selectors import letter_rates
from parcours.messaging.services import BODY_MAX
from parcours.notifications.models import Notification


@pytest.fixture
def letter(territory, patient):
    return letter_declare(
        actor=territory.doctor,
        patient=patient,
        service=territory.cardio,
        recipient=territory.gp,
        discharged_at=timezone.now() - timedelta(hours=1),
    )


def test_a_letter_is_due_48_hours_after_discharge(letter):
    assert letter.due_at - letter.discharged_at == timedelta(hours=48)
    assert letter.state == "pending"


def test_sending_delivers_to_the_treating_doctors_mailbox(territory, letter):
    letter = letter_send(actor=territory.doctor, letter=letter, body="Sortie à J3, IEC.")
    assert letter.state == "on_time"
    entry = MailboxEntry.objects.get(user=territory.gp, message=letter.message)
    assert entry.box == "inbox"
    assert letter.message.thread.patient_id == letter.patient_id
    with pytest.raises(ValidationError, match="déjà été envoyée"):
        letter_send(actor=territory.doctor, letter=letter, body="bis")


def test_only_the_recipient_acknowledges(territory, letter):
    letter_send(actor=territory.doctor, letter=letter, body="Texte")
    with pytest.raises(ValidationError):
        letter_acknowledge(actor=territory.gp2, letter=letter)
    letter = letter_acknowledge(actor=territory.gp, letter=letter)
    assert letter.state == "acknowledged"
    assert Notification.objects.filter(user=territory.doctor, kind="letter_ack").exists()


def test_late_letters_are_escalated_once(territory, letter):
    with time_machine.travel(letter.due_at - timedelta(hours=6), tick=False):
        assert letters_escalate_due() == {"at_risk": 1, "overdue": 0}
    assert Notification.objects.filter(user=territory.doctor, kind="letter_at_risk").exists()
    with time_machine.travel(letter.due_at + timedelta(minutes=1), tick=False):
        assert letters_escalate_due() == {"at_risk": 0, "overdue": 1}
        assert letters_escalate_due() == {"at_risk": 0, "overdue": 0}
        assert DischargeLetter.objects.get(pk=letter.pk).state == "late"
    overdue = set(
        Notification.objects.filter(kind="letter_overdue").values_list("user__username", flat=True)
    )
    assert {"head", "desk", "doctor"} <= overdue
    with time_machine.travel(letter.due_at + timedelta(hours=2), tick=False):
        sent = letter_send(actor=territory.doctor, letter=letter, body="En retard")
        assert sent.state == "sent_late"


def test_rates_per_service(territory, patient, letter):
    letter_send(actor=territory.doctor, letter=letter, body="x")
    late = letter_declare(
        actor=territory.doctor,
        patient=patient,
        service=territory.cardio,
        recipient=territory.gp,
        discharged_at=timezone.now() - timedelta(days=5),
    )
    assert late.state == "late"
    [row] = letter_rates()
    assert (row["total"], row["sent"], row["on_time"], row["late"]) == (2, 1, 1, 1)
    assert row["on_time_rate"] == 50.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"discharged_at_delta": timedelta(days=2)}, "futur"),
        ({"recipient": "doctor"}, "médecin de ville"),
    ],
)
def test_declaring_refuses_bad_input(territory, patient, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        letter_declare(
            actor=territory.doctor,
            patient=patient,
            service=territory.cardio,
            recipient=getattr(territory, kwargs.get("recipient", "gp")),
            discharged_at=timezone.now() + kwargs.get("discharged_at_delta", timedelta(0)),
        )
    assert not DischargeLetter.objects.exists()


def test_the_doctor_declares_and_uploads_the_letter_from_the_page(territory, patient, login):
    from parcours.patients.models import CareLink

    CareLink.objects.create(patient=patient, user=territory.doctor)  # their inpatient
    client = login(territory.doctor)
    page = client.get(reverse("messaging:letter_new") + f"?patient={patient.pk}")
    assert page.status_code == 200
    response = client.post(
        reverse("messaging:letter_new"),
        {
            "patient": patient.pk,
            "service": territory.cardio.pk,
            "recipient": territory.gp.pk,
            "discharged_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "files": [pdf_upload("lettre.pdf")],
        },
    )
    letter = DischargeLetter.objects.get()
    assert response.status_code == 302 and letter.sent_at is not None
    assert letter.message.attachments.count() == 1
    # The GP reads it and acknowledges it from the letter page.
    gp = login(territory.gp)
    page = gp.get(reverse("messaging:letter", args=[letter.pk]))
    assert "Confirmer la réception" in page.content.decode()
    gp.post(reverse("messaging:letter", args=[letter.pk]), {"action": "acknowledge"})
    assert DischargeLetter.objects.get().acknowledged_at is not None


def test_the_desk_declares_a_discharge_without_writing(territory, patient, login):
    from parcours.referrals.services import referral_submit

    referral_submit(
        author=territory.gp,
        patient=patient,
        service=territory.cardio,
        kind="ADVICE",
        question="Avis ?",
    )
    client = login(territory.desk)
    response = client.post(
        reverse("messaging:letter_new"),
        {
            "patient": patient.pk,
            "service": territory.cardio.pk,
            "recipient": territory.gp.pk,
            "discharged_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "body": "Texte",
        },
    )
    assert response.status_code == 400
    assert "Seul un médecin du service" in response.content.decode()
    response = client.post(
        reverse("messaging:letter_new"),
        {
            "patient": patient.pk,
            "service": territory.cardio.pk,
            "recipient": territory.gp.pk,
            "discharged_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    assert DischargeLetter.objects.get().sent_at is None


@pytest.mark.parametrize(
    "who, status",
    [
        ("gp", 200),
        ("doctor", 200),
        ("head", 200),
        ("desk", 200),
        ("pneumo", 404),
        ("gp2", 404),
        ("desk_beta", 404),
        ("nobody", 404),
    ],
)
def test_who_sees_a_letter(territory, letter, login, who, status):
    response = login(getattr(territory, who)).get(reverse("messaging:letter", args=[letter.pk]))
    assert response.status_code == status


@pytest.mark.parametrize(
    "who, status", [("doctor", 200), ("desk", 200), ("gp", 200), ("gp2", 404), ("nobody", 404)]
)
def test_who_sees_the_letters_list(territory, letter, login, who, status):
    assert login(getattr(territory, who)).get(reverse("messaging:letters")).status_code == status


@pytest.mark.parametrize("who", ["gp", "gp2", "pneumo", "nobody"])
def test_only_hospital_staff_caring_for_the_patient_declare_a_discharge(
    territory, patient, login, who
):
    # GPs write no discharge letters; a doctor who cannot see the patient gets 404 too.
    response = login(getattr(territory, who)).get(
        reverse("messaging:letter_new") + f"?patient={patient.pk}"
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "who, status", [("admin", 200), ("desk", 200), ("doctor", 200), ("gp", 404), ("nobody", 404)]
)
def test_letter_indicators_by_role(territory, letter, login, who, status):
    client = login(getattr(territory, who))
    response = client.get(reverse("indicators:letters"))
    assert response.status_code == status
    if status == 200:
        assert "Cardiologie" in response.content.decode()
        csv = client.get(reverse("indicators:letters") + "?format=csv").content.decode()
        # The CSV states its period and filters first (issue 14): find the service's row.
        assert any(line.startswith("CH Alpha;Cardiologie;1;0;0;0;1;0") for line in csv.splitlines())


def test_declaring_and_sending_at_once_writes_both_or_neither(territory, patient):
    kwargs = {
        "actor": territory.doctor,
        "patient": patient,
        "service": territory.cardio,
        "recipient": territory.gp,
        "discharged_at": timezone.now() - timedelta(hours=1),
    }
    with pytest.raises(ValidationError, match="trop long"):
        letter_declare_and_send(**kwargs, body="x" * (BODY_MAX + 1))
    assert not DischargeLetter.objects.filter(patient=patient).exists()

    letter = letter_declare_and_send(**kwargs, body="Sortie à J3, IEC.")
    assert letter.state == "on_time"
    assert MailboxEntry.objects.filter(user=territory.gp, message=letter.message).exists()
