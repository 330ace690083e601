from datetime import date

import pytest

from parcours.lib.ins import InsError, check_nir


def _with_key(body: str) -> str:
    return body + f"{97 - int(body) % 97:02d}"


def test_valid_nir_matching_traits_is_accepted():
    nir = _with_key("2500453130001")
    assert check_nir(nir, sex="F", birth_date=date(1950, 4, 3)) == nir


def test_spaces_are_ignored():
    nir = _with_key("2500453130001")
    spaced = f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:10]} {nir[10:13]} {nir[13:]}"
    assert check_nir(spaced) == nir


def test_wrong_key_is_refused_in_french():
    nir = _with_key("2500453130001")
    bad = nir[:13] + f"{(int(nir[13:]) + 1) % 100:02d}"
    with pytest.raises(InsError, match="clé"):
        check_nir(bad)


def test_nir_of_the_other_sex_is_refused():
    with pytest.raises(InsError, match="sexe"):
        check_nir(_with_key("2500453130001"), sex="M")


def test_nir_of_another_birth_year_is_refused():
    with pytest.raises(InsError, match="année"):
        check_nir(_with_key("2500453130001"), birth_date=date(1951, 4, 3))


def test_corsican_birthplace_is_accepted():
    body = "185072A004123"
    key = 97 - int(body.replace("2A", "19")) % 97
    assert check_nir(f"{body}{key:02d}", sex="M", birth_date=date(1985, 7, 1))


def test_too_short_is_refused():
    with pytest.raises(InsError, match="15 caractères"):
        check_nir("1234")


def test_nia_is_checked_like_a_nir():
    # A NIA is built like a NIR (first digit 7 man / 8 woman) with the same key.
    nia = _with_key("8500453130001")
    assert check_nir(nia, sex="F", birth_date=date(1950, 4, 3)) == nia
    with pytest.raises(InsError, match="clé"):
        check_nir(nia[:13] + f"{(int(nia[13:]) + 1) % 100:02d}")
    with pytest.raises(InsError, match="sexe"):
        check_nir(nia, sex="M")
