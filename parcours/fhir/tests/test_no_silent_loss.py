"""Issue 21, no silent loss: what a connected system writes is stored and read back, or
refused with a 422 naming the element — never accepted and dropped, never replaced."""

import pytest

from parcours.referrals.models import Referral
from parcours.scheduling.models import Appointment
from parcours.scheduling.tests.fixtures import slot_on

from .conftest import service_request_body

ACT = "https://parcours.esante.example/fhir/CodeSystem/act"
CANCEL = "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason"


def _gap_booking(slot, patient, practitioner, **extra):
    """A GAP-shaped booking (ans.fhir.fr.gap), invented identities."""
    return {
        "resourceType": "Appointment",
        "status": "booked",
        "identifier": [{"system": "urn:oid:1.2.250.1.999.1", "value": "RDV-EXT-0042"}],
        "serviceType": [{"coding": [{"system": ACT, "code": str(slot.act_id)}]}],
        "priority": 5,
        "minutesDuration": 30,
        "start": slot.start.isoformat(),
        "end": slot.end.isoformat(),
        "requestedPeriod": [
            {"start": "2026-03-09T08:00:00+01:00", "end": "2026-03-13T18:00:00+01:00"}
        ],
        "slot": [{"reference": f"Slot/{slot.pk}"}],
        "comment": "Bilan avant reprise du sport",
        "participant": [
            {"actor": {"reference": f"Patient/{patient.pk}"}, "status": "accepted"},
            {
                "actor": {"reference": f"Practitioner/{practitioner.pk}"},
                "required": "required",
                "status": "needs-action",
            },
        ],
        **extra,
    }


@pytest.mark.usefixtures("agenda")
def test_an_appointment_reads_back_element_by_element(
    api, territory, agenda, patient, doctor_practitioner
):
    client = api(territory.gp)
    slot = slot_on(agenda.cardio, 9)
    sent = _gap_booking(slot, patient, doctor_practitioner)
    created = client.post("Appointment", sent)
    assert created.status_code == 201, created.json_body
    read = client.get(f"Appointment/{created.json_body['id']}").json_body
    for element in ("priority", "minutesDuration", "requestedPeriod", "comment", "status"):
        assert read[element] == sent[element], element
    assert sent["identifier"][0] in read["identifier"]
    assert read["serviceType"][0]["coding"][0]["code"] == str(slot.act_id)
    assert read["start"] == "2026-03-09T09:00:00+01:00"
    # The practitioner named is kept as sent; the service is added, not substituted.
    actors = [p["actor"].get("reference") for p in read["participant"]]
    assert f"Practitioner/{doctor_practitioner.pk}" in actors
    assert f"HealthcareService/{territory.cardio.pk}" in actors
    kept = next(
        p for p in read["participant"] if p["actor"].get("reference", "").startswith("Pract")
    )
    assert kept["status"] == "needs-action"
    found = client.get("Appointment", {"identifier": "urn:oid:1.2.250.1.999.1|RDV-EXT-0042"})
    assert [e["resource"]["id"] for e in found.json_body["entry"]] == [read["id"]]


@pytest.mark.usefixtures("agenda")
@pytest.mark.parametrize(
    ("change", "element"),
    [
        ({"minutesDuration": 15}, "Appointment.minutesDuration"),
        ({"start": "2026-03-09T09:15:00+01:00"}, "Appointment.start"),
        (
            {"serviceType": [{"coding": [{"system": ACT, "code": "999999"}]}]},
            "Appointment.serviceType[0]",
        ),
        ({"reasonReference": [{"reference": "Condition/1"}]}, "Appointment.reasonReference"),
        (
            {"supportingInformation": [{"reference": "DocumentReference/1"}]},
            "Appointment.supportingInformation",
        ),
        ({"cancelationReason": {"text": "?"}}, "Appointment.cancelationReason"),
    ],
)
def test_an_appointment_it_cannot_keep_is_refused_naming_the_element(
    api, territory, agenda, patient, doctor_practitioner, change, element
):
    slot = slot_on(agenda.cardio, 9)
    response = api(territory.gp).post(
        "Appointment", {**_gap_booking(slot, patient, doctor_practitioner), **change}
    )
    assert response.status_code == 422, response.json_body
    assert element in response.json_body["issue"][0]["expression"]
    assert not Appointment.objects.exists()


@pytest.mark.usefixtures("agenda")
def test_a_coded_cancellation_reason_is_kept(api, territory, agenda, patient, doctor_practitioner):
    client = api(territory.gp)
    slot = slot_on(agenda.cardio, 9)
    appointment_id = client.post(
        "Appointment", _gap_booking(slot, patient, doctor_practitioner)
    ).json_body["id"]
    reason = {
        "coding": [{"system": CANCEL, "code": "pat", "display": "Patient"}],
        "text": "Empêchement",
    }
    cancelled = client.patch(
        f"Appointment/{appointment_id}", {"status": "cancelled", "cancelationReason": reason}
    )
    assert cancelled.status_code == 200, cancelled.json_body
    assert client.get(f"Appointment/{appointment_id}").json_body["cancelationReason"] == reason


def test_a_service_request_reads_back_element_by_element(api, territory, patient, gp_practitioner):
    role = gp_practitioner.roles.first()
    code = {
        "coding": [
            {"system": "http://snomed.info/sct", "code": "11429006", "display": "Consultation"}
        ]
    }
    reason = [
        {
            "coding": [
                {"system": "http://hl7.org/fhir/sid/icd-10", "code": "R06.0", "display": "Dyspnée"}
            ],
            "text": "Dyspnée d'effort récente : avis ?",
        }
    ]
    sent = service_request_body(
        patient.pk,
        territory.cardio.pk,
        identifier=[{"system": "urn:oid:1.2.250.1.999.2", "value": "DEM-77"}],
        code=code,
        reasonCode=reason,
        occurrenceDateTime="2026-03-20T10:30:00+01:00",
        requester={"reference": f"PractitionerRole/{role.pk}"},
    )
    client = api(territory.gp)
    created = client.post("ServiceRequest", sent)
    assert created.status_code == 201, created.json_body
    read = client.get(f"ServiceRequest/{created.json_body['id']}").json_body
    assert sent["identifier"][0] in read["identifier"]
    assert read["code"] == code and read["reasonCode"] == reason
    assert read["occurrenceDateTime"] == "2026-03-20T10:30:00+01:00"
    # The caller's own PractitionerRole designates the caller.
    assert read["requester"]["reference"] == f"Practitioner/{gp_practitioner.pk}"
    found = client.get("ServiceRequest", {"identifier": "urn:oid:1.2.250.1.999.2|DEM-77"})
    assert found.json_body["total"] == 1
    assert (
        client.get("ServiceRequest", {"requester": f"PractitionerRole/{role.pk}"}).json_body[
            "total"
        ]
        == 1
    )


@pytest.mark.parametrize(
    ("change", "element"),
    [
        ({"reasonReference": [{"reference": "Condition/1"}]}, "ServiceRequest.reasonReference"),
        ({"priority": "routine"}, "ServiceRequest.priority"),
        ({"bodySite": [{"text": "Thorax"}]}, "ServiceRequest.bodySite"),
        (
            {"identifier": [{"system": "urn:a", "value": "1"}, {"system": "urn:b", "value": "2"}]},
            "ServiceRequest.identifier[1]",
        ),
    ],
)
def test_a_service_request_it_cannot_keep_is_refused(api, territory, patient, change, element):
    response = api(territory.gp).post(
        "ServiceRequest", {**service_request_body(patient.pk, territory.cardio.pk), **change}
    )
    assert response.status_code == 422
    assert element in response.json_body["issue"][0]["expression"]
    assert not Referral.objects.exists()


def test_a_task_put_requested_with_a_doctor_as_owner_is_refused_not_assigned(
    api, territory, make_referral, doctor_practitioner
):
    referral = make_referral()
    desk = api(territory.desk)
    task = desk.get(f"Task/{referral.pk}").json_body
    role = doctor_practitioner.roles.first()
    response = desk.put(
        f"Task/{referral.pk}",
        {**task, "status": "requested", "owner": {"reference": f"PractitionerRole/{role.pk}"}},
    )
    assert response.status_code == 422
    assert "accepted" in response.json_body["issue"][0]["diagnostics"]
    assert Referral.objects.get(pk=referral.pk).status == "submitted"
    accepted = desk.put(
        f"Task/{referral.pk}",
        {**task, "status": "accepted", "owner": {"reference": f"PractitionerRole/{role.pk}"}},
    )
    assert accepted.status_code == 200 and accepted.json_body["status"] == "accepted"


RELIABILITY = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"
BIRTH_PLACE = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
BIRTH_LIST = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-birth-list-given-name"
STATUS = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-identity-status"
MODE = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-mode-validation-identity"


def _fr_core_patient(status="VALI", mode="CN"):
    """An FR Core Patient (invented identity) with every element the platform keeps."""
    reliability = [{"url": "identityStatus", "valueCoding": {"system": STATUS, "code": status}}]
    if mode:
        reliability.append({"url": "validationMode", "valueCoding": {"system": MODE, "code": mode}})
    return {
        "resourceType": "Patient",
        "extension": [
            {"url": RELIABILITY, "extension": reliability},
            {
                "url": BIRTH_PLACE,
                "valueAddress": {
                    "extension": [
                        {
                            "url": "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code",
                            "valueCoding": {
                                "system": "urn:oid:1.2.250.1.213.2.12",
                                "code": "63113",
                            },
                        }
                    ],
                    "city": "Clermont-Ferrand",
                    "country": "FRA",
                },
            },
        ],
        "name": [
            {
                "use": "official",
                "family": "VERNADET",
                "given": ["ANSELME"],
                "extension": [{"url": BIRTH_LIST, "valueString": "ANSELME THIBAULT"}],
            }
        ],
        "telecom": [{"system": "phone", "value": "0473000000", "use": "mobile"}],
        "gender": "male",
        "birthDate": "1961-04-02",
        "address": [
            {
                "use": "temp",
                "line": ["3 rue des Essais"],
                "postalCode": "63000",
                "city": "Clermont-Ferrand",
                "country": "FRA",
            }
        ],
    }


def test_an_fr_core_patient_reads_back_element_by_element(api, territory):
    client = api(territory.gp)
    sent = _fr_core_patient()
    created = client.post("Patient", sent)
    assert created.status_code == 201, created.json_body
    read = client.get(f"Patient/{created.json_body['id']}").json_body
    exts = {e["url"]: e for e in read["extension"]}
    status = {e["url"]: e for e in exts[RELIABILITY]["extension"]}
    assert status["identityStatus"]["valueCoding"]["code"] == "VALI"
    assert status["validationMode"]["valueCoding"]["code"] == "CN"
    assert exts[BIRTH_PLACE] == sent["extension"][1]
    official = read["name"][0]
    assert official["family"] == "VERNADET" and official["given"] == ["ANSELME"]
    assert official["extension"] == sent["name"][0]["extension"]
    assert read["telecom"] == sent["telecom"]
    assert read["address"] == sent["address"]
    assert read["gender"] == "male" and read["birthDate"] == "1961-04-02"


@pytest.mark.parametrize(
    ("body", "element"),
    [
        (_fr_core_patient(status="QUAL"), "Patient.extension[0].extension"),
        (_fr_core_patient(status="VALI", mode=""), "Patient.extension[0].extension"),
        ({**_fr_core_patient(), "maritalStatus": {"text": "Marié"}}, "Patient.maritalStatus"),
        (
            {**_fr_core_patient(), "telecom": [{"system": "email", "value": "a@example.org"}]},
            "Patient.telecom[0]",
        ),
        (
            {**_fr_core_patient(), "extension": [{"url": "urn:x", "valueString": "?"}]},
            "Patient.extension[0]",
        ),
        (
            {**_fr_core_patient(), "address": [{"city": "Riom", "district": "Puy-de-Dôme"}]},
            "Patient.address[0].district",
        ),
    ],
)
def test_a_patient_it_cannot_keep_is_refused_naming_the_element(api, territory, body, element):
    from parcours.patients.models import Patient

    response = api(territory.gp).post("Patient", body)
    assert response.status_code == 422, response.json_body
    assert element in response.json_body["issue"][0]["expression"]
    assert not Patient.objects.exists()


def test_a_task_element_the_workflow_does_not_act_on_is_refused(api, territory, make_referral):
    referral = make_referral()
    desk = api(territory.desk)
    task = desk.get(f"Task/{referral.pk}").json_body
    response = desk.put(
        f"Task/{referral.pk}", {**task, "status": "received", "description": "À voir vite"}
    )
    assert response.status_code == 422
    assert response.json_body["issue"][0]["expression"] == ["Task.description"]
    assert Referral.objects.get(pk=referral.pk).status == "submitted"


@pytest.mark.usefixtures("agenda")
def test_reason_codings_are_kept_and_a_foreign_based_on_refused(
    api, territory, agenda, patient, doctor_practitioner
):
    client = api(territory.gp)
    slot = slot_on(agenda.cardio, 9)
    reason = [{"coding": [{"system": "http://snomed.info/sct", "code": "29857009"}]}]
    foreign = client.post(
        "Appointment",
        _gap_booking(slot, patient, doctor_practitioner, basedOn=[{"reference": "CarePlan/1"}]),
    )
    assert foreign.status_code == 422
    assert foreign.json_body["issue"][0]["expression"] == ["Appointment.basedOn[0]"]
    created = client.post(
        "Appointment", _gap_booking(slot, patient, doctor_practitioner, reasonCode=reason)
    )
    assert created.status_code == 201, created.json_body
    assert client.get(f"Appointment/{created.json_body['id']}").json_body["reasonCode"] == reason


@pytest.mark.parametrize(
    ("change", "element"),
    [
        ({"topic": {"text": "Suite"}}, "Communication.topic"),
        ({"status": "preparation"}, "Communication.status"),
        ({"subject": {"reference": "Patient/999999"}}, "Communication.subject"),
        ({"partOf": [{"reference": "Task/999999"}]}, "Communication.partOf"),
    ],
)
def test_a_communication_it_cannot_keep_is_refused(api, territory, make_referral, change, element):
    from parcours.referrals.models import ReferralMessage

    referral = make_referral()
    body = {
        "resourceType": "Communication",
        "status": "completed",
        "basedOn": [{"reference": f"ServiceRequest/{referral.pk}"}],
        "payload": [{"contentString": "Résultats joints."}],
        **change,
    }
    response = api(territory.gp).post("Communication", body)
    body.pop("topic", None)
    assert response.status_code == 422, response.json_body
    assert element in response.json_body["issue"][0]["expression"]
    assert not ReferralMessage.objects.exists()
    sent = api(territory.gp).post(
        "Communication",
        {
            **body,
            "status": "completed",
            "subject": {"reference": f"Patient/{referral.patient_id}"},
            "partOf": [{"reference": f"Task/{referral.pk}"}],
        },
    )
    assert sent.status_code == 201, sent.json_body
