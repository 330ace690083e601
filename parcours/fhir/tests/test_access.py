"""One test per role: the API applies the web's access rules (missing or forbidden → 404)
and audits every read of patient data on the "api" channel."""

import pytest

from parcours.audit.models import AuditEvent

PATIENT_DATA = ("Patient", "ServiceRequest", "Task", "Communication")


@pytest.fixture
def referral(make_referral, territory):
    from parcours.referrals.services import referral_message_add

    r = make_referral()
    referral_message_add(actor=territory.gp, referral=r, body="Bilan joint demain.")
    return r


def _urls(referral):
    message = referral.messages.first()
    return {
        "Patient": f"Patient/{referral.patient_id}",
        "ServiceRequest": f"ServiceRequest/{referral.pk}",
        "Task": f"Task/{referral.pk}",
        "Communication": f"Communication/{message.pk}",
    }


def _assert_sees(client, referral):
    for rtype, url in _urls(referral).items():
        response = client.get(url)
        assert response.status_code == 200, (rtype, response.json_body)
        bundle = client.get(rtype).json_body
        assert bundle["total"] >= 1, rtype


def _assert_blind(client, referral):
    for rtype, url in _urls(referral).items():
        response = client.get(url)
        assert response.status_code == 404, rtype
        assert response.json_body["issue"][0]["code"] == "not-found"
        assert client.get(rtype).json_body["total"] == 0, rtype


def test_gp_author_sees_their_request_and_reads_are_audited(api, territory, referral):
    client = api(territory.gp)
    before = AuditEvent.objects.count()
    _assert_sees(client, referral)
    events = AuditEvent.objects.order_by("id")[before:]
    reads = [e for e in events if e.action == "read"]
    assert {e.object_type for e in reads} == {"patient", "servicerequest", "task", "communication"}
    assert all(e.channel == "api" and e.user_id == territory.gp.pk for e in events)
    assert all(e.patient_id == referral.patient_id for e in reads)
    assert sum(e.action == "search" for e in events) == 4


def test_another_gp_gets_404_for_a_gps_request(api, territory, referral):
    _assert_blind(api(territory.gp2), referral)


def test_desk_of_the_hospital_sees_the_request(api, territory, referral):
    _assert_sees(api(territory.desk), referral)


def test_desk_of_another_hospital_gets_404(api, territory, referral):
    _assert_blind(api(territory.desk_beta), referral)


def test_doctor_of_the_service_sees_the_request(api, territory, referral):
    _assert_sees(api(territory.doctor), referral)


def test_doctor_of_another_service_gets_404(api, territory, referral):
    _assert_blind(api(territory.pneumo), referral)


def test_user_without_role_sees_the_directory_but_no_patient_and_cannot_create(
    api, territory, referral
):
    client = api(territory.nobody)
    _assert_blind(client, referral)
    assert client.get("HealthcareService").json_body["total"] == 3
    from parcours.fhir.tests.conftest import PATIENT_BODY

    response = client.post("Patient", PATIENT_BODY)
    assert response.status_code == 403
    assert response.json_body["issue"][0]["code"] == "forbidden"


def test_failed_reads_are_not_audited_as_reads(api, territory, referral):
    before = AuditEvent.objects.filter(action="read").count()
    api(territory.gp2).get(f"Patient/{referral.patient_id}")
    assert AuditEvent.objects.filter(action="read").count() == before
