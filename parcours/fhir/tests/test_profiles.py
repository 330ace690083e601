"""The FR Core profiles the API claims in meta.profile, their rules coded as tests (no offline
FHIR validator is installed). Source: FR Core (Interop-Sante/hl7.fhir.fr.core),
input/fsh/profiles/FRCoreScheduleProfile.fsh, FRCoreSlotProfile.fsh,
FRCoreAppointmentProfile.fsh; extension fr-core-service-type-duration."""

import pytest

from parcours.scheduling.services import slot_book
from parcours.scheduling.tests.fixtures import slot_on

FR_CORE = "https://hl7.fr/ig/fhir/core/StructureDefinition/"
SCHEDULE_ACTORS = {
    "Device",
    "PractitionerRole",
    "RelatedPerson",
    "HealthcareService",
    "Location",
    "Patient",
    "Practitioner",
}
APPOINTMENT_ACTORS = SCHEDULE_ACTORS
SLOT_STATUS = {"busy", "free", "busy-unavailable", "busy-tentative", "entered-in-error"}
IDENTIFIER_USE = {"usual", "official", "temp", "secondary", "old"}


def _type_of(ref: dict) -> str:
    return ref.get("type") or ref.get("reference", "").split("/")[0]


def _identifiers_ok(resource: dict) -> None:
    for ident in resource.get("identifier", []):
        assert ident.get("use", "usual") in IDENTIFIER_USE


def check_fr_core_schedule(r: dict) -> None:
    assert f"{FR_CORE}fr-core-schedule" in r["meta"]["profile"]
    assert "serviceType" not in r  # serviceType ..0: the acts go in the extension
    assert len(r.get("serviceCategory", [])) <= 1
    _identifiers_ok(r)
    for actor in r["actor"]:
        assert _type_of(actor) in SCHEDULE_ACTORS, actor
    for ext in r.get("extension", []):
        if ext["url"] == f"{FR_CORE}fr-core-service-type-duration":
            subs = [e["url"] for e in ext["extension"]]
            assert subs.count("serviceType") == 1 and subs.count("duration") <= 1


def check_fr_core_slot(r: dict) -> None:
    assert f"{FR_CORE}fr-core-slot" in r["meta"]["profile"]
    assert len(r.get("serviceCategory", [])) <= 1
    assert r["status"] in SLOT_STATUS
    assert r["schedule"]["reference"].startswith("Schedule/")
    _identifiers_ok(r)


def check_fr_core_appointment(r: dict) -> None:
    assert f"{FR_CORE}fr-core-appointment" in r["meta"]["profile"]
    for ref in r.get("slot", []):
        assert ref["reference"].startswith("Slot/")
    for participant in r["participant"]:
        assert _type_of(participant["actor"]) in APPOINTMENT_ACTORS, participant


@pytest.mark.usefixtures("agenda")
def test_agendas_slots_and_appointments_keep_their_fr_core_claims(
    api, territory, agenda, patient, doctor_practitioner
):
    booked = slot_book(user=territory.gp, slot=slot_on(agenda.cardio, 9), patient=patient)
    client = api(territory.gp)
    schedules = client.get("Schedule", {"_count": "100"}).json_body["entry"]
    for entry in schedules:
        check_fr_core_schedule(entry["resource"])
    cardio = client.get(f"Schedule/{agenda.cardio.pk}").json_body
    durations = [e for e in cardio["extension"] if "service-type-duration" in e["url"]]
    assert durations and durations[0]["extension"][1]["valueDuration"]["value"] == 30
    for entry in client.get("Slot", {"_count": "20"}).json_body["entry"]:
        check_fr_core_slot(entry["resource"])
    check_fr_core_appointment(client.get(f"Appointment/{booked.pk}").json_body)
