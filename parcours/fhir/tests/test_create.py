"""POST Patient, ServiceRequest, Communication: through the services, nothing written on error."""

import base64
import copy

import pytest

from parcours.audit.models import AuditEvent
from parcours.fhir.tests.conftest import PATIENT_BODY, service_request_body
from parcours.patients.models import Patient
from parcours.referrals.models import Referral, ReferralMessage

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_gp_creates_a_patient_then_finds_it_again_without_duplicate(api, territory):
    client = api(territory.gp)
    created = client.post("Patient", PATIENT_BODY)
    assert created.status_code == 201
    resource = created.json_body
    assert created["Location"].endswith(f"/fhir/Patient/{resource['id']}")
    assert resource["name"][0] == {
        "use": "official",
        "family": "MARTIN",
        "given": ["LEA"],
        "extension": [
            {
                "url": "https://hl7.fr/ig/fhir/core/StructureDefinition/"
                "fr-core-patient-birth-list-given-name",
                "valueString": "LEA JEANNE",
            }
        ],
    }
    assert resource["identifier"][0]["value"] == "255081416802538"
    again = api(territory.gp2).post("Patient", PATIENT_BODY)
    assert again.status_code == 200 and again.json_body["id"] == resource["id"]
    assert Patient.objects.count() == 1
    assert (
        AuditEvent.objects.filter(action="create", object_type="patient", channel="api").count()
        == 1
    )


@pytest.mark.parametrize(
    "change, expression",
    [
        (
            {"identifier": [{"system": "urn:oid:1.2.250.1.213.1.4.8", "value": "255081416802539"}]},
            "Patient.identifier",
        ),
        ({"gender": "unknown"}, "Patient.gender"),
        (
            {"name": [{"use": "official", "family": "M4rtin", "given": ["Léa"]}]},
            "Patient.name.family",
        ),
        ({"birthDate": "2999-01-01"}, "Patient.birthDate"),
    ],
)
def test_patient_identity_checks_are_the_web_forms_422(api, territory, change, expression):
    body = {**copy.deepcopy(PATIENT_BODY), **change}
    response = api(territory.gp).post("Patient", body)
    assert response.status_code == 422, response.json_body
    assert expression in [e for i in response.json_body["issue"] for e in i.get("expression", [])]
    assert Patient.objects.count() == 0


@pytest.mark.parametrize(
    "payload, content_type, status",
    [
        ("{not json", "application/fhir+json", 400),
        ('{"resourceType": "Organization"}', "application/fhir+json", 400),
        ('{"resourceType": "Patient", "birthDate": "03/04/1950"}', "application/fhir+json", 400),
        ('{"resourceType": "Patient", "name": "Martin"}', "application/fhir+json", 400),
        ("[]", "application/fhir+json", 400),
        ("<Patient/>", "application/xml", 415),
    ],
)
def test_malformed_bodies_are_refused(api, territory, payload, content_type, status):
    response = api(territory.gp).post("Patient", payload, content_type=content_type)
    assert response.status_code == status
    assert response.json_body["resourceType"] == "OperationOutcome"
    assert Patient.objects.count() == 0


def test_gp_submits_a_service_request_with_an_attachment(api, territory, patient):
    body = service_request_body(patient.pk, territory.cardio.pk)
    body["contained"] = [
        {
            "resourceType": "DocumentReference",
            "id": "ecg",
            "status": "current",
            "content": [
                {
                    "attachment": {
                        "contentType": "application/pdf",
                        "title": "ecg.pdf",
                        "data": base64.b64encode(PDF).decode(),
                    }
                }
            ],
        }
    ]
    body["supportingInfo"] = [{"reference": "#ecg"}]
    client = api(territory.gp)
    response = client.post("ServiceRequest", body)
    assert response.status_code == 201, response.json_body
    sr = response.json_body
    referral = Referral.objects.get(pk=sr["id"])
    assert referral.kind == "ADVICE" and referral.author == territory.gp
    assert referral.question == "Dyspnée d'effort récente : avis ?"
    assert referral.context == "ECG normal il y a un an."
    assert sr["performer"][0]["reference"] == f"HealthcareService/{territory.cardio.pk}"
    assert sr["requester"]["display"] == territory.gp.display_name
    url = sr["contained"][0]["content"][0]["attachment"]["url"]
    binary = client.get(url.split("/fhir/", 1)[1])
    assert base64.b64decode(binary.json_body["data"]) == PDF
    assert api(territory.gp2).get(url.split("/fhir/", 1)[1]).status_code == 404
    task = client.get(f"Task/{sr['id']}").json_body
    assert task["status"] == "requested"
    assert task["businessStatus"]["coding"][0]["code"] == "submitted"


@pytest.mark.parametrize(
    "change, status",
    [
        ({"category": [{"coding": [{"code": "SURGERY"}]}]}, 422),
        ({"performer": [{"reference": "HealthcareService/999999"}]}, 422),
        ({"performer": [{"reference": "Organization/1"}]}, 422),
        ({"subject": {"reference": "Group/1"}}, 422),
        ({"reasonCode": [], "note": []}, 422),
        ({"requester": {"reference": "Practitioner/999999"}}, 422),
        ({"status": "draft"}, 422),
        ({"supportingInfo": [{"reference": "#missing"}]}, 422),
        (
            {
                "contained": [
                    {
                        "resourceType": "Binary",
                        "id": "x",
                        "contentType": "text/plain",
                        "data": base64.b64encode(b"hello").decode(),
                    }
                ],
                "supportingInfo": [{"reference": "#x"}],
            },
            422,
        ),
        ({"intent": "wish"}, 400),
    ],
)
def test_invalid_service_requests_write_nothing(api, territory, patient, change, status):
    body = {**service_request_body(patient.pk, territory.cardio.pk), **change}
    before = AuditEvent.objects.count()
    response = api(territory.gp).post("ServiceRequest", body)
    assert response.status_code == status, response.json_body
    assert Referral.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_service_request_for_another_gps_patient_is_refused(api, territory, patient):
    response = api(territory.gp2).post(
        "ServiceRequest", service_request_body(patient.pk, territory.cardio.pk)
    )
    assert response.status_code == 422
    assert response.json_body["issue"][0]["code"] == "not-found"
    assert Referral.objects.count() == 0


def test_only_a_gp_submits_a_request(api, territory, patient, make_referral):
    make_referral()  # the desk can now see the patient through the request
    response = api(territory.desk).post(
        "ServiceRequest", service_request_body(patient.pk, territory.cardio.pk)
    )
    assert response.status_code == 403
    assert Referral.objects.count() == 1


def test_communication_adds_a_message_to_the_thread(api, territory, make_referral):
    referral = make_referral()
    body = {
        "resourceType": "Communication",
        "status": "completed",
        "basedOn": [{"reference": f"ServiceRequest/{referral.pk}"}],
        "payload": [
            {"contentString": "Le patient a apporté son ECG."},
            {
                "contentAttachment": {
                    "contentType": "application/pdf",
                    "title": "ecg.pdf",
                    "data": base64.b64encode(PDF).decode(),
                }
            },
        ],
    }
    response = api(territory.doctor).post("Communication", body)
    assert response.status_code == 201, response.json_body
    message = ReferralMessage.objects.get(pk=response.json_body["id"])
    assert message.author == territory.doctor and message.attachments.count() == 1
    assert response.json_body["payload"][1]["contentAttachment"]["title"] == "ecg.pdf"
    assert api(territory.gp2).post("Communication", body).status_code == 422
    assert ReferralMessage.objects.count() == 1


def test_communication_on_a_closed_request_is_a_conflict(api, territory, make_referral):
    from parcours.referrals.services import referral_cancel

    referral = make_referral()
    referral_cancel(actor=territory.gp, referral=referral, reason="Patient hospitalisé ailleurs")
    body = {
        "resourceType": "Communication",
        "status": "completed",
        "basedOn": [{"reference": f"ServiceRequest/{referral.pk}"}],
        "payload": [{"contentString": "Encore là ?"}],
    }
    assert api(territory.gp).post("Communication", body).status_code == 409
    assert api(territory.gp).post(
        "Communication", {**body, "payload": [{"contentString": "  "}]}
    ).status_code in (409, 422)
    assert ReferralMessage.objects.count() == 0


def test_read_only_resources_refuse_writes(api, territory):
    client = api(territory.gp)
    response = client.post("Organization", {"resourceType": "Organization", "name": "X"})
    assert response.status_code == 405
    response = client.client.delete(
        f"/fhir/Organization/{territory.alpha.pk}", HTTP_AUTHORIZATION=f"Bearer {client.token}"
    )
    assert response.status_code == 405


@pytest.mark.parametrize(
    "change, expression",
    [
        (
            {"name": [{"use": "official", "family": "A" * 101, "given": ["Léa"]}]},
            "Patient.name.family",
        ),
        ({"telecom": [{"system": "phone", "value": "0" * 31}]}, "Patient.telecom"),
        ({"birthDate": "1955-08"}, "Patient.birthDate"),
    ],
)
def test_patient_form_limits_apply_to_the_api(api, territory, change, expression):
    response = api(territory.gp).post("Patient", {**copy.deepcopy(PATIENT_BODY), **change})
    assert response.status_code == 422, response.json_body
    assert response.json_body["issue"][0]["expression"] == [expression]
    assert Patient.objects.count() == 0


def test_texts_longer_than_the_web_forms_accept_are_422(api, territory, patient, make_referral):
    body = service_request_body(patient.pk, territory.cardio.pk, reasonCode=[{"text": "x" * 5001}])
    assert api(territory.gp).post("ServiceRequest", body).status_code == 422
    referral = make_referral()
    response = api(territory.desk).patch(
        f"Task/{referral.pk}", {"status": "rejected", "statusReason": {"text": "x" * 2001}}
    )
    assert response.status_code == 422
    assert Referral.objects.get(pk=referral.pk).status == "submitted"


def test_only_json_is_served(api, territory):
    client = api(territory.gp)
    assert client.get("Organization", HTTP_ACCEPT="application/fhir+xml").status_code == 406
    assert client.get("Organization", {"_format": "xml"}).status_code == 406
    assert client.get("Organization", {"_format": "json"}).status_code == 200
    assert client.get("Organization", HTTP_ACCEPT="*/*").status_code == 200


def test_oversized_body_is_413_and_writes_nothing(api, territory, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {**copy.deepcopy(PATIENT_BODY), "telecom": [{"system": "phone", "value": "0" * 2000}]}
    response = api(territory.gp).post("Patient", body)
    assert response.status_code == 413
    assert Patient.objects.count() == 0


def test_created_resources_are_what_a_read_returns(api, territory, patient, make_referral):
    client = api(territory.gp)
    created = client.post("Patient", PATIENT_BODY).json_body
    assert client.get(f"Patient/{created['id']}").json_body == created
    sr = client.post(
        "ServiceRequest", service_request_body(patient.pk, territory.cardio.pk)
    ).json_body
    assert client.get(f"ServiceRequest/{sr['id']}").json_body == sr
    message = client.post(
        "Communication",
        {
            "resourceType": "Communication",
            "status": "completed",
            "basedOn": [{"reference": f"ServiceRequest/{sr['id']}"}],
            "payload": [{"contentString": "Précision : pas de traitement en cours."}],
        },
    ).json_body
    assert client.get(f"Communication/{message['id']}").json_body == message
