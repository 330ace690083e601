"""Bad input answers 400/404/405/422 with an OperationOutcome, never a 500 (issue 13)."""

import json

import pytest


@pytest.mark.parametrize(
    "path",
    ["Patient/%C2%B3", "ServiceRequest/%D9%A3", "Patient/1234567890123456789012", "Binary/%C2%B9"],
)
def test_ids_that_are_not_ascii_digits_are_not_found(territory, patient, api, path):
    response = api(territory.gp).get(path)
    assert response.status_code == 404
    assert response.json_body["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize("query", ["name=a%00b", "na%01me=x", "family=%1B%5B31m"])
def test_control_characters_in_search_parameters_are_refused(territory, api, query):
    response = api(territory.gp).get(f"Patient?{query}")
    assert response.status_code == 400
    assert "contrôle" in response.json_body["issue"][0]["diagnostics"]


@pytest.mark.parametrize("value", ["99999999999999999999", "100001", "-1", "³"])
def test_an_unreasonable_offset_is_refused(territory, api, value):
    response = api(territory.gp).get("Patient", {"_offset": value})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body",
    ["[" * 5000 + "]" * 5000, '{"resourceType":"Patient","name":' + "[" * 100 + "]" * 100 + "}"],
)
def test_deeply_nested_json_is_refused(territory, api, body):
    response = api(territory.gp).post("Patient", body)
    assert response.status_code == 400
    assert "imbriqué" in response.json_body["issue"][0]["diagnostics"]


@pytest.mark.parametrize("count", [-1, 0, 1000, "3", True])
def test_match_count_must_be_a_small_positive_integer(territory, api, count):
    response = api(territory.gp).post(
        "Patient/$match",
        {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "count", "valueInteger": count},
                {
                    "name": "resource",
                    "resource": {
                        "resourceType": "Patient",
                        "name": [{"family": "X", "given": ["Y"]}],
                        "birthDate": "1950-01-01",
                        "gender": "female",
                    },
                },
            ],
        },
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "method, path, allow",
    [
        ("delete", "Patient/1", "GET"),
        ("delete", "ServiceRequest/1", "GET"),
        ("delete", "Task/1", "GET, PUT, PATCH"),
        ("delete", "Patient", "GET, POST"),
        ("put", "Observation", "GET"),
    ],
)
def test_405_advertises_the_methods_really_answered(
    territory, client, token_for, method, path, allow
):
    response = getattr(client, method)(
        f"/fhir/{path}", HTTP_AUTHORIZATION=(f"Bearer {token_for(territory.gp)}")
    )
    assert response.status_code == 405 and response["Allow"] == allow


def test_a_message_sent_in_someone_elses_name_is_refused(territory, api, make_referral):
    referral = make_referral()
    response = api(territory.gp).post(
        "Communication",
        {
            "resourceType": "Communication",
            "status": "completed",
            "basedOn": [{"reference": f"ServiceRequest/{referral.pk}"}],
            "sender": {
                "identifier": {"system": "https://rpps.esante.gouv.fr", "value": "10000000999"}
            },
            "payload": [{"contentString": "Bonjour"}],
        },
    )
    assert response.status_code == 422
    assert response.json_body["issue"][0]["expression"] == ["Communication.sender"]
    assert json.dumps(response.json_body).count("sender") >= 1


def test_a_search_audits_every_id_it_returned(territory, api):
    from datetime import date

    from parcours.audit.models import AuditEvent
    from parcours.patients.services import patient_create

    ids = {
        str(
            patient_create(
                actor=territory.gp,
                birth_name=f"AUDIT{chr(65 + i // 26)}{chr(65 + i % 26)}",
                birth_given_names="ZOE",
                birth_date=date(1960, 1, 1 + i % 28),
                sex="F",
            ).patient.pk
        )
        for i in range(60)
    }
    response = api(territory.gp).get("Patient", {"given": "ZOE", "_count": 100})
    assert response.json_body["total"] == 60
    row = AuditEvent.objects.filter(action="search", object_type="patient").latest("id")
    assert set(row.object_ids) == ids  # none cut (issue 13: 68 of 100 were kept)
