"""Networks' shared record over FHIR: Questionnaire and QuestionnaireResponse with the same
rights and validation as the pages (parcours/fhir/records.py)."""

import copy

import pytest

from parcours.audit.models import AuditEvent
from parcours.records import samples
from parcours.records.models import FormVersion, Response
from parcours.records.questionnaire import definition_to_items, questionnaire_to_definition
from parcours.records.services import response_save
from parcours.records.tests.conftest import make_net


@pytest.fixture
def net(territory, patient):
    """The records tests' network: coordinator, social worker, nurse, the GP; one record."""
    return make_net(territory, patient)


def _canonical(net, code):
    version = net.forms[code].versions.get(status="active")
    return f"{net.forms[code].url}|{version.number}"


def _social_response(net, **overrides):
    body = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "questionnaire": _canonical(net, "bilan-social"),
        "subject": {"reference": f"Patient/{net.patient.pk}"},
        "item": [
            {
                "linkId": "habitat",
                "item": [
                    {"linkId": "date_bilan", "answer": [{"valueDate": "2026-03-02"}]},
                    {"linkId": "type_habitat", "answer": [{"valueCoding": {"code": "maison"}}]},
                    {"linkId": "pieces", "answer": [{"valueInteger": 4}]},
                ],
            },
            {
                "linkId": "entourage",
                "item": [
                    {
                        "linkId": "contacts",
                        "item": [{"linkId": "contact_nom", "answer": [{"valueString": "Fils"}]}],
                    },
                    {
                        "linkId": "contacts",
                        "item": [{"linkId": "contact_nom", "answer": [{"valueString": "Fille"}]}],
                    },
                ],
            },
        ],
    }
    body.update(overrides)
    return body


def test_every_sample_form_round_trips_through_a_questionnaire():
    for definition in (samples.BILAN_SOCIAL, samples.SUIVI_MEDECIN, samples.GRILLE_DEPENDANCE):
        resource = {
            "resourceType": "Questionnaire",
            "status": "active",
            "title": "T",
            "item": definition_to_items(definition),
        }
        _title, back = questionnaire_to_definition(copy.deepcopy(resource))
        assert back == definition


def test_a_member_reads_the_published_questionnaires_of_their_network(api, net):
    bundle = api(net.nurse).get("Questionnaire", {"url": net.forms["grille"].url}).json_body
    assert bundle["total"] == 1
    questionnaire = bundle["entry"][0]["resource"]
    assert questionnaire["version"] == "1" and questionnaire["status"] == "active"
    assert api(net.t.gp2).get("Questionnaire").json_body["total"] == 0


def test_a_response_created_over_fhir_keeps_its_repeating_rows_in_order(api, net):
    created = api(net.social).post("QuestionnaireResponse", _social_response(net))
    assert created.status_code == 201, created.json_body
    response = Response.objects.get()
    assert [c["contact_nom"] for c in response.answers["entourage"]["contacts"]] == [
        "Fils",
        "Fille",
    ]
    assert created.json_body["questionnaire"] == _canonical(net, "bilan-social")
    read = api(net.nurse).get(f"QuestionnaireResponse/{response.pk}").json_body
    rows = [i for i in read["item"][1]["item"] if i["linkId"] == "contacts"]
    assert [r["item"][0]["answer"][0]["valueString"] for r in rows] == ["Fils", "Fille"]


def test_invalid_answers_over_fhir_are_refused_item_by_item(api, net):
    body = _social_response(net)
    body["item"][0]["item"][1]["answer"] = [{"valueCoding": {"code": "chateau"}}]
    body["item"][0]["item"][2]["answer"] = [{"valueInteger": 99}]
    refused = api(net.social).post("QuestionnaireResponse", body)
    assert refused.status_code == 422
    expressions = [i["expression"][0] for i in refused.json_body["issue"]]
    assert (
        "QuestionnaireResponse.item.where(linkId='habitat').where(linkId='type_habitat')"
        in expressions
    )
    assert any("Nombre de pièces" in i["diagnostics"] for i in refused.json_body["issue"])
    assert not Response.objects.exists()


def test_a_profile_without_the_right_gets_nothing_over_fhir(api, net):
    medical = response_save(
        actor=net.t.gp,
        record=net.record,
        version=net.forms["suivi-medecin"].versions.get(status="active"),
        answers={"visite": {"date_visite": "2026-03-03", "motif": "Chute"}},
    )
    social = api(net.social)
    assert social.get(f"QuestionnaireResponse/{medical.pk}").status_code == 404
    assert (
        social.get("QuestionnaireResponse", {"patient": f"Patient/{net.patient.pk}"}).json_body[
            "total"
        ]
        == 0
    )
    denied = social.post(
        "QuestionnaireResponse",
        _social_response(net, questionnaire=_canonical(net, "suivi-medecin"), item=[]),
    )
    assert denied.status_code == 403
    assert api(net.t.nobody).get(f"QuestionnaireResponse/{medical.pk}").status_code == 404
    nurse = api(net.nurse).get("QuestionnaireResponse", {"patient": f"Patient/{net.patient.pk}"})
    assert nurse.json_body["total"] == 1
    assert AuditEvent.objects.filter(user=net.nurse, action="search").exists()


def test_the_coordinator_creates_a_form_from_a_questionnaire(api, net):
    resource = {
        "resourceType": "Questionnaire",
        "status": "active",
        "name": "chutes",
        "title": "Risque de chute",
        "item": [
            {
                "linkId": "chute_annee",
                "text": "Chute dans l'année",
                "type": "boolean",
                "required": True,
            },
            {
                "linkId": "nombre",
                "text": "Nombre de chutes",
                "type": "integer",
                "enableWhen": [{"question": "chute_annee", "operator": "=", "answerBoolean": True}],
            },
        ],
    }
    created = api(net.coord).post("Questionnaire", resource)
    assert created.status_code == 201, created.json_body
    version = FormVersion.objects.get(pk=created.json_body["id"])
    assert (
        version.status == "active"
        and version.definition[0]["items"][1]["enableWhen"][0]["answer"] is True
    )
    assert api(net.nurse).post("Questionnaire", resource).status_code == 403


def test_the_care_circle_and_the_enrolment_read_as_careteam_and_episodeofcare(api, net):
    from parcours.records.services import stage_move

    stage_move(actor=net.coord, record=net.record, stage="assessment")
    nurse = api(net.nurse)
    team = nurse.get(f"CareTeam/{net.record.pk}").json_body
    members = {p["member"]["display"] for p in team["participant"]}
    assert {net.coord.display_name, net.social.display_name, net.nurse.display_name} <= members
    episode = nurse.get(
        "EpisodeOfCare", {"patient": f"Patient/{net.patient.pk}", "type": "reseau"}
    ).json_body
    assert episode["total"] == 1 and episode["entry"][0]["resource"]["status"] == "waitlist"
    assert episode["entry"][0]["resource"]["id"] == f"reseau-{net.record.pk}"
    assert nurse.get(f"EpisodeOfCare/reseau-{net.record.pk}").json_body["status"] == "waitlist"
    assert api(net.t.gp2).get(f"CareTeam/{net.record.pk}").status_code == 404
    assert api(net.t.gp2).get(f"EpisodeOfCare/reseau-{net.record.pk}").status_code == 404
    assert AuditEvent.objects.filter(user=net.nurse, object_type="careteam").exists()
