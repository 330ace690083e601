"""FHIR test helpers: a token per persona and a client that checks every resource the server
returns against the fhir.resources R4B models (R4-compatible for these resources)."""

import json

import pytest
from fhir.resources.R4B import get_fhir_model_class


def validate_fhir(resource: dict) -> None:
    """Raise if the resource (and every resource of a Bundle) is not valid FHIR."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


class FhirClient:
    def __init__(self, client, token):
        self.client = client
        self.token = token

    def _headers(self, extra=None):
        headers = {"HTTP_ACCEPT": "application/fhir+json"}
        if self.token is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    def _checked(self, response):
        assert response["Content-Type"].startswith(("application/fhir+json", "application/json")), (
            response
        )
        body = json.loads(response.content)
        response.json_body = body
        if body.get("resourceType"):
            validate_fhir(body)
        return response

    def get(self, path, params=None, **extra):
        return self._checked(self.client.get(f"/fhir/{path}", params or {}, **self._headers(extra)))

    def post(self, path, resource, content_type="application/fhir+json", **extra):
        data = resource if isinstance(resource, str | bytes) else json.dumps(resource)
        return self._checked(
            self.client.post(
                f"/fhir/{path}", data, content_type=content_type, **self._headers(extra)
            )
        )

    def put(self, path, resource, content_type="application/fhir+json"):
        return self._checked(
            self.client.put(
                f"/fhir/{path}", json.dumps(resource), content_type=content_type, **self._headers()
            )
        )

    def patch(self, path, patch, content_type="application/merge-patch+json"):
        return self._checked(
            self.client.patch(
                f"/fhir/{path}", json.dumps(patch), content_type=content_type, **self._headers()
            )
        )


@pytest.fixture
def token_for(db):
    from parcours.fhir.tokens import api_token_create

    def make(user, **kw):
        return api_token_create(user=user, **kw).secret

    return make


@pytest.fixture
def api(client, token_for):
    """api(user) → a FhirClient authenticated with a fresh token of that user."""

    def make(user=None, token=None):
        return FhirClient(client, token if token is not None or user is None else token_for(user))

    return make


@pytest.fixture
def doctor_practitioner(territory):
    """The cardiologist's directory entry, linked to the account (FHIR Practitioner)."""
    from parcours.directory.models import Practitioner, PractitionerRole

    p = Practitioner.objects.create(
        user=territory.doctor,
        rpps="10000000001",
        title="Dr",
        last_name="Doctor",
        first_name="Claire",
        specialty="Cardiologie",
    )
    PractitionerRole.objects.create(
        practitioner=p,
        organisation=territory.alpha,
        service=territory.cardio,
        function="Praticien hospitalier",
    )
    return p


@pytest.fixture
def gp_practitioner(territory):
    from parcours.directory.models import Practitioner, PractitionerRole

    p = Practitioner.objects.create(
        user=territory.gp,
        rpps="10000000002",
        title="Dr",
        last_name="Gp",
        first_name="Paul",
        specialty="Médecine générale",
    )
    PractitionerRole.objects.create(practitioner=p, organisation=territory.msp1)
    return p


PATIENT_BODY = {
    "resourceType": "Patient",
    "identifier": [{"system": "urn:oid:1.2.250.1.213.1.4.8", "value": "255081416802538"}],
    "name": [{"use": "official", "family": "Martin", "given": ["Léa", "Jeanne"]}],
    "gender": "female",
    "birthDate": "1955-08-14",
}


def service_request_body(patient_id, service_id, kind="ADVICE", **extra):
    body = {
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "category": [
            {
                "coding": [
                    {
                        "system": "https://parcours.esante.example/fhir/CodeSystem/referral-category",
                        "code": kind,
                    }
                ]
            }
        ],
        "subject": {"reference": f"Patient/{patient_id}"},
        "performer": [{"reference": f"HealthcareService/{service_id}"}],
        "reasonCode": [{"text": "Dyspnée d'effort récente : avis ?"}],
        "note": [{"text": "ECG normal il y a un an."}],
    }
    body.update(extra)
    return body
