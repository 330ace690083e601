"""EpisodeOfCare and Encounter of the Service Médical de Proximité: read and search with the
pages' access (an assistant reads the episode, never the encounter)."""

from parcours.proximity.services import consultation_record
from parcours.proximity.tests.fixtures import smp  # noqa: F401  (the SMP fixture)


def test_the_team_reads_the_episode_and_the_doctor_the_encounter(api, smp):  # noqa: F811
    c = consultation_record(
        actor=smp.intern, episode=smp.episode, reason="Toux", intern_consent=True
    )
    episode = api(smp.assistant).get(f"EpisodeOfCare/{smp.episode.pk}").json_body
    assert episode["status"] == "active"
    assert episode["patient"] == {"reference": f"Patient/{smp.patient.pk}"}
    bundle = api(smp.retired).get("EpisodeOfCare", {"status": "active"}).json_body
    assert [e["resource"]["id"] for e in bundle["entry"]] == [str(smp.episode.pk)]
    encounter = api(smp.coord).get(f"Encounter/{c.pk}").json_body
    assert encounter["episodeOfCare"] == [{"reference": f"EpisodeOfCare/{smp.episode.pk}"}]
    assert encounter["participant"][1]["individual"]["identifier"]["value"] == smp.coord.rpps
    found = api(smp.intern).get("Encounter", {"patient": f"Patient/{smp.patient.pk}"}).json_body
    assert len(found["entry"]) == 1


def test_an_assistant_or_an_outsider_gets_404_on_an_encounter(api, smp, territory):  # noqa: F811
    c = consultation_record(actor=smp.retired, episode=smp.episode, reason="Bilan")
    for user in (smp.assistant, territory.gp):
        assert api(user).get(f"Encounter/{c.pk}").status_code == 404
    assert api(territory.gp).get(f"EpisodeOfCare/{smp.episode.pk}").status_code == 404
