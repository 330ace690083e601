"""FHIR identity (issue 12): POST Patient keeps the caller organisation's local numbers and
refuses others; finding an identity opens nothing and writes nothing; FR Core identity
reliability and birth given-name list; the national structure identifier (IDNST) on
Organization."""

import copy
from datetime import date

import pytest
from django.utils import timezone

from parcours.directory.models import Organisation
from parcours.patients.models import CareLink, IdentityLink, Patient, PatientIdentifier
from parcours.patients.services import local_system, patient_create, patient_set_status

from .conftest import PATIENT_BODY

BIRTH_LIST = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-birth-list-given-name"
RELIABILITY = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"
IDNST = "urn:oid:1.2.250.1.71.4.2.2"


def _body(**changes):
    body = copy.deepcopy(PATIENT_BODY)
    body.update(changes)
    return body


def test_post_patient_keeps_the_callers_ipp_as_a_local_identifier(api, territory):
    system = local_system(territory.msp1, "IPP")
    body = _body(identifier=[*PATIENT_BODY["identifier"], {"system": system, "value": "IPP-77"}])
    response = api(territory.gp).post("Patient", body)
    assert response.status_code == 201
    ident = PatientIdentifier.objects.get()
    assert (ident.system, ident.value, ident.organisation) == (system, "IPP-77", territory.msp1)
    assert {"system": system, "value": "IPP-77"}.items() <= next(
        i for i in response.json_body["identifier"] if i["system"] == system
    ).items()


def test_post_patient_refuses_an_identifier_of_another_system_with_a_422(api, territory):
    foreign = local_system(territory.alpha, "IPP")  # CH Alpha's IPP: not the GP's to assign
    body = _body(identifier=[*PATIENT_BODY["identifier"], {"system": foreign, "value": "9"}])
    response = api(territory.gp).post("Patient", body)
    assert response.status_code == 422
    issue = response.json_body["issue"][0]
    assert foreign in issue["diagnostics"] and issue["expression"] == ["Patient.identifier[1]"]
    assert not Patient.objects.exists() and not PatientIdentifier.objects.exists()


def test_post_patient_refuses_an_identifier_without_system(api, territory):
    body = _body(identifier=[{"value": "12345"}])
    response = api(territory.gp).post("Patient", body)
    assert (
        response.status_code == 422
        and "sans système" in response.json_body["issue"][0]["diagnostics"]
    )
    assert not Patient.objects.exists()


def test_post_patient_with_known_traits_opens_nothing_and_changes_nothing(api, territory):
    first = api(territory.gp).post("Patient", _body(identifier=[])).json_body
    again = api(territory.gp2).post("Patient", _body(identifier=[]))
    assert again.status_code == 200 and again.json_body["id"] == first["id"]
    patient = Patient.objects.get()
    assert IdentityLink.objects.filter(patient=patient, user=territory.gp2).exists()
    assert not CareLink.objects.filter(patient=patient, user=territory.gp2).exists()
    # The same traits with a NIR the known identity lacks: a new identity keeps it, the pair
    # goes to review; the known identity gets no NIR.
    third = api(territory.gp2).post("Patient", PATIENT_BODY)
    assert third.status_code == 201
    patient.refresh_from_db()
    assert patient.ins_nir == "" and Patient.objects.count() == 2


def test_match_writes_nothing(api, territory):
    patient = patient_create(
        actor=territory.gp,
        birth_name="Martin",
        birth_given_names="Léa Jeanne",
        birth_date=date(1955, 8, 14),
        sex="F",
    ).patient
    params = {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "resource",
                "resource": {
                    **_body(
                        identifier=[
                            {"system": "urn:oid:1.2.250.1.213.1.4.8", "value": "255081416802538"}
                        ]
                    )
                },
            }
        ],
    }
    response = api(territory.gp2).post("Patient/$match", params)
    assert response.status_code == 200
    patient.refresh_from_db()
    assert patient.ins_nir == ""
    assert not IdentityLink.objects.exists() and CareLink.objects.count() == 1


def test_birth_given_name_list_is_kept_whole_on_create_and_read(api, territory):
    body = _body(
        identifier=[],
        name=[
            {
                "use": "official",
                "family": "Durand",
                "given": ["Pierre"],
                "extension": [{"url": BIRTH_LIST, "valueString": "Pierre Yves"}],
            }
        ],
        gender="male",
        birthDate="1974-12-25",
    )
    created = api(territory.gp).post("Patient", body)
    assert created.status_code == 201
    assert Patient.objects.get().birth_given_names == "PIERRE YVES"
    official = created.json_body["name"][0]
    assert official["given"] == ["PIERRE"]
    assert official["extension"] == [{"url": BIRTH_LIST, "valueString": "PIERRE YVES"}]


def test_nia_oid_makes_a_nia(api, territory):
    body = _body(identifier=[{"system": "urn:oid:1.2.250.1.213.1.4.9", "value": "255081416802538"}])
    assert api(territory.gp).post("Patient", body).status_code == 201
    assert Patient.objects.get().ins_kind == "NIA"


def test_identity_reliability_follows_fr_core(api, territory):
    patient = patient_create(
        actor=territory.gp,
        birth_name="Martin",
        birth_given_names="Léa",
        birth_date=date(1955, 8, 14),
        sex="F",
    ).patient
    resource = api(territory.gp).get(f"Patient/{patient.pk}").json_body
    (ext,) = [e for e in resource["extension"] if e["url"] == RELIABILITY]
    assert ext["extension"] == [
        {
            "url": "identityStatus",
            "valueCoding": {
                "system": "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-identity-status",
                "code": "PROV",
                "display": "Identité provisoire",
            },
        }
    ]
    patient_set_status(actor=territory.gp, patient=patient, status="VALI", document="PASSEPORT")
    resource = api(territory.gp).get(f"Patient/{patient.pk}").json_body
    (ext,) = [e for e in resource["extension"] if e["url"] == RELIABILITY]
    subs = {s["url"]: s for s in ext["extension"]}
    assert subs["identityStatus"]["valueCoding"]["code"] == "VALI"
    assert subs["validationMode"]["valueCoding"] == {
        "system": "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-mode-validation-identity",
        "code": "PA",
        "display": "Passeport",
    }
    assert subs["validationDate"]["valueDate"] == timezone.localdate().isoformat()


@pytest.mark.parametrize(
    "fields,value",
    [({"finess": "530000017"}, "1530000017"), ({"siret": "12345678900017"}, "312345678900017")],
)
def test_organization_carries_and_is_found_by_its_idnst(api, territory, fields, value):
    org = Organisation.objects.create(name="Structure Synthétique", kind="practice", **fields)
    resource = api(territory.gp).get(f"Organization/{org.pk}").json_body
    national = [i for i in resource["identifier"] if i["system"] == IDNST]
    assert national[0]["value"] == value
    assert national[0]["type"]["coding"][0]["code"] == "IDNST"
    found = api(territory.gp).get("Organization", {"identifier": f"{IDNST}|{value}"}).json_body
    assert [e["resource"]["id"] for e in found["entry"]] == [str(org.pk)]
    assert (
        api(territory.gp)
        .get("Organization", {"identifier": f"{IDNST}|9{value[1:]}"})
        .json_body["total"]
        == 0
    )


def test_match_discloses_an_unknown_identity_without_phone_or_others_numbers(api, territory):
    from parcours.patients.services import patient_identifier_add

    patient = patient_create(
        actor=territory.gp,
        birth_name="Martin",
        birth_given_names="Léa",
        birth_date=date(1955, 8, 14),
        sex="F",
        birthplace_insee="53130",
        phone="0600000000",
        address_line="3 rue des Tilleuls",
        postcode="53000",
        town="Laval",
    ).patient
    patient_identifier_add(
        actor=territory.gp,
        patient=patient,
        system="urn:ipp:alpha",
        value="A1",
        organisation=territory.alpha,
    )
    params = {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "resource",
                "resource": {
                    "resourceType": "Patient",
                    "name": [{"use": "official", "family": "Martin", "given": ["Léa"]}],
                    "gender": "female",
                    "birthDate": "1955-08-14",
                    "extension": [
                        {
                            "url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
                            "valueAddress": {
                                "extension": [
                                    {
                                        "url": "https://hl7.fr/ig/fhir/core/StructureDefinition/"
                                        "fr-core-address-insee-code",
                                        "valueCoding": {"code": "53130"},
                                    }
                                ]
                            },
                        }
                    ],
                },
            }
        ],
    }
    (entry,) = api(territory.gp2).post("Patient/$match", params).json_body["entry"]
    assert "telecom" not in entry["resource"] and "address" not in entry["resource"]
    assert all(i["system"] != "urn:ipp:alpha" for i in entry["resource"]["identifier"])
    (own,) = api(territory.gp).post("Patient/$match", params).json_body["entry"]
    assert own["resource"]["telecom"][0]["value"] == "0600000000"
    assert own["resource"]["address"] == [
        {"use": "home", "line": ["3 rue des Tilleuls"], "postalCode": "53000", "city": "Laval"}
    ]


def test_a_found_identity_gets_the_callers_own_number_and_nothing_else(api, territory):
    api(territory.gp).post("Patient", _body(identifier=[]))
    system = local_system(territory.msp2, "NETWORK")
    again = api(territory.gp2).post(
        "Patient", _body(identifier=[{"system": system, "value": "R-42"}])
    )
    assert again.status_code == 200
    patient = Patient.objects.get()
    ident = patient.local_identifiers.get()
    assert (ident.value, ident.kind, ident.organisation) == ("R-42", "NETWORK", territory.msp2)
    assert patient.ins_nir == "" and patient.birth_given_names == "LEA JEANNE"


def test_post_patient_keeps_the_address_as_supporting_evidence_for_duplicates(api, territory):
    """An address is stored and feeds the duplicate review; it never makes a reuse."""
    from parcours.patients.models import DuplicateCandidate, Patient

    body = {
        "resourceType": "Patient",
        "gender": "female",
        "birthDate": "1961-02-03",
        "name": [{"use": "official", "family": "Lemoine", "given": ["Agathe"]}],
        "address": [
            {"use": "home", "line": ["12 chemin du Lavoir"], "postalCode": "53600", "city": "Évron"}
        ],
    }
    first = api(territory.gp).post("Patient", body)
    assert first.status_code == 201
    stored = Patient.objects.get(pk=first.json_body["id"])
    assert (stored.address_line, stored.postcode, stored.town) == (
        "12 chemin du Lavoir",
        "53600",
        "Évron",
    )
    # The same person typed with a slip in the first name by another GP, same address: a new
    # identity (never a silent reuse) and the pair goes to the review queue.
    body["name"][0]["given"] = ["Agate"]
    second = api(territory.gp2).post("Patient", body)
    assert second.status_code == 201 and second.json_body["id"] != first.json_body["id"]
    pair = DuplicateCandidate.objects.get()
    assert {pair.low_id, pair.high_id} == {int(first.json_body["id"]), int(second.json_body["id"])}
