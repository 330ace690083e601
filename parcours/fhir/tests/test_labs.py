"""DiagnosticReport and Observation from imported lab files; search by patient, code, date."""

from datetime import date

import pytest

from parcours.labs.services import lab_import_file
from parcours.lib.tests.test_labs_parsers import FIXTURES
from parcours.patients.services import patient_create


@pytest.fixture
def imported(territory):
    patient = patient_create(
        actor=territory.gp,
        birth_name="MOREAU",
        birth_given_names="CLAIRE",
        birth_date=date(1975, 9, 12),
        sex="F",
    ).patient
    # The file names its prescriber by RPPS (OBR-16): the GP persona carries it.
    territory.gp.rpps = "10000000042"
    territory.gp.save(update_fields=["rpps"])
    data = (FIXTURES / "oru_r01.hl7").read_bytes().replace(b"GP0000042^", b"10000000042^")
    lab_import_file(data=data, file_name="oru.hl7", actor=territory.admin, channel="upload")
    return patient


def test_pending_report_then_attached_report_reads_as_fhir(api, territory, imported):
    from parcours.labs.models import LabReport
    from parcours.labs.services import lab_report_attach

    report = LabReport.objects.get()  # no INS in the file: waits for identification
    lab_report_attach(actor=territory.admin, report=report, patient=imported)
    client = api(territory.gp)
    dr = client.get(f"DiagnosticReport/{report.pk}").json_body
    assert dr["subject"] == {"reference": f"Patient/{imported.pk}"} and len(dr["result"]) == 3
    bundle = client.get(
        "Observation", {"patient": f"Patient/{imported.pk}", "code": "http://loinc.org|2823-3"}
    ).json_body
    (entry,) = bundle["entry"]
    k = entry["resource"]
    assert k["valueQuantity"] == {"value": 5.8, "unit": "mmol/L"}
    assert k["interpretation"][0]["coding"][0]["code"] == "H"
    assert k["referenceRange"][0]["high"]["value"] == 5.0
    text = client.get("Observation", {"code": "Antigène HBs"}).json_body["entry"][0]["resource"]
    assert text["valueString"] == "Négatif"
    dated = client.get("DiagnosticReport", {"date": "2026-11-21"}).json_body
    assert dated["total"] == 1


@pytest.mark.parametrize(
    "who, total", [("gp", 1), ("gp2", 0), ("doctor", 0), ("admin", 0), ("nobody", 0)]
)
def test_lab_resources_per_role(api, territory, imported, who, total):
    assert api(getattr(territory, who)).get("DiagnosticReport").json_body["total"] == total
