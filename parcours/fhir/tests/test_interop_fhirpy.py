"""The whole pathway driven by an independent FHIR client (fhirpy) against a live server:
the GP creates the patient and sends the request, the desk assigns via the Task, the doctor
answers via the Task, the GP reads the answer and exchanges a message."""

import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome, ResourceNotFound

from parcours.fhir.tests.conftest import validate_fhir

CATEGORY = "https://parcours.esante.example/fhir/CodeSystem/referral-category"
OUT = "https://parcours.esante.example/fhir/CodeSystem/task-output-type"
ANSWER_KIND = "https://parcours.esante.example/fhir/CodeSystem/answer-kind"

# The live server answers from another thread and connection: the test's rows must be committed.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def clients(request, settings, territory, token_for, doctor_practitioner):
    # Django's live server wraps the app in a media-files handler that cannot work with
    # MEDIA_URL = None (our uploads are never served by URL); give it an unused prefix before
    # the (session-wide) server starts.
    settings.MEDIA_URL = "/_media-not-served/"
    live_server = request.getfixturevalue("live_server")
    base = f"{live_server.url}/fhir"

    def client(user):
        return SyncFHIRClient(
            base, authorization=f"Bearer {token_for(user)}", requests_config={"timeout": 10}
        )

    return (
        client(territory.gp),
        client(territory.desk),
        client(territory.doctor),
        client(territory.gp2),
    )


def test_referral_pathway_through_fhirpy(clients, territory, doctor_practitioner):
    gp, desk, doctor, gp2 = clients

    # The GP's software finds the service in the directory.
    service = (
        gp.resources("HealthcareService")
        .search(organization=f"Organization/{territory.alpha.pk}", specialty="Cardiologie")
        .first()
    )
    assert service is not None and service["name"] == "Cardiologie"

    patient = gp.resource(
        "Patient",
        name=[{"use": "official", "family": "Bernard", "given": ["Louis"]}],
        gender="male",
        birthDate="1948-11-02",
    )
    patient.save()
    assert patient.id

    request = gp.resource(
        "ServiceRequest",
        status="active",
        intent="order",
        category=[{"coding": [{"system": CATEGORY, "code": "CONSULTATION"}]}],
        subject=patient.to_reference(),
        performer=[service.to_reference()],
        reasonCode=[{"text": "Palpitations : consultation de rythmologie ?"}],
    )
    request.save()
    validate_fhir(request.serialize())

    # The pathway desk sees the Task and assigns it to the cardiologist.
    task = desk.resources("Task").search(focus=f"ServiceRequest/{request.id}").first()
    assert task["status"] == "requested"
    task.patch(status="accepted", owner={"reference": f"Practitioner/{doctor_practitioner.pk}"})
    assert task["businessStatus"]["coding"][0]["code"] == "assigned"

    # The doctor finds it in their queue and answers with a full update.
    mine = (
        doctor.resources("Task")
        .search(owner=f"Practitioner/{doctor_practitioner.pk}", status="accepted")
        .fetch()
    )
    assert [t.id for t in mine] == [task.id]
    answer = mine[0]
    answer["status"] = "in-progress"
    answer["output"] = [
        {
            "type": {"coding": [{"system": OUT, "code": "answer-kind"}]},
            "valueCoding": {"system": ANSWER_KIND, "code": "advice"},
        },
        {
            "type": {"coding": [{"system": OUT, "code": "answer"}]},
            "valueString": "Holter ECG de 24 h puis consultation.",
        },
    ]
    answer.save()
    assert answer["status"] == "in-progress"

    # The GP reads the output, writes in the thread, then takes the patient in charge.
    seen = gp.resources("Task").search(focus=f"ServiceRequest/{request.id}").first()
    assert "Holter ECG de 24 h puis consultation." in [o.get("valueString") for o in seen["output"]]
    message = gp.resource(
        "Communication",
        status="completed",
        basedOn=[request.to_reference()],
        payload=[{"contentString": "Merci, Holter prescrit."}],
    )
    message.save()
    thread = (
        doctor.resources("Communication")
        .search(**{"based-on": f"ServiceRequest/{request.id}"})
        .fetch()
    )
    assert [m["payload"][0]["contentString"] for m in thread] == ["Merci, Holter prescrit."]
    seen.patch(status="completed")
    assert gp.get("ServiceRequest", request.id)["status"] == "completed"

    # Another GP's software sees nothing of it, and an illegal move is refused.
    with pytest.raises(ResourceNotFound):
        gp2.get("ServiceRequest", request.id)
    with pytest.raises(OperationOutcome):
        desk.resources("Task").search(_id=task.id).first().patch(status="accepted")


def test_paging_with_fhirpy(clients, territory, make_referral):
    gp = clients[0]
    for _ in range(5):
        make_referral()
    found = gp.resources("ServiceRequest").limit(2).fetch_all()
    assert len(found) == 5
