"""Critical values (issue 12, kind 8): they stand apart from ordinary abnormal ones on every
page, flags are shown in words, the notification says "résultat critique" without patient
name or value, the mailbox lists them first; a critical value waiting for its patient is
announced to the identitovigilance cell as urgent."""

from datetime import date

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from parcours.labs.models import LabReport
from parcours.labs.services import lab_import_file
from parcours.lib import crypto
from parcours.lib.labs import LabResult as Parsed
from parcours.messaging.models import Message
from parcours.notifications.models import Notification
from parcours.notifications.tasks import notification_send_emails
from parcours.patients.services import patient_create

from .factories import make_nir, report

BORN = date(1961, 5, 9)
NIR = make_nir("M", BORN, order=3)
RESULTS = [
    Parsed(label="Sodium", value="139", unit="mmol/L", low="135", high="145", flag="N"),
    Parsed(label="Glucose", value="7.9", unit="mmol/L", low="4.1", high="5.9", flag="H"),
    Parsed(label="Potassium", value="6.4", unit="mmol/L", low="3.5", high="5.0", flag="HH"),
]


@pytest.fixture
def patient(territory):
    return patient_create(
        actor=territory.gp,
        birth_name="FAUVEL",
        birth_given_names="MARC",
        birth_date=BORN,
        sex="M",
        ins_nir=NIR,
    ).patient


@pytest.fixture
def delivered(territory, prescribers, patient, parsed):
    parsed(
        [
            report(
                family="FAUVEL",
                given="MARC",
                born=BORN,
                sex="M",
                nir=NIR,
                ins_kind="NIR",
                results=RESULTS,
            )
        ]
    )
    outcome = lab_import_file(data=b"c", file_name="c.hl7")
    assert (outcome.matched, outcome.critical) == (1, 1)
    return LabReport.objects.get()


def test_notification_and_email_say_critique_without_patient_or_value(territory, delivered):
    (note,) = Notification.objects.filter(user=territory.gp)
    assert note.title == "Résultat critique reçu (Labo fictif)"
    notification_send_emails()
    (email,) = mail.outbox
    text = email.subject + email.body
    assert "Résultat critique" in text
    for secret in ("FAUVEL", "MARC", "6.4", "Potassium"):
        assert secret not in text


def test_mailbox_message_lists_critical_values_first_marked_as_such(territory, delivered):
    message = Message.objects.get(lab_report=delivered)
    body = crypto.decrypt(message.body_enc).decode()
    lines = [line for line in body.splitlines() if line.strip()]
    assert lines[0] == "RÉSULTATS CRITIQUES :"
    assert lines[1].strip().startswith("!! CRITIQUE — Potassium : 6.4 mmol/L (critique haut")
    assert lines[2] == "Valeurs anormales :" and "Glucose" in lines[3] and "élevé" in lines[3]
    assert "Sodium" not in body.split("analyse(s)")[0]
    subject = crypto.decrypt(message.thread.subject_enc).decode()
    assert subject.startswith("Résultat critique — ")


def test_every_page_shows_critical_apart_and_flags_in_words(territory, delivered, patient, login):
    gp = login(territory.gp)
    detail = gp.get(reverse("labs:detail", args=[delivered.pk])).content.decode()
    assert 'class="abnormal critical"' in detail
    assert "CRITIQUE : critique haut" in detail and ">élevé<" in detail
    assert ">HH<" not in detail and ">H<" not in detail
    listing = gp.get(reverse("labs:list")).content.decode()
    assert "1 résultat critique" in listing and "1 valeur anormale" in listing
    page = gp.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "1 résultat critique" in page and "1 valeur anormale" in page


def test_a_critical_value_waiting_for_its_patient_is_urgent_for_the_cell(
    territory, prescribers, parsed, login
):
    parsed(
        [
            report(family="INCONNU", given="LUC", born=BORN, sex="M", results=RESULTS),
            report(family="AUTRE", given="EVE", results=RESULTS[:2]),
        ]
    )
    outcome = lab_import_file(data=b"w", file_name="w.hl7")
    assert (outcome.pending, outcome.critical) == (2, 1)
    notes = Notification.objects.filter(kind="lab_urgent")
    assert [n.user for n in notes] == [territory.cell]
    assert "urgent" in notes[0].title and "INCONNU" not in notes[0].title
    queue = login(territory.cell).get(reverse("labs:list")).content.decode()
    # The urgent one comes first in the queue, marked.
    assert queue.index("INCONNU") < queue.index("AUTRE")
    assert "URGENT : résultat critique" in queue
    urgent = LabReport.objects.get(family="INCONNU")
    page = login(territory.cell).get(reverse("labs:detail", args=[urgent.pk])).content.decode()
    assert "Identifier ce patient est urgent" in page


def test_list_pages_do_not_grow_their_queries_with_reports(territory, prescribers, parsed, login):
    def load(n):
        parsed([report(family=f"ATTENTE{i}", results=RESULTS) for i in range(n)])
        lab_import_file(data=f"{n}".encode(), file_name=f"{n}.hl7")

    def queries(user) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert login(user).get(reverse("labs:list")).status_code == 200
        return len(ctx.captured_queries)

    load(1)
    for who in ("cell", "gp", "desk"):  # the first page of a session also writes the session
        queries(getattr(territory, who))
    before = {who: queries(getattr(territory, who)) for who in ("cell", "gp", "desk")}
    load(6)
    assert {who: queries(getattr(territory, who)) for who in ("cell", "gp", "desk")} == before
