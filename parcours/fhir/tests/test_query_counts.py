"""SQL statements per FHIR interaction (issue 16): each read, search, create, update and the
transaction Bundle runs a known number of statements, and a search runs as many with one row on
its page as with many (no query per row).

The counts are what the database sees for one call after the token's ``last_used_at`` was
written (at most once a minute, fhir/tokens.py); they include the token lookup (one statement:
token, user and memberships) and the audit row. Time is frozen so that the count never includes
that write. A change that adds a statement to an interaction must change its number here and
say why in docs/benchmarks.md."""

import base64
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parcours.directory.models import Organisation
from parcours.fhir.tests.test_create import PDF

CATEGORY = "https://parcours.esante.example/fhir/CodeSystem/referral-category"


@pytest.fixture
def frozen():
    with time_machine.travel(datetime(2026, 11, 30, 9, 0, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def clients(frozen, api, territory, doctor_practitioner, gp_practitioner):
    """One API client per persona, each token already used once (last_used_at written)."""
    made = {}
    for name in ("gp", "desk", "doctor"):
        made[name] = api(getattr(territory, name))
        assert made[name].get("Organization", {"_count": "1"}).status_code == 200
    return made


def statements(call):
    """(number of SQL statements, response) of one API call."""
    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert response.status_code in (200, 201), getattr(response, "json_body", response)
    return len(queries.captured_queries), response


def referral_body(patient, service):
    return {
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "category": [{"coding": [{"system": CATEGORY, "code": "ADVICE"}]}],
        "subject": {"reference": f"Patient/{patient.pk}"},
        "performer": [{"reference": f"HealthcareService/{service.pk}"}],
        "reasonCode": [{"text": "Avis cardiologique ?"}],
    }


# Reads: token (1) + the row with its access check folded in (1) + the audit row when the
# resource holds patient data (1); a list the mapper shows is one more, only when not empty.
READS = {
    "Patient": 3,
    "ServiceRequest": 3,
    "Task": 3,
    "Communication": 4,  # the message, its attachments (prefetched), audit
    "Organization": 2,
    "HealthcareService": 2,
    "Practitioner": 2,
    "PractitionerRole": 2,
}


def test_each_read_runs_a_known_number_of_statements(clients, territory, patient, make_referral):
    from parcours.directory.models import PractitionerRole
    from parcours.referrals.services import referral_message_add

    referral = make_referral()
    message = referral_message_add(actor=territory.gp, referral=referral, body="Question ?")
    ids = {
        "Patient": patient.pk,
        "ServiceRequest": referral.pk,
        "Task": referral.pk,
        "Communication": message.pk,
        "Organization": territory.alpha.pk,
        "HealthcareService": territory.cardio.pk,
        "Practitioner": PractitionerRole.objects.first().practitioner_id,
        "PractitionerRole": PractitionerRole.objects.first().pk,
    }
    counted = {
        rtype: statements(lambda rtype=rtype: clients["gp"].get(f"{rtype}/{ids[rtype]}"))[0]
        for rtype in READS
    }
    assert counted == READS


def test_a_read_loads_a_related_list_only_when_it_has_rows(clients, territory, patient):
    from parcours.patients.services import patient_identifier_add

    bare, _ = statements(lambda: clients["gp"].get(f"Patient/{patient.pk}"))
    patient_identifier_add(
        actor=territory.gp,
        patient=patient,
        system="urn:ipp:msp1",
        value="IPP7",
        organisation=territory.msp1,
    )
    with_ipp, response = statements(lambda: clients["gp"].get(f"Patient/{patient.pk}"))
    assert (bare, with_ipp) == (3, 4)
    assert "IPP7" in {i["value"] for i in response.json_body["identifier"]}


# Searches: token + page rows + the related lists of the page (one statement each, whatever
# the number of rows) + audit for patient data. A page that is full also counts the total.
SEARCHES = {
    "Patient?family=DUP": 5,  # patients, local identifiers, merged identities, audit
    "ServiceRequest?_count=2": 5,  # page, total, attachments, audit
    "Task?_count=2": 6,  # page, total, attachments, information requests, audit
    "Communication?_count=2": 5,  # messages, total, attachments, audit
    "Organization?_count=2": 3,  # page, total
    "HealthcareService?_count=2": 3,  # page (with the hospital), total
    "Practitioner?_count=2": 4,  # the page's ids, their rows, total
    "PractitionerRole?_count=2": 3,  # page (practitioner, organisation, service), total
}


@pytest.mark.parametrize("query", SEARCHES)
def test_each_search_runs_as_many_statements_for_many_rows_as_for_few(
    clients, territory, patient, make_referral, query
):
    from parcours.directory.models import HospitalService, Practitioner, PractitionerRole
    from parcours.patients.services import patient_create
    from parcours.referrals.services import referral_message_add

    def grow():
        for i in range(3):
            site = Organisation.objects.create(name=f"Cabinet {i}", kind="practice")
            service = HospitalService.objects.create(hospital=territory.beta, name=f"Service {i}")
            doctor = Practitioner.objects.create(last_name=f"Martin{i}", first_name="Luc")
            PractitionerRole.objects.create(practitioner=doctor, organisation=site, service=service)
            other = patient_create(
                actor=territory.gp,
                birth_name="Dupuis",
                birth_given_names=f"Jean{'ne' * i}",
                birth_date=datetime(1960 + i, 1, 2).date(),
                sex="M",
            ).patient
            referral = make_referral(patient=other)
            referral_message_add(actor=territory.gp, referral=referral, body="Suite ?")

    path, _, raw = query.partition("?")
    params = dict(p.split("=") for p in raw.split("&"))
    grow()
    few, _ = statements(lambda: clients["gp"].get(path, params))
    grow()
    grow()
    params["_count"] = "50" if "_count" in params else params.get("_count", "")
    params = {k: v for k, v in params.items() if v}
    many, response = statements(lambda: clients["gp"].get(path, params))
    assert len(response.json_body.get("entry", [])) >= 2
    # A page that is not full needs no COUNT: at most one statement fewer with many rows.
    assert many in (few, few - 1), (few, many)
    assert few == SEARCHES[query]


def test_creates_run_a_known_number_of_statements(clients, territory, patient, make_referral):
    gp = clients["gp"]
    patient_body = {
        "resourceType": "Patient",
        "gender": "female",
        "name": [{"use": "official", "family": "Martinez", "given": ["Lucie"]}],
        "birthDate": "1971-05-06",
    }
    referral = make_referral()
    message_body = {
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
    counted = {
        "Patient": statements(lambda: gp.post("Patient", patient_body))[0],
        "ServiceRequest": statements(
            lambda: gp.post("ServiceRequest", referral_body(patient, territory.cardio))
        )[0],
        "Communication": statements(lambda: gp.post("Communication", message_body))[0],
    }
    # Writes go through the services (referrals, patients: the `actions` area owns them); these
    # numbers are today's, to move down, not a target (docs/benchmarks.md). With the action
    # frame (issue 15): ServiceRequest 21 → 17 and Communication 22 → 20 (no view transaction
    # around the service, audit rows in one INSERT); Patient 15 → 19, the create and its local
    # identifier being two nested actions of patient_create_with_identifiers (a SAVEPOINT and
    # a RELEASE each).
    assert counted == {"Patient": 19, "ServiceRequest": 17, "Communication": 20}


def test_task_update_and_transaction_run_a_known_number_of_statements(
    clients, territory, patient, make_referral, doctor_practitioner
):
    from parcours.fhir.tests.test_patient_transaction import _bundle
    from parcours.patients.services import patient_identifier_add

    referral = make_referral()
    update, response = statements(
        lambda: clients["desk"].patch(
            f"Task/{referral.pk}",
            {
                "status": "accepted",
                "owner": {"reference": f"Practitioner/{doctor_practitioner.pk}"},
            },
        )
    )
    assert response.status_code == 200
    assert update == 22
    patient_identifier_add(
        actor=territory.desk,
        patient=patient,
        system="urn:ipp:alpha",
        value="IPP1",
        organisation=territory.alpha,
    )
    imported, _ = statements(
        lambda: clients["desk"].post("", _bundle({"system": "urn:ipp:alpha", "value": "IPP1"}))
    )
    # 24 before the action frame (issue 15), 22 with it; + 2 (issue 21): which items existed
    # (200 or 201 per entry) and the stored rows' ids (each entry's location).
    assert imported == 24
