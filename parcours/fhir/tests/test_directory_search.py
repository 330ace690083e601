"""FHIR search on the imported directory: folded names, typos, places, active flag."""

import pytest

from parcours.directory.annuaire import import_annuaire
from parcours.directory.models import Practitioner
from parcours.directory.tests.conftest import extract, row  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(territory, extract):  # noqa: F811
    import_annuaire(
        extract(
            [
                row(),
                row(
                    "810000000002",
                    "MARTIN",
                    "PAUL",
                    structure="R2",
                    postcode="53100",
                    town="MAYENNE",
                    org="CABINET MARTIN",
                    sector="Cabinet individuel",
                    skill="Pneumologie",
                ),
            ]
        )
    )
    import_annuaire(extract([row()], name="second.txt"))  # MARTIN is now gone
    return Practitioner.objects.get(national_id="810000000001")


def ids(response):
    assert response.status_code == 200, response.json_body
    return [e["resource"]["id"] for e in response.json_body.get("entry", [])]


def test_practitioner_name_ignores_accents_and_case(api, territory, imported):
    client = api(territory.gp)
    assert ids(client.get("Practitioner", {"name": "helene"})) == [str(imported.pk)]
    assert ids(client.get("Practitioner", {"name": "lefèvre"})) == [str(imported.pk)]
    assert ids(client.get("Practitioner", {"name:exact": "Lefevre Helene"})) == [str(imported.pk)]


def test_practitioner_by_place_specialty_and_active(api, territory, imported):
    client = api(territory.gp)
    assert ids(client.get("Practitioner", {"address-postalcode": "53000"})) == [str(imported.pk)]
    assert ids(client.get("Practitioner", {"address-city": "laval"})) == [str(imported.pk)]
    gone = Practitioner.objects.get(national_id="810000000002")
    inactive = client.get("Practitioner", {"active": "false"})
    assert ids(inactive) == [str(gone.pk)]
    assert inactive.json_body["entry"][0]["resource"]["active"] is False
    assert ids(
        client.get("Practitioner", {"specialty": "cardiologie et maladies vasculaires"})
    ) == [str(imported.pk)]
    assert ids(client.get("Practitioner", {"active": "maybe"})) == []


def test_organization_and_role_search(api, territory, imported):
    client = api(territory.gp)
    orgs = client.get("Organization", {"name": "ch de test", "active": "true"})
    assert [e["resource"]["name"] for e in orgs.json_body["entry"]] == ["CH DE TEST"]
    assert ids(client.get("Organization", {"address-postalcode": "53100", "active": "false"}))
    roles = client.get("PractitionerRole", {"address-city": "Laval", "active": "true"})
    assert [e["resource"]["practitioner"]["reference"] for e in roles.json_body["entry"]] == [
        f"Practitioner/{imported.pk}"
    ]
    services = client.get("HealthcareService", {"address-city": "laval"})
    assert {e["resource"]["name"] for e in services.json_body["entry"]} == {
        "Cardiologie",
        "Pneumologie",
    }


def test_phonetic_search(api, territory, imported):
    # The same typo tolerance on both databases (directory selectors.practitioner_fuzzy).
    client = api(territory.gp)
    assert ids(client.get("Practitioner", {"phonetic": "lefebre"})) == [str(imported.pk)]
    assert ids(client.get("Practitioner", {"phonetic": "lefevre"})) == [str(imported.pk)]
    # Most similar first, not in name order.
    bernard = Practitioner.objects.create(last_name="Bernard", first_name="Luc")
    bernaud = Practitioner.objects.create(last_name="Bernaud", first_name="Luc")
    assert ids(client.get("Practitioner", {"phonetic": "bernaud"})) == [
        str(bernaud.pk),
        str(bernard.pk),
    ]


def test_capability_statement_lists_the_new_parameters(api, territory):
    body = api(territory.gp).get("metadata").json_body
    practitioner = next(r for r in body["rest"][0]["resource"] if r["type"] == "Practitioner")
    names = {p["name"] for p in practitioner["searchParam"]}
    assert {"phonetic", "address-city", "address-postalcode", "active", "specialty"} <= names


def test_place_alone_pages_like_the_generic_search(api, territory):
    """``address-postalcode`` alone is read from the activities' index (search_plan); with
    another criterion, from the practitioners. Same rows, order, pages and total."""
    from parcours.directory.models import Organisation, PractitionerRole

    here = [
        Organisation.objects.create(
            name=f"Site {i}", kind="practice", postcode="49100", town="Angers"
        )
        for i in range(2)
    ]
    elsewhere = Organisation.objects.create(
        name="Ailleurs", kind="practice", postcode="49000", town="Angers"
    )
    names = ["Roux", "Adam", "Roux", "Brun", "Adam", "Caron", "Brun"]
    for i, name in enumerate(names):
        p = Practitioner.objects.create(last_name=name, first_name="Jean")
        PractitionerRole.objects.create(practitioner=p, organisation=here[0])
        if i % 3 == 0:  # a second activity at the same place: listed once
            PractitionerRole.objects.create(practitioner=p, organisation=here[1])
    PractitionerRole.objects.create(
        practitioner=Practitioner.objects.create(last_name="Abel", first_name="Zoé"),
        organisation=elsewhere,
    )
    client = api(territory.gp)

    def pages(extra):
        seen, totals = [], set()
        for offset in (0, 3, 6):
            body = client.get(
                "Practitioner",
                {"address-postalcode": "49100", "_count": "3", "_offset": str(offset), **extra},
            ).json_body
            seen += [e["resource"]["id"] for e in body.get("entry", [])]
            totals.add(body["total"])
        return seen, totals

    planned, planned_totals = pages({})
    generic, generic_totals = pages({"active": "true,false"})
    assert planned == generic and planned_totals == generic_totals == {7}
    expected = (
        Practitioner.objects.filter(roles__postcode="49100").distinct().order_by("search_key", "pk")
    )
    assert planned == [str(p.pk) for p in expected]
    # A department (first digits) and a town go through the plan too.
    assert ids(client.get("Practitioner", {"address-postalcode": "49", "_count": "100"})) == ids(
        client.get(
            "Practitioner", {"address-postalcode": "49", "_count": "100", "active": "true,false"}
        )
    )
    assert len(ids(client.get("Practitioner", {"address-city": "angers", "_count": "100"}))) == 8


def test_only_a_place_alone_takes_the_activities_index():
    from django.http import QueryDict

    from parcours.fhir.resources import PRACTITIONER

    plan = PRACTITIONER.search_plan
    assert plan(None, QueryDict("address-postalcode=49100&_count=3&_total=none"))
    assert plan(None, QueryDict("address-city=angers,laval"))
    assert plan(None, QueryDict("address-postalcode=49100&name=roux")) is None
    assert plan(None, QueryDict("address-postalcode=49100&address-postalcode=49000")) is None
    assert plan(None, QueryDict("address-postalcode:exact=49100")) is None
    assert plan(None, QueryDict("address-postalcode=")) is None
