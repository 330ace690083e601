"""Schedule, Slot and Appointment over FHIR: search, book on a free slot, cancel by status."""

import pytest

from parcours.audit.models import AuditEvent
from parcours.scheduling.models import Appointment, Slot
from parcours.scheduling.services import slot_book
from parcours.scheduling.tests.fixtures import slot_on

pytestmark = pytest.mark.usefixtures("agenda")


def _booking(slot, patient, **extra):
    return {
        "resourceType": "Appointment",
        "status": "booked",
        "slot": [{"reference": f"Slot/{slot.pk}"}],
        "participant": [{"actor": {"reference": f"Patient/{patient.pk}"}, "status": "accepted"}],
        **extra,
    }


def test_slot_search_by_schedule_service_type_start_and_status(api, territory, agenda):
    client = api(territory.gp)
    bundle = client.get(
        "Slot",
        {
            "schedule": f"Schedule/{agenda.cardio.pk}",
            "status": "free",
            "start": ["ge2026-03-09T00:00:00+01:00", "lt2026-03-10T00:00:00+01:00"],
        },
    ).json_body
    starts = [e["resource"]["start"] for e in bundle["entry"]]
    assert starts == ["2026-03-09T09:00:00+01:00", "2026-03-09T09:30:00+01:00"]
    assert bundle["entry"][0]["resource"]["meta"]["profile"] == [
        "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-slot"
    ]
    by_act = client.get("Slot", {"service-type": "Échographie thyroïdienne"}).json_body
    assert by_act["total"] == 6  # two Thursdays in the horizon, 14:00–15:00 by 20 minutes
    # GP2's practice is not MSP Un: the Tuesdays' reserved slots are not theirs.
    assert (
        api(territory.gp2)
        .get(
            "Slot",
            {"start": "ge2026-03-10T00:00:00+01:00", "schedule": f"Schedule/{agenda.cardio.pk}"},
        )
        .json_body["total"]
        == client.get(
            "Slot",
            {"start": "ge2026-03-10T00:00:00+01:00", "schedule": f"Schedule/{agenda.cardio.pk}"},
        ).json_body["total"]
        - 4
    )  # 2 slots on 2 Tuesdays


def test_schedule_read_and_search(api, territory, agenda):
    client = api(territory.gp)
    resource = client.get(f"Schedule/{agenda.echo.pk}").json_body
    assert {"type": "Device", "display": "Échographie"} in resource["actor"]
    found = client.get("Schedule", {"actor": f"HealthcareService/{territory.cardio.pk}"})
    assert [e["resource"]["id"] for e in found.json_body["entry"]] == [str(agenda.cardio.pk)]
    assert api(territory.nobody).get("Schedule").json_body["total"] == 0


def test_gp_books_by_post_and_cancels_by_patch(api, territory, agenda, patient):
    client = api(territory.gp)
    slot = slot_on(agenda.cardio, 9)
    created = client.post("Appointment", _booking(slot, patient, comment="Bilan"))
    assert created.status_code == 201, created.json_body
    body = created.json_body
    assert body["status"] == "booked" and body["patientInstruction"].startswith("Dernier ECG")
    assert Slot.objects.get(pk=slot.pk).status == "busy"
    taken = api(territory.gp2).post("Appointment", _booking(slot, patient))
    assert taken.status_code in (409, 422)
    cancelled = client.patch(
        f"Appointment/{body['id']}",
        {"status": "cancelled", "cancelationReason": {"text": "Patient indisponible"}},
    )
    assert cancelled.status_code == 200 and cancelled.json_body["status"] == "cancelled"
    assert Slot.objects.get(pk=slot.pk).status == "free"
    assert AuditEvent.objects.filter(object_type="appointment", action="update").exists()


def test_second_booking_of_a_slot_is_a_409_conflict(api, territory, agenda, patient):
    slot = slot_on(agenda.cardio, 9)
    slot_book(user=territory.gp2, slot=slot, patient=patient)
    response = api(territory.gp).post("Appointment", _booking(slot, patient))
    assert response.status_code == 409
    assert response.json_body["issue"][0]["diagnostics"] == "Ce créneau est déjà pris."
    assert Appointment.objects.count() == 1


def test_urgent_slot_needs_a_reason_code(api, territory, agenda, patient):
    slot = slot_on(agenda.cardio, 11)
    client = api(territory.gp)
    refused = client.post("Appointment", _booking(slot, patient))
    assert refused.status_code == 422 and "urgence" in refused.json_body["issue"][0]["diagnostics"]
    ok = client.post(
        "Appointment", _booking(slot, patient, reasonCode=[{"text": "Douleur thoracique"}])
    )
    assert ok.status_code == 201


def test_other_changes_than_status_are_refused(api, territory, agenda, patient):
    a = slot_book(user=territory.gp, slot=slot_on(agenda.cardio, 9), patient=patient)
    response = api(territory.gp).patch(f"Appointment/{a.pk}", {"comment": "autre"})
    assert response.status_code == 422
    response = api(territory.gp).patch(f"Appointment/{a.pk}", {"status": "noshow"})
    assert response.status_code in (403, 409)
    assert Appointment.objects.get(pk=a.pk).status == "booked"


@pytest.mark.parametrize(
    "who, visible",
    [("gp", True), ("gp2", False), ("desk", True), ("pneumo", False), ("nobody", False)],
)
def test_appointment_read_per_role(api, territory, agenda, patient, who, visible):
    a = slot_book(user=territory.gp, slot=slot_on(agenda.cardio, 9), patient=patient)
    response = api(getattr(territory, who)).get(f"Appointment/{a.pk}")
    assert response.status_code == (200 if visible else 404)


def test_booking_for_a_patient_the_caller_cannot_see_is_refused(api, territory, agenda, patient):
    response = api(territory.gp2).post("Appointment", _booking(slot_on(agenda.cardio, 9), patient))
    assert response.status_code == 422
    assert not Appointment.objects.exists()


def test_desk_books_from_a_request_and_answers_it(api, territory, agenda, make_referral):
    referral = make_referral(kind="CONSULTATION")
    response = api(territory.desk).post(
        "Appointment",
        _booking(
            slot_on(agenda.cardio, 9),
            referral.patient,
            basedOn=[{"reference": f"ServiceRequest/{referral.pk}"}],
        ),
    )
    assert response.status_code == 201, response.json_body
    referral.refresh_from_db()
    assert referral.status == "answered"
    assert response.json_body["basedOn"] == [{"reference": f"ServiceRequest/{referral.pk}"}]
