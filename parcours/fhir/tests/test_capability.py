"""The CapabilityStatement and the OpenAPI document describe exactly what is implemented."""

import importlib

from parcours.fhir.resources import REGISTRY


def test_capability_statement_lists_the_supported_resources(api, db):
    statement = api().get("metadata").json_body  # validated against the R4B model
    assert statement["fhirVersion"] == "4.0.1"
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert set(resources) == {
        "Organization",
        "HealthcareService",
        "Practitioner",
        "PractitionerRole",
        "Patient",
        "ServiceRequest",
        "Task",
        "Communication",
        "Binary",
        "Schedule",
        "Slot",
        "Appointment",
        "DiagnosticReport",
        "Observation",
        "DocumentReference",
        "Condition",
        "AllergyIntolerance",
        "MedicationStatement",
        "Questionnaire",
        "QuestionnaireResponse",
        "CareTeam",
        "EpisodeOfCare",
        "Encounter",
    }
    interactions = {t: {i["code"] for i in r["interaction"]} for t, r in resources.items()}
    assert interactions["Task"] == {"read", "search-type", "update", "patch"}
    assert interactions["Patient"] == {"read", "search-type", "create"}
    assert interactions["Organization"] == {"read", "search-type"}
    params = {p["name"] for p in resources["ServiceRequest"]["searchParam"]}
    assert {
        "patient",
        "requester",
        "performer",
        "status",
        "category",
        "authored",
        "_count",
    } <= params
    assert {"focus", "status", "owner", "business-status"} <= {
        p["name"] for p in resources["Task"]["searchParam"]
    }


def test_openapi_document_covers_every_endpoint(client, db):
    response = client.get("/fhir/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.0")
    for name, rtype in REGISTRY.items():
        assert "get" in doc["paths"][f"/{name}"]
        assert "get" in doc["paths"][f"/{name}/{{id}}"]
        assert ("post" in doc["paths"][f"/{name}"]) == ("create" in rtype.interactions)
    assert {"put", "patch"} <= set(doc["paths"]["/Task/{id}"])
    assert doc["paths"]["/metadata"]["get"]["security"] == []


def test_search_parameters_documented_in_the_statement_are_accepted(api, territory):
    client = api(territory.gp)
    statement = client.get("metadata").json_body
    samples = {
        "token": "x",
        "string": "x",
        "reference": "Patient/1",
        "date": "2020-01-01",
        "number": "1",
        "uri": "https://x.invalid/Questionnaire/x",
    }
    for resource in statement["rest"][0]["resource"]:
        special = {
            "_total": "none",
            "_sort": "_id",
            "_elements": "id",
            "_summary": "false",
            "_include": (resource.get("searchInclude") or [""])[0],
        }
        for param in resource.get("searchParam", []):
            value = special.get(param["name"]) or samples[param["type"]]
            response = client.get(resource["type"], {param["name"]: value})
            assert response.status_code == 200, (
                resource["type"],
                param["name"],
                response.json_body,
            )


def test_docs_conformance_table_is_the_registrys(db):
    """docs/fhir.md carries the table ``parcours fhir-conformance`` builds from the registry
    (regenerate with ``parcours fhir-conformance --write``)."""
    command = importlib.import_module("parcours.fhir.management.commands.fhir-conformance")
    docs = command.docs_path().read_text(encoding="utf-8")
    assert command.with_table(docs) == docs, "run: parcours fhir-conformance --write"


def test_the_statement_lists_includes_sorts_and_profiles(api, db):
    statement = api().get("metadata").json_body
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert "Appointment:patient" in resources["Appointment"]["searchInclude"]
    assert resources["Slot"]["supportedProfile"] == [
        "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-slot"
    ]
    params = {p["name"] for p in resources["Appointment"]["searchParam"]}
    assert {"actor", "identifier", "service-type", "patient.identifier", "_sort"} <= params
    assert "handling=lenient" in statement["rest"][0]["documentation"]
