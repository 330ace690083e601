"""On-call rosters over FHIR (read-only): a roster is a Schedule ``garde-N``, a shift a Slot
``garde-N`` whose extension names the doctor who answers (replacements included)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from parcours.oncall.services import override_create, shift_assign

PARIS = ZoneInfo("Europe/Paris")


def test_every_account_holder_reads_the_roster_as_a_schedule(api, rota_shifts):
    r = rota_shifts
    client = api(r.t.nobody)
    resource = client.get(f"Schedule/garde-{r.cardio.pk}").json_body
    assert resource["id"] == f"garde-{r.cardio.pk}"
    assert resource["serviceType"][0]["coding"][0]["code"] == "from_home"
    assert {"reference": f"HealthcareService/{r.t.cardio.pk}", "display": "Cardiologie"} in (
        resource["actor"]
    )
    found = client.get("Schedule", {"service-category": "on-call"}).json_body
    assert sorted(e["resource"]["id"] for e in found["entry"]) == sorted(
        [f"garde-{r.cardio.pk}", f"garde-{r.sector.pk}"]
    )


def test_the_shifts_are_slots_with_the_doctor_who_answers(api, rota_shifts):
    r = rota_shifts
    override_create(
        actor=r.t.head,
        roster=r.cardio,
        practitioner=r.doctor,
        start=datetime(2026, 3, 6, 18, 30, tzinfo=PARIS),
        end=datetime(2026, 3, 7, 8, 30, tzinfo=PARIS),
    )
    bundle = (
        api(r.t.gp)
        .get(
            "Slot",
            {
                "schedule": f"Schedule/garde-{r.cardio.pk}",
                "start": ["ge2026-03-06T00:00:00+01:00", "lt2026-03-08T00:00:00+01:00"],
            },
        )
        .json_body
    )
    slots = [e["resource"] for e in bundle["entry"]]
    assert [s["start"] for s in slots] == [
        "2026-03-06T18:30:00+01:00",
        "2026-03-07T08:30:00+01:00",
    ]
    friday = slots[0]
    assert friday["status"] == "busy"
    who = friday["extension"][0]["valueReference"]
    assert who["reference"] == f"Practitioner/{r.doctor.pk}"  # the replacement, not the locum
    assert friday["extension"][1]["valueBoolean"] is True


def test_an_open_shift_is_a_free_slot(api, rota_shifts):
    r = rota_shifts
    shift = r.cardio.shifts.get(start__date="2026-03-10")
    shift_assign(actor=r.t.head, shift=shift, practitioner=None)
    slot = api(r.t.gp).get(f"Slot/garde-{shift.pk}").json_body
    assert slot["status"] == "free" and "à pourvoir" in slot["comment"]


def test_an_unknown_roster_is_a_404_and_agendas_are_untouched(api, rota_shifts, agenda):
    client = api(rota_shifts.t.gp)
    assert client.get("Schedule/garde-999999").status_code == 404
    agendas = client.get("Schedule").json_body
    assert all(not e["resource"]["id"].startswith("garde-") for e in agendas.get("entry", []))
