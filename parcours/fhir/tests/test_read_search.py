"""Read and search of every resource type: valid FHIR R4 (checked by the client helper
against fhir.resources), search parameters, paging with Bundle next links."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parcours.fhir.tests.conftest import validate_fhir


@pytest.fixture
def world(territory, patient, make_referral, doctor_practitioner, gp_practitioner):
    from parcours.referrals.services import referral_message_add

    territory.alpha.finess = "530000371"
    territory.alpha.save()
    advice = make_referral()
    exam = make_referral(kind="EXAM", service=territory.pneumo_svc)
    referral_message_add(actor=territory.gp, referral=advice, body="Question de suivi.")
    return territory, advice, exam


def ids(bundle):
    return sorted(int(e["resource"]["id"]) for e in bundle.get("entry", []))


def test_every_resource_type_reads_and_searches_as_valid_fhir(api, world):
    territory, advice, exam = world
    client = api(territory.gp)
    for rtype in (
        "Organization",
        "HealthcareService",
        "Practitioner",
        "PractitionerRole",
        "Patient",
        "ServiceRequest",
        "Task",
        "Communication",
    ):
        bundle = client.get(rtype).json_body
        assert bundle["type"] == "searchset" and bundle["entry"], rtype
        for entry in bundle["entry"]:
            assert entry["fullUrl"].endswith(f"/fhir/{rtype}/{entry['resource']['id']}")
            read = client.get(f"{rtype}/{entry['resource']['id']}")
            assert read.status_code == 200
            assert read.json_body == entry["resource"]


def test_unknown_ids_and_types_are_404_outcomes(api, world):
    client = api(world[0].gp)
    for url in ("Patient/999999", "Patient/abc", "Immunization", "Observation/1", "nowhere/x/y"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json_body["resourceType"] == "OperationOutcome"


def test_patient_search_parameters(api, world):
    territory, advice, _ = world
    client = api(territory.gp)
    pid = [advice.patient_id]
    assert ids(client.get("Patient", {"family": "dupo"}).json_body) == pid
    assert ids(client.get("Patient", {"family": "Martin"}).json_body) == []
    assert ids(client.get("Patient", {"given": "anne"}).json_body) == pid
    assert ids(client.get("Patient", {"name": "marie"}).json_body) == pid
    assert ids(client.get("Patient", {"birthdate": "1950-04-03"}).json_body) == pid
    assert ids(client.get("Patient", {"birthdate": "1950"}).json_body) == pid
    assert ids(client.get("Patient", {"birthdate": "gt1950-04-03"}).json_body) == []
    assert ids(client.get("Patient", {"birthdate": "le1950-04-03"}).json_body) == pid
    assert ids(client.get("Patient", {"gender": "female"}).json_body) == pid
    assert (
        ids(
            client.get(
                "Patient",
                {"identifier": f"https://parcours.esante.example/fhir/sid/patient|{pid[0]}"},
            ).json_body
        )
        == pid
    )


def test_patient_search_by_ins(api, world):
    from parcours.patients.models import Patient

    territory, advice, _ = world
    Patient.objects.filter(pk=advice.patient_id).update(ins_nir="250045313000170")
    client = api(territory.gp)
    found = client.get("Patient", {"identifier": "urn:oid:1.2.250.1.213.1.4.8|250045313000170"})
    assert ids(found.json_body) == [advice.patient_id]
    resource = found.json_body["entry"][0]["resource"]
    assert resource["identifier"][0]["system"] == "urn:oid:1.2.250.1.213.1.4.8"
    assert ids(client.get("Patient", {"identifier": "250045313000170"}).json_body) == [
        advice.patient_id
    ]


def test_practitioner_and_directory_search(api, world, doctor_practitioner):
    territory = world[0]
    client = api(territory.gp)
    assert ids(
        client.get(
            "Practitioner", {"identifier": "https://rpps.esante.gouv.fr|10000000001"}
        ).json_body
    ) == [doctor_practitioner.pk]
    assert ids(
        client.get(
            "Practitioner", {"identifier": "urn:oid:1.2.250.1.71.4.2.1|810000000001"}
        ).json_body
    ) == [doctor_practitioner.pk]
    assert ids(client.get("Practitioner", {"name": "doc"}).json_body) == [doctor_practitioner.pk]
    services = client.get(
        "HealthcareService", {"organization": f"Organization/{territory.alpha.pk}"}
    )
    assert ids(services.json_body) == sorted([territory.cardio.pk, territory.pneumo_svc.pk])
    assert ids(client.get("HealthcareService", {"specialty": "cardiologie"}).json_body) == sorted(
        [territory.cardio.pk, territory.beta_cardio.pk]
    )
    assert ids(client.get("HealthcareService", {"name": "Pneumo"}).json_body) == [
        territory.pneumo_svc.pk
    ]
    orgs = client.get("Organization", {"identifier": "https://finess.esante.gouv.fr|530000371"})
    assert ids(orgs.json_body) == [territory.alpha.pk]
    roles = client.get("PractitionerRole", {"service": f"HealthcareService/{territory.cardio.pk}"})
    assert len(roles.json_body["entry"]) == 1


def test_service_request_search_parameters(api, world, gp_practitioner):
    territory, advice, exam = world
    client = api(territory.gp)
    both = sorted([advice.pk, exam.pk])
    assert (
        ids(client.get("ServiceRequest", {"patient": f"Patient/{advice.patient_id}"}).json_body)
        == both
    )
    assert (
        ids(
            client.get(
                "ServiceRequest", {"requester": f"Practitioner/{gp_practitioner.pk}"}
            ).json_body
        )
        == both
    )
    assert ids(
        client.get(
            "ServiceRequest", {"performer": f"HealthcareService/{territory.cardio.pk}"}
        ).json_body
    ) == [advice.pk]
    assert ids(client.get("ServiceRequest", {"category": "EXAM"}).json_body) == [exam.pk]
    assert ids(client.get("ServiceRequest", {"category": "EXAM,ADVICE"}).json_body) == both
    assert ids(client.get("ServiceRequest", {"status": "active"}).json_body) == both
    assert ids(client.get("ServiceRequest", {"status": "completed"}).json_body) == []
    today = timezone.localdate().isoformat()
    assert ids(client.get("ServiceRequest", {"authored": f"ge{today}"}).json_body) == both
    assert ids(client.get("ServiceRequest", {"authored": "lt2000-01-01"}).json_body) == []
    assert ids(client.get("ServiceRequest", {"identifier": advice.reference}).json_body) == [
        advice.pk
    ]


def test_task_search_parameters(api, world, doctor_practitioner):
    from parcours.referrals.services import referral_assign

    territory, advice, exam = world
    referral_assign(actor=territory.desk, referral=advice, doctor=territory.doctor)
    client = api(territory.desk)
    assert ids(client.get("Task", {"focus": f"ServiceRequest/{advice.pk}"}).json_body) == [
        advice.pk
    ]
    assert ids(client.get("Task", {"status": "accepted"}).json_body) == [advice.pk]
    assert ids(client.get("Task", {"status": "requested"}).json_body) == [exam.pk]
    assert ids(client.get("Task", {"business-status": "assigned"}).json_body) == [advice.pk]
    assert ids(
        client.get("Task", {"owner": f"Practitioner/{doctor_practitioner.pk}"}).json_body
    ) == [advice.pk]
    assert ids(
        client.get("Task", {"owner": f"HealthcareService/{territory.pneumo_svc.pk}"}).json_body
    ) == [exam.pk]
    task = client.get(f"Task/{advice.pk}").json_body
    assert task["restriction"]["period"]["end"]
    assert task["owner"]["reference"] == f"Practitioner/{doctor_practitioner.pk}"
    assert task["focus"]["reference"] == f"ServiceRequest/{advice.pk}"


def test_communication_search(api, world):
    territory, advice, exam = world
    client = api(territory.doctor)
    bundle = client.get("Communication", {"based-on": f"ServiceRequest/{advice.pk}"}).json_body
    assert bundle["total"] == 1
    assert bundle["entry"][0]["resource"]["payload"][0]["contentString"] == "Question de suivi."


def test_paging_follows_next_links_to_the_end(api, territory, make_referral):
    for _ in range(5):
        make_referral()
    client = api(territory.gp)
    seen, url, params = [], "ServiceRequest", {"_count": "2"}
    while True:
        bundle = client.get(url, params).json_body
        assert bundle["total"] == 5
        seen += ids(bundle)
        nxt = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        if not nxt:
            break
        url, params = nxt[0].split("/fhir/", 1)[1], None
    assert len(seen) == 5 and len(set(seen)) == 5


def test_search_page_costs_a_constant_number_of_queries(api, territory, make_referral):
    client = api(territory.desk)
    make_referral()
    client.get("Task")  # the token's first use records last_used_at: not part of a page
    with CaptureQueriesContext(connection) as one:
        client.get("Task")
    for _ in range(6):
        make_referral()
    with CaptureQueriesContext(connection) as seven:
        client.get("Task")
    assert len(seven) == len(one)


@pytest.mark.parametrize(
    "params",
    [
        {"colour": "blue"},
        {"birthdate": "yesterday"},
        {"_count": "-1"},
        {"family:fuzzy": "x"},
        {"_total": "x"},
    ],
)
def test_bad_search_parameters_are_400(api, world, params):
    response = api(world[0].gp).get("Patient", params)
    assert response.status_code == 400
    validate_fhir(response.json_body)
