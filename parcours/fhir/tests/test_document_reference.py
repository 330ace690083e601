"""Discharge letters as DocumentReference: content inline, search, access by role."""

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from parcours.messaging.letters import letter_declare, letter_send
from parcours.messaging.services import FileIn

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def letter(territory, patient):
    letter = letter_declare(
        actor=territory.doctor,
        patient=patient,
        service=territory.cardio,
        recipient=territory.gp,
        discharged_at=timezone.now() - timedelta(hours=3),
    )
    return letter_send(
        actor=territory.doctor,
        letter=letter,
        body="Sortie sous bêtabloquant.",
        files=[FileIn(name="ldl.pdf", content_type="application/pdf", data=PDF)],
    )


def test_a_sent_letter_reads_as_a_document_reference(api, territory, patient, letter):
    doc = api(territory.gp).get(f"DocumentReference/{letter.pk}").json_body
    assert doc["type"]["coding"][0]["code"] == "11490-0"
    assert doc["subject"]["reference"] == f"Patient/{patient.pk}"
    text, pdf = doc["content"]
    assert base64.b64decode(text["attachment"]["data"]).decode() == "Sortie sous bêtabloquant."
    assert base64.b64decode(pdf["attachment"]["data"]) == PDF
    assert doc["docStatus"] == "final"


def test_search_by_patient_date_and_type(api, territory, patient, letter):
    client = api(territory.gp)
    today = timezone.localdate().isoformat()
    for query in (
        {"patient": f"Patient/{patient.pk}"},
        {"date": today},
        {"type": "http://loinc.org|11490-0"},
    ):
        assert client.get("DocumentReference", query).json_body["total"] == 1
    assert client.get("DocumentReference", {"type": "http://loinc.org|1-8"}).json_body["total"] == 0


def test_a_tampered_letter_is_served_without_content(api, territory, letter):
    from parcours.lib import crypto
    from parcours.messaging.models import Message

    Message.objects.filter(pk=letter.message_id).update(body_enc=crypto.encrypt("Autre"))
    doc = api(territory.gp).get(f"DocumentReference/{letter.pk}").json_body
    assert doc["docStatus"] == "entered-in-error"
    assert "data" not in doc["content"][0]["attachment"]


@pytest.mark.parametrize(
    "who, total", [("gp", 1), ("doctor", 1), ("desk", 1), ("gp2", 0), ("pneumo", 0), ("nobody", 0)]
)
def test_document_reference_per_role(api, territory, letter, who, total):
    assert api(getattr(territory, who)).get("DocumentReference").json_body["total"] == total


def test_mailbox_messages_read_and_search_as_communication(api, territory, patient, letter):
    from parcours.messaging.services import message_send

    mail = message_send(
        sender=territory.gp,
        subject="Question",
        body="Avis ?",
        to=[territory.doctor],
        patient=patient,
    )
    client = api(territory.doctor)
    found = client.get("Communication", {"category": "message"}).json_body
    assert [e["resource"]["id"] for e in found["entry"]] == [f"mail-{mail.pk}"]
    comm = client.get(f"Communication/mail-{mail.pk}").json_body
    assert comm["payload"] == [{"contentString": "Avis ?"}]
    assert comm["topic"] == {"text": "Question"} and comm["status"] == "completed"
    letters = api(territory.gp).get(
        "Communication", {"category": "discharge-letter", "patient": f"Patient/{patient.pk}"}
    )
    assert letters.json_body["total"] == 1
    # Not a participant: not found, like any other resource.
    assert api(territory.gp2).get(f"Communication/mail-{mail.pk}").status_code == 404
    # Without a mailbox category, Communication stays the request threads.
    assert client.get("Communication").json_body["total"] == 0
