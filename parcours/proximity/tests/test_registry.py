"""The registry and waiting list: sign-up on the one identity, priority, clock, duplicates."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from parcours.audit.models import AuditEvent
from parcours.lib.errors import Conflict, Forbidden, Invalid
from parcours.patients.models import DuplicateCandidate, Patient
from parcours.patients.services import patient_create, patient_merge
from parcours.proximity.models import Episode, EpisodeChange
from parcours.proximity.selectors import waitlist
from parcours.proximity.services import (
    episode_register,
    episode_set_priority,
    episode_signup,
    priority_score,
)

IDENTITY = {
    "birth_name": "Fictif",
    "birth_given_names": "Jeanne",
    "birth_date": date(1940, 1, 15),
    "sex": "F",
}


def test_a_signup_starts_the_waiting_clock_with_the_documented_priority(smp):
    episode, result = episode_signup(
        actor=smp.assistant,
        identity=IDENTITY,
        site=smp.site,
        source="relative",
        reason="newcomer",
        referrer="Sa fille",
        criteria={"recent_discharge": True},
    )
    assert result.created
    # Age ≥ 70 is computed from the birth date (2 points) + recent discharge (3 points).
    assert episode.age_70 and episode.recent_discharge
    assert episode.priority == 5
    assert episode.due_at == episode.registered_at + timedelta(days=7)
    assert episode.status == Episode.Status.WAITLIST


def test_a_second_signup_of_the_same_patient_is_refused_and_writes_nothing(smp):
    before = Patient.objects.count()
    with pytest.raises(Conflict, match="déjà inscrit"):
        episode_signup(
            actor=smp.assistant,
            identity={
                "birth_name": "Dupont",
                "birth_given_names": "Marie Anne",
                "birth_date": date(1950, 4, 3),
                "sex": "F",
                "birthplace_insee": "53130",
            },
            site=smp.antenna,
            source="patient",
            reason="doctor_left",
        )
    assert Patient.objects.count() == before
    assert Episode.objects.filter(patient=smp.patient).count() == 1


def test_a_near_twin_of_a_registered_patient_is_refused_and_writes_nothing(smp):
    before = Patient.objects.count()
    with pytest.raises(Conflict, match="identité proche est déjà inscrite"):
        episode_signup(
            actor=smp.assistant,
            identity={
                "birth_name": "Dupont",
                "birth_given_names": "Marie",
                "birth_date": date(1950, 4, 3),
                "sex": "F",
            },
            site=smp.site,
            source="patient",
            reason="doctor_left",
        )
    assert Patient.objects.count() == before


def test_a_near_twin_of_an_unregistered_identity_goes_to_the_identitovigilance_review(
    smp, territory
):
    known = patient_create(
        actor=territory.gp,
        birth_name="Lemaire",
        birth_given_names="Paul",
        birth_date=date(1960, 2, 2),
        sex="M",
    ).patient
    episode, result = episode_signup(
        actor=smp.assistant,
        identity={
            "birth_name": "Lemaire",
            "birth_given_names": "Paul Henri",
            "birth_date": date(1960, 2, 2),
            "sex": "M",
        },
        site=smp.site,
        source="patient",
        reason="doctor_left",
    )
    assert result.created and result.candidates
    assert DuplicateCandidate.objects.filter(state="open").exists()
    assert episode.patient_id != known.pk


def test_merging_two_signed_up_identities_keeps_both_episodes_on_the_survivor(smp, territory):
    other, result = episode_signup(
        actor=smp.assistant,
        identity={**IDENTITY, "birth_name": "Sansrapport"},
        site=smp.site,
        source="patient",
        reason="never",
    )
    patient_merge(
        actor=territory.cell,
        survivor=smp.patient,
        merged=result.patient,
        reason="même personne vérifiée sur pièce",
        confirmed=True,
    )
    assert set(Episode.objects.filter(patient=smp.patient)) == {smp.episode, other}


def test_an_intern_or_an_outsider_cannot_sign_up_a_patient(smp, territory, patient):
    for actor in (smp.intern, territory.gp):
        with pytest.raises(Forbidden):
            episode_register(
                actor=actor, patient=patient, site=smp.site, source="patient", reason="never"
            )


def test_a_priority_change_needs_a_reason_and_is_audited_with_it(smp):
    with pytest.raises(Invalid):
        episode_set_priority(
            actor=smp.assistant, episode=smp.episode, criteria={"pregnancy": True}, reason=""
        )
    episode = episode_set_priority(
        actor=smp.assistant,
        episode=smp.episode,
        criteria={"ald": True, "pregnancy": True},
        reason="grossesse déclarée au téléphone",
    )
    # ALD 2 + pregnancy 3 + age ≥ 70 (born 1950) 2.
    assert episode.priority == priority_score({"ald": True, "pregnancy": True, "age_70": True}) == 7
    change = EpisodeChange.objects.filter(episode=episode, what="priority").get()
    assert change.reason == "grossesse déclarée au téléphone" and change.by == smp.assistant
    assert AuditEvent.objects.filter(detail__contains="grossesse déclarée").exists()


def test_the_waiting_list_is_sorted_by_priority_then_waiting_time(smp, frozen):
    frozen.shift(timedelta(days=1))
    low, _ = episode_signup(
        actor=smp.assistant,
        identity={**IDENTITY, "birth_date": date(1990, 1, 1)},
        site=smp.site,
        source="cpam",
        reason="never",
    )
    high, _ = episode_signup(
        actor=smp.assistant,
        identity={**IDENTITY, "birth_name": "Autre"},
        site=smp.site,
        source="hospital",
        reason="doctor_left",
        criteria={"recent_discharge": True},
    )
    order = list(waitlist(episodes=Episode.objects.all()))
    assert order == [high, smp.episode, low]


def test_a_patient_waiting_past_the_due_date_is_shown_overdue(smp, frozen, client):
    frozen.shift(timedelta(days=31))  # ALD alone: 30 days
    client.force_login(smp.assistant)
    page = client.get(reverse("proximity:registry") + "?overdue=on")
    assert page.status_code == 200
    assert smp.episode.reference in page.content.decode()
    assert "en retard" in page.content.decode()


def test_the_registry_page_lists_the_waiting_patients_in_few_queries(
    smp, client, django_assert_max_num_queries
):
    for i in range(5):
        episode_signup(
            actor=smp.assistant,
            identity={
                **IDENTITY,
                "birth_name": ["Abel", "Brun", "Colin", "Drouet", "Evrard"][i],
                "birth_date": date(1941 + i, 3, 1 + i),
            },
            site=smp.site,
            source="patient",
            reason="never",
        )
    client.force_login(smp.assistant)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("proximity:registry"))
    assert page.status_code == 200
    assert page.content.decode().count("SMP-") >= 6


def test_the_signup_page_creates_the_episode_and_shows_errors_in_french(smp, client):
    client.force_login(smp.assistant)
    url = reverse("proximity:signup")
    bad = client.post(url, {"birth_name": "Fictif"})
    assert bad.status_code == 400
    form = {
        "birth_name": "Exemple",
        "birth_given_names": "Paul",
        "birth_date": "1980-02-02",
        "sex": "M",
        "site": smp.site.pk,
        "source": "patient",
        "reason": "newcomer",
        "css_ame": "on",
    }
    ok = client.post(url, form)
    assert ok.status_code == 302
    episode = Episode.objects.get(patient__birth_name="EXEMPLE")
    assert episode.css_ame and episode.priority == 1
    again = client.post(url, form)
    assert again.status_code == 400
    assert "déjà inscrit" in again.content.decode()
