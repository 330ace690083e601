"""The duplicate score: each error type identitovigilance meets, and the grades."""

from datetime import date

import pytest

from parcours.lib.identity import Identity, compare

REF = Identity(
    birth_name="DUPONT",
    given_names="MARIE ANNE",
    birth_date=date(1950, 4, 3),
    sex="F",
    birthplace="53130",
    used_name="MARTIN",
)


def _with(**kw) -> Identity:
    return Identity(**{**REF.__dict__, **kw})


@pytest.mark.parametrize(
    "error,query,grade",
    [
        ("exact five traits", _with(), "certain"),
        ("typo in birth name", _with(birth_name="DUPOMT"), "probable"),
        (
            "accents dropped / added",
            _with(birth_name="Dupônt", given_names="Marie Anne"),
            "certain",
        ),
        ("hyphenated compound name", _with(birth_name="DUPONT-LEGRAND"), "probable"),
        ("compound written with a space", _with(birth_name="DUPONT LEGRAND"), "probable"),
        ("used name entered as birth name", _with(birth_name="MARTIN", used_name=""), "probable"),
        ("day and month swapped", _with(birth_date=date(1950, 3, 4)), "probable"),
        ("a mistyped day", _with(birth_date=date(1950, 4, 4)), "probable"),
        ("missing birthplace", _with(birthplace=""), "probable"),
        ("given names in another order", _with(given_names="ANNE MARIE"), "probable"),
        ("typo in first name", _with(given_names="MAIRE ANNE"), "probable"),
        ("missing sex", _with(sex=""), "probable"),
        ("twin sister", _with(given_names="LOUISE"), "possible"),
        # A mistyped sex alone stays in review; with another first name it is another person
        # (the estimated weights: a different sex weighs ~ -9 bits, first names ~ -3 bits).
        ("sex mistyped", _with(sex="M"), "possible"),
        ("twin brother", _with(sex="M", given_names="MARC"), "certainly-not"),
        (
            "another person",
            _with(
                birth_name="LEROY",
                given_names="PAUL",
                sex="M",
                birth_date=date(1981, 6, 30),
                birthplace="75056",
            ),
            "certainly-not",
        ),
        ("other person born another year", _with(birth_date=date(1970, 9, 21)), "possible"),
        ("different NIR", _with(ins="250045313000155", ins_kind="NIR"), "certainly-not"),
    ],
)
def test_each_error_type_gets_its_grade(error, query, grade):
    base = REF
    if error == "different NIR":
        base = Identity(**{**REF.__dict__, "ins": "250045313000266", "ins_kind": "NIR"})
    if error == "accents dropped / added":
        from parcours.lib.text import ins_form

        query = _with(birth_name=ins_form("Dupônt"))
    m = compare(query, base)
    assert m.grade == grade, (error, m)


def test_same_nir_is_certain_even_with_other_traits():
    a = _with(ins="250045313000155", ins_kind="NIR")
    b = _with(ins="250045313000155", ins_kind="NIR", birth_name="DURAND")
    assert compare(a, b).grade == "certain"


def test_the_score_says_why():
    m = compare(_with(birth_date=date(1950, 3, 4), birthplace=""), REF)
    assert "jour et mois inversés" in m.reasons and "lieu de naissance manquant" in m.reasons
    # the weight of each trait compared; a missing trait is not compared (weight 0)
    assert 0 < m.score < 1 and set(m.parts) == {"family", "given", "birth_date", "sex"}
    assert m.levels["birth_date"] == "swapped" and m.parts["given"] > 0


def test_a_compound_first_name_is_one_name():
    a = _with(given_names="JEAN-MARC")
    b = _with(given_names="JEAN-PIERRE")
    assert compare(a, b).grade != "certain"
    assert compare(_with(given_names="JEAN MARC"), a).grade in ("certain", "probable")


# --- the database matcher: supporting evidence from the rows, never certain -----------------


def _stored(territory, **contact):
    from parcours.patients.models import Patient
    from parcours.patients.services import patient_create

    p = patient_create(
        actor=territory.gp,
        birth_name="Vernier",
        birth_given_names="Clémence",
        birth_date=date(1962, 7, 18),
        sex="F",
    ).patient
    Patient.objects.filter(pk=p.pk).update(**contact)
    return p


@pytest.mark.django_db
def test_contact_traits_of_the_rows_are_compared_but_never_lift_a_date_conflict_alone(territory):
    from parcours.patients.matching import find_matches
    from parcours.patients.services import patient_identifier_add

    p = _stored(
        territory,
        address_line="12 rue des Tilleuls",
        postcode="53000",
        town="Laval",
        phone="0612345678",
    )
    # another day of the same month: retrieved (name sound and month), dates incompatible
    query = Identity(
        birth_name="VERNIER", given_names="CLEMENCE", birth_date=date(1962, 7, 3), sex="F"
    )
    (bare,) = find_matches(query)
    assert bare.match.grade == "possible"
    # same home and phone: a parent and a child of the same names live there too
    household = Identity(
        **{
            **query.__dict__,
            "address": "12 RUE DES TILLEULS",
            "postcode": "53000",
            "town": "LAVAL",
            "phone": "+33 6 12 34 56 78",
        }
    )
    (found,) = find_matches(household)
    assert found.match.grade == "possible" and found.match.score > bare.match.score
    assert found.match.levels["address"] == "exact" and found.match.parts["postcode"] > 0
    # with the patient's local number of the same system too: probable (review), not certain
    patient_identifier_add(
        actor=territory.gp,
        patient=p,
        system="urn:oid:1.2.3.4.ipp",
        value="IPP12",
        organisation=territory.alpha,
    )
    supported = find_matches(household, identifiers=[("urn:oid:1.2.3.4.ipp", "IPP12")])
    assert [(s.patient.pk, s.match.grade) for s in supported] == [(p.pk, "probable")]


@pytest.mark.django_db
def test_a_shared_local_number_is_certain_only_with_strict_traits_probable_alone(territory):
    from parcours.patients.matching import find_matches
    from parcours.patients.services import patient_identifier_add

    p = _stored(territory)
    patient_identifier_add(
        actor=territory.gp,
        patient=p,
        system="urn:oid:1.2.3.4.ipp",
        value="IPP77",
        organisation=territory.alpha,
    )
    ipp = [("urn:oid:1.2.3.4.ipp", "IPP77")]
    same = Identity(
        birth_name="VERNIER", given_names="CLEMENCE", birth_date=date(1962, 7, 18), sex="F"
    )
    assert [s.match.grade for s in find_matches(same, identifiers=ipp)] == ["certain"]
    # another first name and another date: the number alone must not make it certain
    other = Identity(
        birth_name="VERNIER", given_names="APOLLINE", birth_date=date(1971, 2, 9), sex="F"
    )
    grades = [s.match.grade for s in find_matches(other, identifiers=ipp)]
    assert grades and "certain" not in grades
    # a consecutive number of the same system is compared, not matched
    near = find_matches(same, identifiers=[("urn:oid:1.2.3.4.ipp", "IPP78")])
    assert [s.match.grade for s in near] == ["probable"]
    assert near[0].match.levels["identifier"] == "digit"
