"""Birthplace chosen by commune name, the INSEE code behind it, from the vendored Code officiel
géographique (issue 14): suggestions, resolution of a typed name, server-side checks."""

import pytest
from django.urls import reverse

from parcours.patients import cog
from parcours.patients.models import Patient

FORM = {
    "birth_name": "Synthetique",
    "birth_given_names": "Albane",
    "birth_date": "1961-05-04",
    "sex": "F",
}


def test_the_cog_is_dated_and_knows_current_former_and_abroad_codes():
    assert cog.cog_year() >= 2026
    assert "decoupage-administratif" in cog.cog_source()
    assert cog.is_known_code("53130")  # Laval
    assert cog.is_known_code("53014")  # merged into Château-Gontier-sur-Mayenne
    assert cog.is_known_code("2A004")  # Ajaccio
    assert cog.is_known_code("99134")  # abroad (Spain)
    assert not cog.is_known_code("53999")
    assert cog.place_label("53130") == "Laval (53) — 53130"
    assert cog.place_label("99134").startswith("Étranger")


@pytest.mark.parametrize(
    "typed, first",
    [
        ("laval", "Laval (53)"),
        ("LAVAL", "Laval (53)"),
        ("chateau gont", "Château-Gontier-sur-Mayenne (53)"),
        ("st malo", "Saint-Malo (35)"),
        ("5313", "Laval (53)"),
    ],
)
def test_search_ignores_accents_case_hyphens_and_saint(typed, first):
    labels = [c.label for c in cog.commune_search(typed)]
    if typed.isdigit():  # a code being typed: the communes whose code starts so
        assert first in labels
    else:
        assert labels[0] == first


@pytest.mark.parametrize(
    "typed, code",
    [
        ("Laval", "53130"),
        ("laval (53)", "53130"),
        ("53130", "53130"),
        ("2a004", "2A004"),
        ("99134", "99134"),
        ("Château-Gontier-sur-Mayenne", "53062"),
    ],
)
def test_a_typed_name_or_code_resolves_to_one_code(typed, code):
    assert cog.resolve_birthplace(typed) == (code, [])


def test_an_ambiguous_name_gives_the_candidates():
    code, candidates = cog.resolve_birthplace("Saint-Denis")
    assert code == "" and {"93066", "97411"} <= {c.code for c in candidates}


def _create(client, user, **extra):
    client.force_login(user)
    return client.post(reverse("patients:create"), {**FORM, **extra})


def test_the_form_stores_the_code_of_the_chosen_commune(territory, client):
    response = _create(client, territory.gp, birthplace_insee="Laval (53)")
    assert response.status_code == 302
    assert Patient.objects.get(birth_name="SYNTHETIQUE").birthplace_insee == "53130"
    detail = client.get(response.url).content.decode()
    assert "Laval (53) — 53130" in detail


def test_the_form_refuses_an_unknown_code_and_an_ambiguous_name_in_french(territory, client):
    response = _create(client, territory.gp, birthplace_insee="53999")
    assert response.status_code == 400
    assert "pas dans le Code officiel géographique" in response.content.decode()
    response = _create(client, territory.gp, birthplace_insee="Saint-Denis")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Plusieurs lieux correspondent" in body and "93066" in body
    response = _create(client, territory.gp, birthplace_insee="Zzzyville")
    assert "Aucune commune « Zzzyville »" in response.content.decode()
    assert not Patient.objects.filter(birth_name="SYNTHETIQUE").exists()


def test_birth_abroad_is_accepted(territory, client):
    assert _create(client, territory.gp, birthplace_insee="99134").status_code == 302
    assert Patient.objects.get(birth_name="SYNTHETIQUE").birthplace_insee == "99134"


def test_the_form_says_the_cog_year(territory, client):
    client.force_login(territory.gp)
    body = client.get(reverse("patients:create")).content.decode()
    assert f"Code officiel géographique {cog.cog_year()}" in body
    assert reverse("patients:communes") in body


@pytest.mark.parametrize("who", ["gp", "doctor", "desk", "cell", "nobody"])
def test_suggestions_for_every_signed_in_user(territory, client, who):
    client.force_login(getattr(territory, who))
    data = client.get(reverse("patients:communes"), {"q": "laval"}).json()
    assert data["year"] == cog.cog_year()
    assert data["results"][0] == {"code": "53130", "label": "Laval (53)"}


def test_suggestions_need_login(client):
    assert client.get(reverse("patients:communes"), {"q": "laval"}).status_code == 302


def test_the_duplicate_review_names_both_birthplaces(territory, client):
    from datetime import date

    from parcours.patients.services import patient_create

    patient_create(
        actor=territory.gp,
        birth_name="Lefebvre",
        birth_given_names="Martine",
        birth_date=date(1958, 6, 19),
        sex="F",
        birthplace_insee="53130",
    )
    result = patient_create(
        actor=territory.gp2,
        birth_name="Lefevre",
        birth_given_names="Martine",
        birth_date=date(1958, 6, 19),
        sex="F",
        birthplace_insee="53130",
    )
    assert result.candidates
    client.force_login(territory.cell)
    body = client.get(
        reverse("patients:duplicate", args=[result.candidates[0].pk])
    ).content.decode()
    assert body.count("Laval (53) — 53130") == 2
