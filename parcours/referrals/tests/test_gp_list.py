"""The GP's list: what waits for her first, patient search, constant query count."""

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from parcours.patients.services import patient_create
from parcours.referrals.services import referral_answer, referral_request_info


def _refs_in_order(body, *referrals):
    return sorted(referrals, key=lambda r: body.index(r.reference))


def test_what_waits_for_the_gp_comes_first(territory, make_referral, client):
    asked = make_referral()
    answered = make_referral()
    plain = make_referral()  # the newest: would be first by date
    referral_request_info(actor=territory.doctor, referral=asked, question="Poids ?")
    referral_answer(actor=territory.doctor, referral=answered, answer_kind="advice", text="ok")
    client.force_login(territory.gp)
    body = client.get(reverse("referrals:list")).content.decode()
    assert _refs_in_order(body, plain, answered, asked) == [asked, answered, plain]
    assert "2 demandes attendent votre action" in body
    assert "réponse non lue" in body and "à vous de répondre" in body
    # Reading the answer takes it off the top.
    client.get(reverse("referrals:detail", args=[answered.pk]))
    answered.refresh_from_db()
    assert answered.answer_read_at is not None
    body = client.get(reverse("referrals:list")).content.decode()
    assert _refs_in_order(body, plain, answered, asked) == [asked, plain, answered]
    assert "1 demande attend votre action" in body


def test_the_hospital_reading_the_answer_does_not_mark_it_read(territory, make_referral, client):
    referral = make_referral()
    referral_answer(actor=territory.doctor, referral=referral, answer_kind="advice", text="ok")
    client.force_login(territory.desk)
    client.get(reverse("referrals:detail", args=[referral.pk]))
    referral.refresh_from_db()
    assert referral.answer_read_at is None


def test_patient_search_ignores_case_and_accents(territory, patient, make_referral, client):
    other = patient_create(
        actor=territory.gp,
        birth_name="Lefèvre",
        birth_given_names="Élodie",
        birth_date=date(1982, 7, 9),
        sex="F",
        birthplace_insee="53130",
    ).patient
    dupont = make_referral()
    lefevre = make_referral(patient=other)
    client.force_login(territory.gp)
    for query in ("lefevre", "LEFÈVRE", "élodie lefevre"):
        body = client.get(reverse("referrals:list") + f"?q={query}").content.decode()
        assert lefevre.reference in body and dupont.reference not in body, query
    body = client.get(reverse("referrals:list") + "?born=03/04/1950").content.decode()
    assert dupont.reference in body and lefevre.reference not in body
    body = client.get(reverse("referrals:list") + "?q=martin").content.decode()
    assert "Aucune demande ne correspond" in body


def test_bad_birth_date_is_explained(territory, make_referral, client):
    make_referral()
    client.force_login(territory.gp)
    body = client.get(reverse("referrals:list") + "?born=31/02/1950").content.decode()
    assert "Né(e) le : Saisissez une date valide." in body


def test_search_never_shows_another_gps_requests(territory, make_referral, client):
    theirs = make_referral(author=territory.gp2)
    client.force_login(territory.gp)
    body = client.get(reverse("referrals:list") + "?q=dupont").content.decode()
    assert theirs.reference not in body


def test_gp_list_query_count_does_not_grow_with_the_number_of_requests(
    territory, make_referral, client
):
    for _ in range(3):
        make_referral()
    client.force_login(territory.gp)
    url = reverse("referrals:list")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(20):
        r = make_referral()
        if i % 3 == 0:
            referral_answer(actor=territory.doctor, referral=r, answer_kind="advice", text="ok")
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
    with CaptureQueriesContext(connection) as fragment:
        client.get(url + "?fragment=1&q=dupont")
    assert len(fragment) <= len(few) + 1  # + the search's own audit row
