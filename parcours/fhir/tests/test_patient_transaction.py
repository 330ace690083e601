"""POST /fhir transaction Bundle: a hospital record summary, all or nothing."""

from parcours.audit.models import AuditEvent
from parcours.patients.models import HospitalRecordItem
from parcours.patients.services import patient_identifier_add


def _bundle(patient_identifier, **overrides):
    subject = {"reference": "urn:uuid:p1"}
    entries = [
        {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient",
                                                 "identifier": [patient_identifier]},
         "request": {"method": "PUT", "url": "Patient"}},
        {"resource": {"resourceType": "Encounter", "id": "enc1", "status": "finished",
                      "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                                "code": "IMP", "display": "hospitalisation"},
                      "subject": subject, "period": {"start": "2026-10-01",
                                                     "end": "2026-10-05"}},
         "request": {"method": "POST", "url": "Encounter"}},
        {"resource": {"resourceType": "AllergyIntolerance", "id": "al1",
                      "code": {"text": "Pénicilline"}, "patient": subject,
                      "recordedDate": "2026-10-02"},
         "request": {"method": "POST", "url": "AllergyIntolerance"}},
    ]
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
    bundle.update(overrides)
    return bundle


def test_desk_pushes_a_summary_for_its_patient_by_ipp(territory, patient, api, login):
    patient_identifier_add(actor=territory.desk, patient=patient, system="urn:ipp:alpha",
                           value="IPP1", organisation=territory.alpha)
    r = api(territory.desk).post("", _bundle({"system": "urn:ipp:alpha", "value": "IPP1"}))
    assert r.status_code == 200, r.json_body
    assert r.json_body["type"] == "transaction-response"
    items = HospitalRecordItem.objects.filter(patient=patient)
    assert {(i.kind, i.source) for i in items} == {("stay", territory.alpha),
                                                    ("allergy", territory.alpha)}
    assert AuditEvent.objects.filter(action="import", patient_id=patient.pk).exists()
    page = login(territory.gp).get(f"/patients/{patient.pk}/").content.decode()
    assert "Pénicilline" in page and "CH Alpha" in page


def test_a_malformed_entry_writes_nothing(territory, patient, api):
    patient_identifier_add(actor=territory.desk, patient=patient, system="urn:ipp:alpha",
                           value="IPP1", organisation=territory.alpha)
    bad = _bundle({"system": "urn:ipp:alpha", "value": "IPP1"})
    del bad["entry"][2]["resource"]["recordedDate"]  # an undated item
    r = api(territory.desk).post("", bad)
    assert r.status_code == 422 and r.json_body["resourceType"] == "OperationOutcome"
    assert not HospitalRecordItem.objects.exists()
    bad["entry"][1]["resource"]["status"] = 12  # structurally invalid
    assert api(territory.desk).post("", bad).status_code == 400
    assert not HospitalRecordItem.objects.exists()


def test_an_unknown_or_foreign_patient_is_refused(territory, patient, api):
    r = api(territory.desk_beta).post("", _bundle({"system": "urn:ipp:beta", "value": "X"}))
    assert r.status_code == 422
    assert api(territory.gp).post("", _bundle({"system": "urn:ipp:beta",
                                               "value": "X"})).status_code == 403


def test_import_summary_command(territory, patient, tmp_path):
    import json

    from django.core.management import call_command

    patient_identifier_add(actor=territory.desk, patient=patient, system="urn:ipp:alpha",
                           value="IPP1", organisation=territory.alpha)
    f = tmp_path / "summary.json"
    f.write_text(json.dumps(_bundle({"system": "urn:ipp:alpha", "value": "IPP1"})))
    call_command("import-summary", str(f), "--user", "desk")
    assert HospitalRecordItem.objects.filter(patient=patient).count() == 2
