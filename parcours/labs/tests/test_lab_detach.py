"""A report on the wrong patient can be taken back: it waits again for identitovigilance,
the patient's record no longer shows it, and the right people are told (issue 12 review)."""

import pytest
from django.urls import reverse

from parcours.audit.models import AuditEvent
from parcours.labs.models import LabReport
from parcours.labs.services import lab_import_file
from parcours.labs.tests.test_lab_import import _hprim, known  # noqa: F401 - fixture
from parcours.messaging.models import Thread
from parcours.notifications.models import Notification


@pytest.fixture
def attached(territory, known):  # noqa: F811 - the fixture imported above
    lab_import_file(data=_hprim(), file_name="r.hpm")
    report = LabReport.objects.get()
    assert report.patient == known and report.prescriber == territory.gp
    return report


def test_the_prescriber_detaches_a_report_that_is_not_this_patients(territory, attached, login):
    patient = attached.patient
    client = login(territory.gp)
    url = reverse("labs:detail", args=[attached.pk])
    assert "pas celui de ce patient" in client.get(url).content.decode()
    # A reason is required.
    client.post(url, {"action": "detach", "reason": "erreur"})
    attached.refresh_from_db()
    assert attached.patient_id == patient.pk
    response = client.post(
        url, {"action": "detach", "reason": "Pas ma patiente : homonyme au cabinet"}
    )
    assert response.status_code == 302
    attached.refresh_from_db()
    assert attached.patient_id is None and attached.match == LabReport.Match.PENDING
    # Off the patient's record and mailbox filing; audited on the patient it left.
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert url not in page
    assert not Thread.objects.filter(messages__lab_report=attached, patient=patient).exists()
    assert AuditEvent.objects.filter(
        action="update", patient_id=patient.pk, detail__contains="homonyme"
    ).exists()
    # The identitovigilance cell is told, urgently (the potassium is critical).
    note = Notification.objects.get(user=territory.cell, kind="lab_detached")
    assert "urgent" in note.title
    # It is in the cell's queue again, to be attached to the right identity.
    queue = login(territory.cell).get(reverse("labs:list")).content.decode()
    assert url in queue


@pytest.mark.parametrize(
    "who, status",
    [
        ("gp", 302),
        ("gp2", 404),
        ("desk", 404),
        ("doctor", 404),
        ("cell", 404),
        ("admin", 404),
        ("nobody", 404),
    ],
)
def test_detaching_per_role(territory, attached, login, who, status):
    response = login(getattr(territory, who)).post(
        reverse("labs:detail", args=[attached.pk]),
        {"action": "detach", "reason": "Pas le bon patient du tout"},
    )
    assert response.status_code == status
    attached.refresh_from_db()
    assert (attached.patient_id is None) == (status == 302)
