"""A professional's upload is what they typed (issue 12, "Matching never grants access"): a
file naming someone else's patient (their INS and traits) and the uploader as prescriber must
not attach by itself — it would write invented results on that patient and give the uploader
a care link to all their data. It waits for the identitovigilance desk; the uploader's own
patients still attach by themselves."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from parcours.labs.models import LabReport
from parcours.patients.models import CareLink
from parcours.patients.services import patient_create

from .factories import make_nir

BORN = date(1961, 6, 9)
NIR = make_nir("F", BORN, order=41)
SECRET = "Hospitalisation très confidentielle"


def _hl7(prescriber_rpps: str, control: str) -> bytes:
    return "\r".join(
        [
            f"MSH|^~\\&|SIL|LABO|PARCOURS|MAY|20261120100000||ORU^R01^ORU_R01|{control}|P|2.5",
            f"PID|1||X1^^^LABO&&M^PI~{NIR}^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.8&ISO^INS||"
            "FAURAN^ODILE^ODILE^^^^L||19610609|F",
            f"OBR|1|C1|{control}|24323-8^Bilan^LN|||20261120100000|||||||||{prescriber_rpps}^X^Y",
            "OBX|1|NM|2823-3^Potassium^LN||2.1|mmol/L|3.5-5.0|LL|||F",
            "",
        ]
    ).encode()


@pytest.fixture
def victim(territory, prescribers):
    """A patient of ``gp`` (INS known), with an earlier report of ``gp`` attached and a
    hospital summary item."""
    from django.utils import timezone

    from parcours.labs.services import lab_import_file
    from parcours.patients.record import hospital_summary_import

    patient = patient_create(
        actor=territory.gp,
        birth_name="FAURAN",
        birth_given_names="ODILE",
        birth_date=BORN,
        sex="F",
        ins_nir=NIR,
    ).patient
    hospital_summary_import(
        actor=territory.desk_beta,
        source=territory.beta,
        patient=patient,
        items=[{"kind": "stay", "external_id": "S9", "title": SECRET, "date": timezone.now()}],
    )
    outcome = lab_import_file(data=_hl7(territory.gp.rpps, "REAL1"), file_name="real.hl7")
    assert outcome.matched == 1
    return patient


def _upload(login, user, data):
    return login(user).post(
        reverse("labs:upload"),
        {"files": [SimpleUploadedFile("f.hl7", data, content_type="application/octet-stream")]},
    )


def test_a_forged_file_naming_another_gps_patient_and_the_uploader_waits(territory, login, victim):
    response = _upload(login, territory.gp2, _hl7(territory.gp2.rpps, "FORGED1"))
    assert response.status_code == 200
    forged = LabReport.objects.get(lab_import__file_name="f.hl7")
    assert forged.patient is None and forged.match == LabReport.Match.PENDING
    assert victim.lab_reports.count() == 1  # nothing invented landed on the patient
    assert not CareLink.objects.filter(patient=victim, user=territory.gp2).exists()
    gp2 = login(territory.gp2)
    earlier = victim.lab_reports.get()
    assert gp2.get(reverse("labs:detail", args=[earlier.pk])).status_code == 404
    assert SECRET not in gp2.get(reverse("patients:detail", args=[victim.pk])).content.decode()


def test_the_ins_hook_does_not_attach_a_forged_waiting_report(territory, victim):
    from parcours.labs.models import LabImport
    from parcours.labs.services import lab_import_file, lab_reports_attach_by_ins

    lab_import_file(
        data=_hl7(territory.gp2.rpps, "FORGED2"),
        file_name="g.hl7",
        actor=territory.gp2,
        channel="upload",
    )
    assert lab_reports_attach_by_ins(actor=territory.admin, patient=victim) == []
    assert (
        LabReport.objects.get(lab_import=LabImport.objects.get(file_name="g.hl7")).patient is None
    )


def test_the_uploaders_own_patient_still_attaches_by_itself(territory, login, victim):
    response = _upload(login, territory.gp, _hl7(territory.gp.rpps, "OWN1"))
    assert response.status_code == 200
    assert victim.lab_reports.count() == 2
