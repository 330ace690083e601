"""POST /fhir transaction Bundle: a hospital record summary, all or nothing."""

from parcours.audit.models import AuditEvent
from parcours.patients.models import HospitalRecordItem
from parcours.patients.services import patient_identifier_add


def _bundle(patient_identifier, **overrides):
    subject = {"reference": "urn:uuid:p1"}
    entries = [
        {
            "fullUrl": "urn:uuid:p1",
            "resource": {"resourceType": "Patient", "identifier": [patient_identifier]},
            "request": {"method": "PUT", "url": "Patient"},
        },
        {
            "resource": {
                "resourceType": "Encounter",
                "id": "enc1",
                "status": "finished",
                "class": {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                    "code": "IMP",
                    "display": "hospitalisation",
                },
                "subject": subject,
                "period": {"start": "2026-10-01", "end": "2026-10-05"},
            },
            "request": {"method": "POST", "url": "Encounter"},
        },
        {
            "resource": {
                "resourceType": "AllergyIntolerance",
                "id": "al1",
                "code": {"text": "Pénicilline"},
                "patient": subject,
                "recordedDate": "2026-10-02",
            },
            "request": {"method": "POST", "url": "AllergyIntolerance"},
        },
    ]
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
    bundle.update(overrides)
    return bundle


def test_desk_pushes_a_summary_for_its_patient_by_ipp(territory, patient, api, login):
    patient_identifier_add(
        actor=territory.desk,
        patient=patient,
        system="urn:ipp:alpha",
        value="IPP1",
        organisation=territory.alpha,
    )
    r = api(territory.desk).post("", _bundle({"system": "urn:ipp:alpha", "value": "IPP1"}))
    assert r.status_code == 200, r.json_body
    assert r.json_body["type"] == "transaction-response"
    items = HospitalRecordItem.objects.filter(patient=patient)
    assert {(i.kind, i.source) for i in items} == {
        ("stay", territory.alpha),
        ("allergy", territory.alpha),
    }
    assert AuditEvent.objects.filter(action="import", patient_id=patient.pk).exists()
    page = login(territory.gp).get(f"/patients/{patient.pk}/").content.decode()
    assert "Pénicilline" in page and "CH Alpha" in page


def test_a_malformed_entry_writes_nothing(territory, patient, api):
    patient_identifier_add(
        actor=territory.desk,
        patient=patient,
        system="urn:ipp:alpha",
        value="IPP1",
        organisation=territory.alpha,
    )
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
    assert (
        api(territory.gp).post("", _bundle({"system": "urn:ipp:beta", "value": "X"})).status_code
        == 403
    )


def test_import_summary_command(territory, patient, tmp_path):
    import json

    from django.core.management import call_command

    patient_identifier_add(
        actor=territory.desk,
        patient=patient,
        system="urn:ipp:alpha",
        value="IPP1",
        organisation=territory.alpha,
    )
    f = tmp_path / "summary.json"
    f.write_text(json.dumps(_bundle({"system": "urn:ipp:alpha", "value": "IPP1"})))
    call_command("import-summary", str(f), "--user", "desk")
    assert HospitalRecordItem.objects.filter(patient=patient).count() == 2


def test_a_summary_pushed_by_ins_and_traits_opens_none_of_the_patients_data(territory, api):
    """Another hospital's desk that knows a patient's INS and traits (no request, appointment
    nor message) pushed an invented item and thereby got a care link: every result and letter
    of that patient opened to it. A summary records no care link."""
    from datetime import date

    from parcours.labs.models import LabImport, LabReport
    from parcours.patients.access import can_see_patient_data
    from parcours.patients.models import CareLink
    from parcours.patients.services import patient_create

    nir = "2500453130001" + f"{97 - int('2500453130001') % 97:02d}"
    patient = patient_create(
        actor=territory.gp,
        birth_name="Dupont",
        birth_given_names="Marie Anne",
        birth_date=date(1950, 4, 3),
        sex="F",
        birthplace_insee="53130",
        ins_nir=nir,
    ).patient
    imp = LabImport.objects.create(
        sha256="1" * 64, file_name="x.hl7", format="hl7v2", channel="command"
    )
    LabReport.objects.create(
        lab_import=imp,
        patient=patient,
        match=LabReport.Match.MATCHED,
        family="DUPONT",
        given="MARIE",
        lab_name="Labo secret",
    )
    bundle = _bundle({"system": "urn:oid:1.2.250.1.213.1.4.8", "value": nir})
    bundle["entry"][0]["resource"].update(
        {
            "name": [{"use": "official", "family": "DUPONT", "given": ["MARIE", "ANNE"]}],
            "gender": "female",
            "birthDate": "1950-04-03",
        }
    )
    r = api(territory.desk_beta).post("", bundle)
    assert r.status_code == 200, r.json_body  # the summary itself is accepted
    assert HospitalRecordItem.objects.filter(patient=patient).count() == 2
    assert not CareLink.objects.filter(patient=patient, user=territory.desk_beta).exists()
    assert not can_see_patient_data(territory.desk_beta, patient)
    client = api(territory.desk_beta)
    assert (
        client.get("DiagnosticReport", {"patient": f"Patient/{patient.pk}"}).json_body.get("total")
        == 0
    )


def test_each_entry_answers_created_or_updated_with_a_location_to_read_it_back(
    territory, patient, api
):
    patient_identifier_add(
        actor=territory.desk,
        patient=patient,
        system="urn:ipp:alpha",
        value="IPP1",
        organisation=territory.alpha,
    )
    desk = api(territory.desk)
    first = desk.post("", _bundle({"system": "urn:ipp:alpha", "value": "IPP1"}))
    assert first.status_code == 200, first.json_body
    answers = [e["response"] for e in first.json_body["entry"]]
    assert answers[0] == {"status": "200 OK", "location": f"Patient/{patient.pk}"}
    assert [a["status"] for a in answers[1:]] == ["201 Created", "201 Created"]
    encounter = desk.get(answers[1]["location"])
    assert encounter.status_code == 200, encounter.json_body
    body = encounter.json_body
    assert body["resourceType"] == "Encounter" and body["period"]["start"] == "2026-10-01"
    assert body["subject"]["reference"] == f"Patient/{patient.pk}"
    assert {"value": "enc1"}.items() <= body["identifier"][0].items()
    allergy = desk.get(answers[2]["location"]).json_body
    assert allergy["code"] == {"text": "Pénicilline"}
    again = desk.post("", _bundle({"system": "urn:ipp:alpha", "value": "IPP1"}))
    assert [e["response"]["status"] for e in again.json_body["entry"][1:]] == ["200 OK", "200 OK"]
    assert [e["response"]["location"] for e in again.json_body["entry"]] == [
        a["location"] for a in answers
    ]
    # Another hospital's desk, without a care relationship, reads nothing of it.
    assert api(territory.gp2).get(answers[1]["location"]).status_code == 404
