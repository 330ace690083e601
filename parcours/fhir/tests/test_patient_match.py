"""POST /fhir/Patient/$match: scored, graded, access-filtered candidates."""

from datetime import date

from parcours.audit.models import AuditEvent
from parcours.patients.services import patient_create, patient_identifier_add

MATCH = "http://hl7.org/fhir/StructureDefinition/match-grade"


def _params(patient: dict, **extra) -> dict:
    params = [{"name": "resource", "resource": {"resourceType": "Patient", **patient}}]
    if "only_certain" in extra:
        params.append({"name": "onlyCertainMatches", "valueBoolean": extra["only_certain"]})
    if "count" in extra:
        params.append({"name": "count", "valueInteger": extra["count"]})
    return {"resourceType": "Parameters", "parameter": params}


def _grades(response):
    return [
        (e["resource"]["id"], e["search"]["extension"][0]["valueCode"], e["search"]["score"])
        for e in response.json_body.get("entry", [])
    ]


def _dupont(territory, **kw):
    args = dict(
        actor=territory.gp,
        birth_name="Dupont",
        birth_given_names="Marie Anne",
        birth_date=date(1950, 4, 3),
        sex="F",
        birthplace_insee="53130",
    )
    args.update(kw)
    return patient_create(**args).patient


def test_match_grades_a_typo_with_swapped_day_and_month_as_probable(territory, api):
    p = _dupont(territory)
    r = api(territory.gp).post(
        "Patient/$match",
        _params(
            {
                "name": [{"family": "Dupond", "given": ["Marie"]}],
                "gender": "female",
                "birthDate": "1950-03-04",
            }
        ),
    )
    assert r.status_code == 200
    assert r.json_body["type"] == "searchset"
    ((pid, grade, score),) = _grades(r)
    assert pid == str(p.pk) and grade == "probable" and 0.85 <= score < 1
    assert AuditEvent.objects.filter(action="search", detail__startswith="FHIR $match").exists()


def test_match_returns_only_identities_the_caller_may_see(territory, api):
    _dupont(territory)
    r = api(territory.gp2).post(
        "Patient/$match",
        _params(
            {
                "name": [{"family": "Dupond", "given": ["Marie"]}],
                "gender": "female",
                "birthDate": "1950-04-03",
            }
        ),
    )
    assert r.status_code == 200 and _grades(r) == []


def test_a_certain_match_on_full_traits_is_revealed_as_creation_would(territory, api):
    p = _dupont(territory)
    r = api(territory.gp2).post(
        "Patient/$match",
        _params(
            {
                "name": [{"use": "official", "family": "DUPONT", "given": ["Marie", "Anne"]}],
                "gender": "female",
                "birthDate": "1950-04-03",
                "extension": [
                    {
                        "url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
                        "valueAddress": {
                            "extension": [
                                {
                                    "url": "https://hl7.fr/ig/fhir/core/StructureDefinition/"
                                    "fr-core-address-insee-code",
                                    "valueCoding": {
                                        "system": "urn:oid:1.2.250.1.213.2.12",
                                        "code": "53130",
                                    },
                                }
                            ]
                        },
                    }
                ],
            },
            only_certain=True,
        ),
    )
    assert _grades(r) == [(str(p.pk), "certain", 1.0)]


def test_twins_are_not_probable(territory, api):
    _dupont(territory)
    r = api(territory.gp).post(
        "Patient/$match",
        _params(
            {
                "name": [{"family": "Dupont", "given": ["Louise"]}],
                "gender": "female",
                "birthDate": "1950-04-03",
            }
        ),
    )
    assert [g for _, g, _ in _grades(r)] in ([], ["possible"])


def test_match_by_local_identifier(territory, api):
    p = _dupont(territory)
    patient_identifier_add(
        actor=territory.gp,
        patient=p,
        system="urn:oid:1.2.3.4.ipp",
        value="IPP42",
        organisation=territory.alpha,
    )
    r = api(territory.gp).post(
        "Patient/$match",
        _params(
            {
                "identifier": [{"system": "urn:oid:1.2.3.4.ipp", "value": "IPP42"}],
                "name": [{"family": "Dupont"}],
                "birthDate": "1950-04-03",
                "gender": "female",
            }
        ),
    )
    assert _grades(r)[0][:2] == (str(p.pk), "certain")
    ids = r.json_body["entry"][0]["resource"]["identifier"]
    assert {"system": "urn:oid:1.2.3.4.ipp", "value": "IPP42"}.items() <= ids[-1].items()
    # and the FHIR search finds it by that identifier
    s = api(territory.gp).get("Patient", {"identifier": "urn:oid:1.2.3.4.ipp|IPP42"})
    assert [e["resource"]["id"] for e in s.json_body["entry"]] == [str(p.pk)]


def test_match_refuses_a_malformed_parameters(territory, api):
    r = api(territory.gp).post("Patient/$match", {"resourceType": "Parameters"})
    assert r.status_code == 400
    assert r.json_body["resourceType"] == "OperationOutcome"


def test_capability_statement_lists_match_and_transaction(api):
    r = api().get("metadata")
    rest = r.json_body["rest"][0]
    patient = next(x for x in rest["resource"] if x["type"] == "Patient")
    assert patient["operation"][0]["name"] == "match"
    assert rest["interaction"][0]["code"] == "transaction"


def test_a_merged_identity_points_to_its_survivor(territory, api):
    from parcours.patients.services import patient_merge

    a = _dupont(territory)
    b = patient_create(
        actor=territory.gp,
        birth_name="Dupond",
        birth_given_names="Marie",
        birth_date=date(1950, 3, 4),
        sex="F",
    ).patient
    patient_merge(
        actor=territory.admin,
        survivor=a,
        merged=b,
        reason="même personne (CNI contrôlée)",
        confirmed=True,
    )
    old = api(territory.gp).get(f"Patient/{b.pk}").json_body
    assert old["active"] is False
    assert old["link"] == [{"other": {"reference": f"Patient/{a.pk}"}, "type": "replaced-by"}]
    new = api(territory.gp).get(f"Patient/{a.pk}").json_body
    assert new["link"] == [{"other": {"reference": f"Patient/{b.pk}"}, "type": "replaces"}]
    # $match proposes the survivor only
    r = api(territory.gp).post(
        "Patient/$match",
        _params(
            {
                "name": [{"family": "Dupond", "given": ["Marie"]}],
                "gender": "female",
                "birthDate": "1950-03-04",
            }
        ),
    )
    assert [pid for pid, _, _ in _grades(r)] == [str(a.pk)]
