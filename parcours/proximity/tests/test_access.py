"""Every SMP page for every role (issue 18, « Access and bad input »): assistants run the
registry but read no clinical note, interns see their patients, the supervisor their interns'
consultations, everyone else the same 404 as for nothing."""

from datetime import date

import pytest
from django.urls import reverse

from parcours.proximity.models import Consultation
from parcours.proximity.services import consultation_record, episode_signup

PAGES = ["registry", "signup", "episode", "senior", "intern", "supervision", "portfolio", "kpi"]
#                 reg  sign  epi  sen  int  sup  port kpi
EXPECTED = {
    "assistant": [200, 200, 200, 404, 404, 404, 404, 404],
    "retired": [200, 200, 200, 200, 200, 404, 404, 404],
    "coord": [200, 200, 200, 200, 200, 200, 200, 200],
    "intern": [200, 404, 200, 404, 200, 404, 200, 404],
    "gp": [404, 404, 404, 404, 404, 404, 404, 404],
    "nobody": [404, 404, 404, 404, 404, 404, 404, 404],
    "anonymous": [302, 302, 302, 302, 302, 302, 302, 302],
}


@pytest.fixture
def seen(smp):
    smp.senior = consultation_record(actor=smp.retired, episode=smp.episode, reason="Bilan")
    smp.by_intern = consultation_record(
        actor=smp.intern, episode=smp.episode, reason="Toux", intern_consent=True
    )
    return smp


def _url(page: str, s) -> str:
    return {
        "registry": reverse("proximity:registry"),
        "signup": reverse("proximity:signup"),
        "episode": reverse("proximity:episode", args=[s.episode.pk]),
        "senior": reverse("proximity:consultation", args=[s.senior.pk]),
        "intern": reverse("proximity:consultation", args=[s.by_intern.pk]),
        "supervision": reverse("proximity:supervision"),
        "portfolio": reverse("proximity:portfolio", args=[s.intern.pk]),
        "kpi": reverse("proximity:indicators"),
    }[page]


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_each_role_gets_each_smp_page_as_the_rules_say(persona, seen, territory, client):
    user = {"gp": territory.gp, "nobody": territory.nobody, "anonymous": None}.get(
        persona, getattr(seen, persona, None)
    )
    if user is not None:
        client.force_login(user)
    got = [client.get(_url(page, seen)).status_code for page in PAGES]
    assert got == EXPECTED[persona]


def test_an_intern_does_not_see_a_patient_they_never_met(seen, client):
    other, _ = episode_signup(
        actor=seen.assistant,
        identity={
            "birth_name": "Inconnu",
            "birth_given_names": "Luc",
            "birth_date": date(1985, 5, 5),
            "sex": "M",
        },
        site=seen.site,
        source="patient",
        reason="never",
    )
    client.force_login(seen.intern)
    assert client.get(reverse("proximity:episode", args=[other.pk])).status_code == 404
    assert "Inconnu".upper() not in client.get(reverse("proximity:registry")).content.decode()


def test_the_assistant_page_hides_the_notes_but_the_doctor_page_shows_them(seen, client):
    Consultation.objects.filter(pk=seen.senior.pk).update(notes="Souffle systolique 2/6")
    url = reverse("proximity:episode", args=[seen.episode.pk])
    client.force_login(seen.assistant)
    assert "Bilan" not in client.get(url).content.decode()
    client.force_login(seen.retired)
    assert "Bilan" in client.get(url).content.decode()


def test_only_the_new_treating_doctor_sees_the_handover_page(seen, territory, client):
    url = reverse("proximity:handover", args=[seen.episode.pk])
    for user in (seen.coord, territory.gp2):
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_the_smp_team_lands_on_its_waiting_list(smp, client):
    for user in (smp.assistant, smp.intern, smp.coord):
        client.force_login(user)
        assert client.get("/")["Location"] == reverse("proximity:registry")


def test_an_assistant_who_signs_up_and_books_gets_the_identity_but_not_the_patients_data(
    smp, client
):
    from parcours.patients.access import can_see_patient_data, identity_queryset_for
    from parcours.proximity.services import consultation_book
    from parcours.scheduling.models import Slot

    episode, result = episode_signup(
        actor=smp.assistant,
        identity={
            "birth_name": "Nouveau",
            "birth_given_names": "Yann",
            "birth_date": date(1979, 9, 9),
            "sex": "M",
        },
        site=smp.site,
        source="patient",
        reason="newcomer",
    )
    slot = Slot.objects.filter(schedule=smp.retired_agenda, status="free").first()
    consultation_book(actor=smp.assistant, episode=episode, slot=slot)
    assert result.created
    assert identity_queryset_for(smp.assistant).filter(pk=result.patient.pk).exists()
    assert not can_see_patient_data(smp.assistant, result.patient)
    assert not can_see_patient_data(smp.assistant, smp.patient)
    # The doctor whose agenda holds the appointment does see it.
    assert can_see_patient_data(smp.retired, result.patient)
