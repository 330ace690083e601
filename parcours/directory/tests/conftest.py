from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
HEADER = (DATA / "annuaire_sample.txt").read_text(encoding="utf-8").splitlines()[0]


def row(
    national_id="810000000001",
    last="LEFÈVRE",
    first="HÉLÈNE",
    profession="Médecin",
    skill="Cardiologie et maladies vasculaires",
    structure="R1",
    org="CH DE TEST",
    postcode="53000",
    town="LAVAL",
    phone="0243000000",
    sector="Etablissement public de santé",
    mode=("S", "Salarié"),
):
    """One line of an extract in the 52-column layout (values in the columns we read)."""
    f = [""] * 52
    f[0], f[1], f[2] = national_id[0], national_id[1:], national_id
    f[3] = "DR" if profession == "Médecin" else ""
    f[7], f[8] = last, first
    f[9], f[10] = {"Médecin": "10", "Infirmier": "60"}.get(profession, "99"), profession
    f[15], f[16] = ("SM04" if skill else ""), skill
    f[17], f[18] = mode
    f[23], f[24] = structure, org
    f[28], f[31], f[32] = "12", "Rue", "DE LA PAIX"
    f[35], f[37], f[40] = postcode, town, phone
    f[49] = sector
    return "|".join(f) + "|"


@pytest.fixture
def extract(tmp_path):
    """Write an extract made of ``rows`` and return its path."""

    def write(rows, name="extract.txt", encoding="utf-8"):
        path = tmp_path / name
        path.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode(encoding))
        return path

    return write


@pytest.fixture(autouse=True)
def _fresh_specialty_cache():
    """The specialty list is cached (selectors.specialty_choices): each test starts without
    another test's list."""
    from django.core.cache import cache

    cache.delete("directory:specialties")
    yield
    cache.delete("directory:specialties")
