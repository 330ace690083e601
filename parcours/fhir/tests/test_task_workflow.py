"""The workflow moves by updating the Task (PUT or PATCH) through the transition services;
an illegal move is refused and changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from parcours.referrals.models import Referral, ReferralEvent

BS = "https://parcours.esante.example/fhir/CodeSystem/task-business-status"
OUT = "https://parcours.esante.example/fhir/CodeSystem/task-output-type"
ANSWER_KIND = "https://parcours.esante.example/fhir/CodeSystem/answer-kind"


def answer_outputs(
    kind="advice", text="Échographie cardiaque à prévoir ; pas d'urgence.", when=None
):
    outputs = [
        {
            "type": {"coding": [{"system": OUT, "code": "answer-kind"}]},
            "valueCoding": {"system": ANSWER_KIND, "code": kind},
        },
        {"type": {"coding": [{"system": OUT, "code": "answer"}]}, "valueString": text},
    ]
    if when:
        outputs.append(
            {
                "type": {"coding": [{"system": OUT, "code": "proposed-date"}]},
                "valueDateTime": when.isoformat(),
            }
        )
    return outputs


@pytest.fixture
def referral(make_referral):
    return make_referral()


def test_full_pathway_by_put_and_patch(api, territory, referral, doctor_practitioner):
    desk, doctor, gp = api(territory.desk), api(territory.doctor), api(territory.gp)
    url = f"Task/{referral.pk}"
    # The desk assigns (merge patch, as fhirpy sends).
    task = desk.patch(
        url,
        {"status": "accepted", "owner": {"reference": f"Practitioner/{doctor_practitioner.pk}"}},
    )
    assert task.status_code == 200, task.json_body
    assert task.json_body["businessStatus"]["coding"][0]["code"] == "assigned"
    assert Referral.objects.get(pk=referral.pk).assigned_to == territory.doctor
    # The doctor answers (a full PUT of what they read).
    body = doctor.get(url).json_body
    body["status"] = "in-progress"
    body["output"] = answer_outputs()
    answered = doctor.put(url, body)
    assert answered.status_code == 200, answered.json_body
    assert answered.json_body["businessStatus"]["coding"][0]["code"] == "answered"
    texts = [o.get("valueString") for o in answered.json_body["output"]]
    assert "Échographie cardiaque à prévoir ; pas d'urgence." in texts
    # The GP sees the answer and takes the patient in charge.
    assert gp.get(f"ServiceRequest/{referral.pk}").json_body["status"] == "active"
    done = gp.patch(url, {"status": "completed", "note": [{"text": "RDV pris."}]})
    assert done.status_code == 200, done.json_body
    assert Referral.objects.get(pk=referral.pk).status == "taken_in_charge"
    assert gp.get(f"ServiceRequest/{referral.pk}").json_body["status"] == "completed"


def test_same_put_twice_is_idempotent(api, territory, referral):
    desk = api(territory.desk)
    body = desk.get(f"Task/{referral.pk}").json_body
    events = ReferralEvent.objects.count()
    assert desk.put(f"Task/{referral.pk}", body).status_code == 200
    assert ReferralEvent.objects.count() == events


def test_information_request_and_reply(api, territory, referral):
    desk, gp = api(territory.desk), api(territory.gp)
    url = f"Task/{referral.pk}"
    held = desk.patch(
        url, {"status": "on-hold", "statusReason": {"text": "Merci de joindre le dernier ECG."}}
    )
    assert held.status_code == 200, held.json_body
    assert held.json_body["statusReason"]["text"] == "Merci de joindre le dernier ECG."
    # Without text the GP's reply is refused and nothing moves.
    events = ReferralEvent.objects.count()
    assert gp.patch(url, {"status": "requested"}).status_code == 422
    assert ReferralEvent.objects.count() == events
    back = gp.patch(url, {"status": "requested", "note": [{"text": "ECG du 3 mars : normal."}]})
    assert back.status_code == 200, back.json_body
    assert back.json_body["status"] == "received"  # back to the desk that asked
    assert referral.messages.filter(body="ECG du 3 mars : normal.").exists()


def test_desk_declines_with_a_reason(api, territory, referral):
    desk = api(territory.desk)
    url = f"Task/{referral.pk}"
    events = ReferralEvent.objects.count()
    assert desk.patch(url, {"status": "rejected"}).status_code == 422
    assert ReferralEvent.objects.count() == events
    declined = desk.patch(
        url, {"status": "rejected", "statusReason": {"text": "Relève de la consultation de ville."}}
    )
    assert declined.status_code == 200
    assert declined.json_body["statusReason"]["text"] == "Relève de la consultation de ville."
    assert api(territory.gp).get(f"ServiceRequest/{referral.pk}").json_body["status"] == "revoked"


def test_gp_cancels_by_json_patch(api, territory, referral):
    response = api(territory.gp).patch(
        f"Task/{referral.pk}",
        [
            {"op": "test", "path": "/status", "value": "requested"},
            {"op": "replace", "path": "/status", "value": "cancelled"},
            {"op": "add", "path": "/statusReason", "value": {"text": "Hospitalisé entre-temps."}},
        ],
        content_type="application/json-patch+json",
    )
    assert response.status_code == 200, response.json_body
    assert response.json_body["status"] == "cancelled"


def test_failed_json_patch_test_is_a_conflict(api, territory, referral):
    response = api(territory.gp).patch(
        f"Task/{referral.pk}",
        [
            {"op": "test", "path": "/status", "value": "accepted"},
            {"op": "replace", "path": "/status", "value": "cancelled"},
        ],
        content_type="application/json-patch+json",
    )
    assert response.status_code == 409


def test_desk_redirects_to_another_service(api, territory, referral):
    response = api(territory.desk).patch(
        f"Task/{referral.pk}",
        {
            "owner": {"reference": f"HealthcareService/{territory.pneumo_svc.pk}"},
            "statusReason": {"text": "Plutôt pneumologique."},
        },
    )
    assert response.status_code == 200, response.json_body
    assert Referral.objects.get(pk=referral.pk).service == territory.pneumo_svc
    # The cardiologist no longer sees it; the pulmonologist does.
    assert api(territory.doctor).get(f"Task/{referral.pk}").status_code == 404
    assert api(territory.pneumo).get(f"Task/{referral.pk}").status_code == 200


def test_illegal_move_is_409_and_changes_nothing(api, territory, referral):
    events = ReferralEvent.objects.count()
    response = api(territory.desk).patch(f"Task/{referral.pk}", {"status": "completed"})
    assert response.status_code == 409
    assert response.json_body["issue"][0]["code"] == "conflict"
    assert ReferralEvent.objects.count() == events
    assert Referral.objects.get(pk=referral.pk).status == "submitted"


def test_closed_request_cannot_move(api, territory, referral):
    from parcours.referrals.services import referral_cancel

    referral_cancel(actor=territory.gp, referral=referral, reason="Doublon")
    events = ReferralEvent.objects.count()
    for status in ("requested", "accepted", "in-progress", "completed"):
        response = api(territory.desk).patch(f"Task/{referral.pk}", {"status": status})
        assert response.status_code == 409, status
    assert ReferralEvent.objects.count() == events


def test_desk_acknowledges_with_received(api, territory, referral):
    response = api(territory.desk).patch(f"Task/{referral.pk}", {"status": "received"})
    assert response.status_code == 200
    assert response.json()["status"] == "received"
    referral.refresh_from_db()
    assert referral.status == "received"
    assert (
        api(territory.gp).patch(f"Task/{referral.pk}", {"status": "received"}).status_code == 200
    )  # no-op PUT


def test_unsupported_status_is_422(api, territory, referral):
    for status in ("draft", "failed"):
        assert (
            api(territory.desk).patch(f"Task/{referral.pk}", {"status": status}).status_code == 422
        )


def test_wrong_role_is_403_and_changes_nothing(api, territory, referral, doctor_practitioner):
    events = ReferralEvent.objects.count()
    # The desk may not answer; the GP may not assign.
    assert (
        api(territory.desk)
        .patch(f"Task/{referral.pk}", {"status": "in-progress", "output": answer_outputs()})
        .status_code
        == 403
    )
    assert (
        api(territory.gp)
        .patch(
            f"Task/{referral.pk}",
            {
                "status": "accepted",
                "owner": {"reference": f"Practitioner/{doctor_practitioner.pk}"},
            },
        )
        .status_code
        == 403
    )
    assert ReferralEvent.objects.count() == events


def test_other_users_get_404_on_update(api, territory, referral):
    for user in (territory.gp2, territory.desk_beta, territory.pneumo, territory.nobody):
        response = api(user).patch(
            f"Task/{referral.pk}", {"status": "cancelled", "statusReason": {"text": "x"}}
        )
        assert response.status_code == 404
    assert Referral.objects.get(pk=referral.pk).status == "submitted"


def test_answer_with_a_past_date_is_422(api, territory, referral):
    past = timezone.now() - timedelta(days=1)
    response = api(territory.doctor).patch(
        f"Task/{referral.pk}",
        {"status": "in-progress", "output": answer_outputs("appointment", when=past)},
    )
    assert response.status_code == 422
    assert response.json_body["issue"][0]["expression"] == ["Task.output"]
    assert Referral.objects.get(pk=referral.pk).status == "submitted"


def test_assigning_a_doctor_of_another_service_is_422(api, territory, referral):
    from parcours.directory.models import Practitioner

    p = Practitioner.objects.create(user=territory.pneumo, last_name="Pneumo", first_name="P")
    response = api(territory.desk).patch(
        f"Task/{referral.pk}",
        {"status": "accepted", "owner": {"reference": f"Practitioner/{p.pk}"}},
    )
    assert response.status_code == 422
    assert Referral.objects.get(pk=referral.pk).assigned_to is None


def test_immutable_elements_and_bad_bodies(api, territory, referral, patient):
    desk = api(territory.desk)
    url = f"Task/{referral.pk}"
    body = desk.get(url).json_body
    assert desk.put(url, {**body, "for": {"reference": "Patient/999"}}).status_code == 422
    assert desk.put(url, {**body, "id": "999"}).status_code == 400
    assert desk.put(url, {**body, "resourceType": "Patient"}).status_code == 400
    assert desk.patch(url, "nonsense").status_code == 400
    assert (
        desk.patch(
            url,
            {
                "status": "accepted",
                "businessStatus": {"coding": [{"system": BS, "code": "declined"}]},
            },
        ).status_code
        == 422
    )
    assert api(territory.gp).put(f"ServiceRequest/{referral.pk}", {}).status_code == 405


def test_redirect_out_of_the_callers_hospital_succeeds_without_showing_the_result(
    api, territory, referral
):
    response = api(territory.desk).patch(
        f"Task/{referral.pk}",
        {
            "owner": {"reference": f"HealthcareService/{territory.beta_cardio.pk}"},
            "statusReason": {"text": "Plus proche du domicile du patient."},
        },
    )
    assert response.status_code == 200
    assert response.json_body["resourceType"] == "OperationOutcome"
    assert response.json_body["issue"][0]["severity"] == "information"
    assert Referral.objects.get(pk=referral.pk).service == territory.beta_cardio
    assert api(territory.desk).get(f"Task/{referral.pk}").status_code == 404
    assert api(territory.desk_beta).get(f"Task/{referral.pk}").status_code == 200
