"""Issue 21: the searches the national guides rely on (GAP consumer CapabilityStatement, ANS
Annuaire Santé): their parameters, national identifiers, chained searches, _include, _sort,
_elements, _summary and Prefer: handling."""

import pytest

from parcours.directory.models import Organisation
from parcours.scheduling.services import slot_book
from parcours.scheduling.tests.fixtures import slot_on

IDNST = "urn:oid:1.2.250.1.71.4.2.2"
FINESS = "https://finess.esante.gouv.fr"


def test_strict_handling_refuses_an_unknown_parameter_and_lenient_lists_it(api, territory):
    client = api(territory.gp)
    assert client.get("Organization", {"nmae": "Alpha"}).status_code == 400
    lenient = client.get(
        "Organization", {"nmae": "Alpha", "_count": "1"}, HTTP_PREFER="handling=lenient"
    ).json_body
    outcome = lenient["entry"][-1]
    assert outcome["search"]["mode"] == "outcome"
    assert outcome["resource"]["issue"][0]["expression"] == ["nmae"]
    assert (
        client.get("Organization", {"nmae": "x"}, HTTP_PREFER="handling=strict").status_code == 400
    )


def test_organization_by_idnst_finess_and_any_value_of_a_system(api, territory):
    Organisation.objects.filter(pk=territory.alpha.pk).update(finess="630000001")
    client = api(territory.gp)
    by_idnst = client.get("Organization", {"identifier": f"{IDNST}|1630000001"}).json_body
    assert [e["resource"]["id"] for e in by_idnst["entry"]] == [str(territory.alpha.pk)]
    with_finess = client.get("Organization", {"identifier": f"{FINESS}|"}).json_body
    assert [e["resource"]["id"] for e in with_finess["entry"]] == [str(territory.alpha.pk)]
    assert client.get("Organization", {"identifier": "urn:other|"}).json_body["total"] == 0


def test_practitioner_role_by_role_identifier_and_included_practitioner(
    api, territory, doctor_practitioner
):
    client = api(territory.gp)
    found = client.get(
        "PractitionerRole",
        {
            "role": "Praticien hospitalier",
            "identifier": "https://rpps.esante.gouv.fr|10000000001",
            "_include": "PractitionerRole:practitioner",
        },
    ).json_body
    modes = [(e["resource"]["resourceType"], e["search"]["mode"]) for e in found["entry"]]
    assert modes == [("PractitionerRole", "match"), ("Practitioner", "include")]
    assert found["total"] == 1
    assert client.get("PractitionerRole", {"_include": "PractitionerRole:nope"}).status_code == 400


def test_healthcare_service_by_identifier_and_service_type(api, territory, agenda):
    client = api(territory.gp)
    system = "https://parcours.esante.example/fhir/sid/healthcare-service"
    by_id = client.get("HealthcareService", {"identifier": f"{system}|{territory.cardio.pk}"})
    assert [e["resource"]["id"] for e in by_id.json_body["entry"]] == [str(territory.cardio.pk)]
    by_act = client.get("HealthcareService", {"service-type": "Consultation"}).json_body
    assert [e["resource"]["id"] for e in by_act["entry"]] == [str(territory.cardio.pk)]


def test_a_practitioner_or_their_role_is_an_actor_of_their_services_schedules(
    api, territory, agenda, doctor_practitioner
):
    client = api(territory.gp)
    role = doctor_practitioner.roles.first()
    for actor in (f"Practitioner/{doctor_practitioner.pk}", f"PractitionerRole/{role.pk}"):
        found = client.get("Schedule", {"actor": actor}).json_body
        assert str(agenda.cardio.pk) in [e["resource"]["id"] for e in found["entry"]], actor
    slots = client.get(
        "Slot",
        {"schedule.actor": f"PractitionerRole/{role.pk}", "_sort": "-start", "_count": "2"},
    ).json_body
    starts = [e["resource"]["start"] for e in slots["entry"]]
    assert starts == sorted(starts, reverse=True) and slots["total"] > 2


def test_appointments_by_actor_service_type_and_chained_patient_identifier(
    api, territory, agenda, patient
):
    booked = slot_book(user=territory.gp, slot=slot_on(agenda.cardio, 9), patient=patient)
    client = api(territory.gp)
    for params in (
        {"actor": f"Patient/{patient.pk}"},
        {"actor": f"HealthcareService/{territory.cardio.pk}"},
        {"service-type": "Consultation"},
        {"patient.identifier": f"https://parcours.esante.example/fhir/sid/patient|{patient.pk}"},
        {"identifier": booked.reference},
    ):
        found = client.get("Appointment", {**params, "_include": "Appointment:patient"})
        assert found.status_code == 200, (params, found.json_body)
        entries = found.json_body["entry"]
        assert [e["resource"]["id"] for e in entries if e["search"]["mode"] == "match"] == [
            str(booked.pk)
        ], params
        assert [e["resource"]["id"] for e in entries if e["search"]["mode"] == "include"] == [
            str(patient.pk)
        ]


def test_elements_sort_and_summary_count(api, territory, make_referral):
    make_referral()
    make_referral()
    client = api(territory.gp)
    only = client.get("ServiceRequest", {"_elements": "subject,status"}).json_body
    resource = only["entry"][0]["resource"]
    assert set(resource) <= {"resourceType", "id", "meta", "status", "intent", "subject"}
    assert resource["meta"]["tag"][0]["code"] == "SUBSETTED"
    counted = client.get("ServiceRequest", {"_summary": "count"}).json_body
    assert counted["total"] == 2 and "entry" not in counted
    ids = [
        e["resource"]["id"]
        for e in client.get("ServiceRequest", {"_sort": "_id"}).json_body["entry"]
    ]
    assert ids == sorted(ids, key=int)
    assert client.get("ServiceRequest", {"_sort": "colour"}).status_code == 400
    recent = client.get("Task", {"_lastUpdated": "ge2000-01-01"}).json_body
    assert recent["total"] == 2


@pytest.mark.parametrize("summary", ["true", "text"])
def test_unsupported_summary_modes_are_refused(api, territory, summary):
    assert api(territory.gp).get("Patient", {"_summary": summary}).status_code == 400


G15 = "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante"
R38 = "https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale"


def test_professions_and_specialties_carry_and_match_the_ans_codes(
    api, territory, doctor_practitioner
):
    from parcours.directory.models import PractitionerRole

    PractitionerRole.objects.filter(practitioner=doctor_practitioner).update(
        profession="Médecin", profession_code="10", specialty="Cardiologie", specialty_code="SM04"
    )
    client = api(territory.gp)
    found = client.get("PractitionerRole", {"role": f"{G15}|10", "specialty": f"{R38}|SM04"})
    assert found.json_body["total"] == 1
    role = found.json_body["entry"][0]["resource"]
    assert {"system": G15, "code": "10", "display": "Médecin"} in role["code"][0]["coding"]
    assert role["specialty"][0]["coding"][0] == {
        "system": R38,
        "code": "SM04",
        "display": "Cardiologie",
    }
    assert client.get("PractitionerRole", {"role": f"{G15}|60"}).json_body["total"] == 0
    assert client.get("PractitionerRole", {"specialty": "cardiologie"}).json_body["total"] == 1
