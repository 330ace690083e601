"""The estimated Fellegi–Sunter weights (lib/identity_weights.py) on small hand-made pairs:
FEBRL-like errors, supporting evidence (address, postcode, town, phone, local identifier) that
moves a pair between possible and probable but never makes it certain, and twins."""

from datetime import date

import pytest

from parcours.lib.identity import (
    LEVELS,
    SUPPORTING,
    Identity,
    compare,
    levels,
    strict_only,
    weights,
)
from parcours.lib.identity_weights import ESTIMATE

IPP = "urn:oid:1.2.250.1.999.1.1"
BASE = Identity(
    birth_name="VERNIER",
    given_names="CLEMENCE",
    birth_date=date(1962, 7, 18),
    address="12 RUE DES TILLEULS",
    postcode="53000",
    town="LAVAL",
    phone="06 12 34 56 78",
    identifiers=(f"{IPP}|7712345",),
)


def _with(base=BASE, **kw) -> Identity:
    return Identity(**{**base.__dict__, **kw})


def test_the_estimate_is_a_probability_table_for_every_level():
    for table in ("m", "u"):
        for trait, levels_ in LEVELS.items():
            probs = ESTIMATE[table][trait]
            assert set(probs) == set(levels_)
            assert all(0 < p < 1 for p in probs.values())
            assert sum(probs.values()) == pytest.approx(1.0)
    model = weights()
    assert 0 < model.probable < 1
    for trait in (
        "family",
        "given",
        "birth_date",
        "sex",
        "birthplace",
        "address",
        "postcode",
        "town",
        "identifier",
    ):
        # agreement is evidence for, clear disagreement evidence against
        assert model.table[trait][LEVELS[trait][0]] > 0 > model.table[trait]["other"], trait


@pytest.mark.parametrize(
    "error,query",
    [
        ("OCR typo in the family name", _with(birth_name="VERNLER")),
        ("phonetic variant", _with(birth_name="VERNIE")),
        ("space typed inside the first name", _with(given_names="CLEM ENCE")),
        ("first name missing", _with(given_names="")),
        ("year digits transposed", _with(birth_date=date(1926, 7, 18))),
        ("date missing", _with(birth_date=None)),
        ("postcode mistyped", _with(postcode="53001")),
        ("street misspelt", _with(address="12 RUE DES TILLEUL")),
        ("local number mistyped", _with(identifiers=(f"{IPP}|7712845",))),
    ],
)
def test_febrl_like_errors_stay_probable_never_certain(error, query):
    m = compare(query, BASE)
    assert m.grade == "probable", (error, m)
    assert m.score < 1


def test_supporting_evidence_never_makes_a_pair_certain():
    # every strict trait present agrees, and all the supporting evidence too: no sex nor
    # birthplace, so the five traits of the RNIV cannot be checked
    m = compare(BASE, BASE)
    assert m.grade == "probable" and m.score < 1
    # with the five strict traits the rule applies, with or without the supporting evidence
    full = _with(sex="F", birthplace="53130")
    assert compare(full, full).grade == "certain"
    assert compare(strict_only(full), full).grade == "certain"
    assert compare(full, full).reasons == ["mêmes cinq traits"]


def test_supporting_evidence_lifts_a_date_error_to_review_not_further():
    other_date = date(1962, 11, 28)
    alone = compare(strict_only(_with(birth_date=other_date)), strict_only(BASE))
    assert alone.grade != "probable" and "dates de naissance incompatibles" in alone.reasons
    supported = compare(_with(birth_date=other_date), BASE)
    assert supported.grade == "probable"
    assert supported.parts["identifier"] > 0 and supported.parts["address"] > 0
    # the same home and phone without the local number do not: a father and his son of the
    # same names live there too
    household = compare(_with(birth_date=other_date, identifiers=()), BASE)
    assert household.grade == "possible"
    assert "dates de naissance incompatibles" in household.reasons


def test_twins_at_one_address_stay_in_review():
    twin = _with(given_names="APOLLINE", identifiers=(f"{IPP}|7712346",))
    m = compare(twin, BASE)
    assert m.grade == "possible" and "prénoms différents (jumeaux ?)" in m.reasons
    # consecutive local numbers, as twins registered together get, do not lift the veto
    assert m.levels["identifier"] == "digit"
    # the very same local number of the same system does (supporting evidence: probable)
    same_number = compare(_with(given_names="APOLLINE"), BASE)
    assert same_number.grade == "probable"


def test_a_missing_trait_weighs_nothing():
    m = compare(_with(address="", phone=""), BASE)
    assert "address" not in m.parts and "phone" not in m.parts
    assert set(m.parts) <= set(LEVELS)
    assert levels(_with(address=""), BASE)["address"][0] is None


def test_local_numbers_compare_within_their_system_only():
    other_system = _with(identifiers=("urn:oid:1.2.250.1.999.2.1|7712345",))
    assert levels(other_system, BASE)["identifier"][0] is None
    assert levels(BASE, BASE)["identifier"][0] == "exact"


def test_phone_numbers_in_any_french_form_agree():
    assert levels(_with(phone="+33 6 12 34 56 78"), BASE)["phone"][0] == "exact"
    assert levels(_with(phone="0033612345678"), BASE)["phone"][0] == "exact"
    assert levels(_with(phone="0612345679"), BASE)["phone"][0] == "other"


def test_supporting_traits_are_the_declared_ones():
    assert set(SUPPORTING) == {"address", "postcode", "town", "phone", "identifier"}
    assert strict_only(BASE) == Identity(
        birth_name="VERNIER", given_names="CLEMENCE", birth_date=date(1962, 7, 18)
    )
