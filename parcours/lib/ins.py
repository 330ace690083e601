"""INS matricule (NIR / NIA) checks, after the rules in docs/standards.md.

The key check is python-stdnum's ``stdnum.fr.nir``; on top of it we check that the NIR agrees
with the traits it encodes (sex, year and month of birth), as identitovigilance asks.

A NIA (numéro d'identification d'attente, given while a NIR is being certified) "est constitué
comme un NIR" (circulaire DSS/SD4C n° 2012-213 of 1 June 2012, as quoted by net-entreprises.fr):
same 13 characters and same 97-modulus key, its first digit 7 or 8 instead of 1 or 2. The same
check therefore applies to both.
"""

from datetime import date

from django.utils.translation import gettext as _
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.fr import nir as stdnum_nir


class InsError(ValueError):
    """A NIR that is malformed or does not match the patient's traits (French message)."""


def normalise_nir(value: str) -> str:
    return "".join(value.split()).upper()


def check_nir(value: str, *, sex: str | None = None, birth_date: date | None = None) -> str:
    """Return the normalised 15-character NIR, or raise InsError with a French message."""
    nir = normalise_nir(value)
    if len(nir) != 15:
        raise InsError(_("Le matricule INS doit comporter 15 caractères (13 + clé de 2 chiffres)."))
    try:
        stdnum_nir.validate(nir)
    except InvalidChecksum as exc:
        raise InsError(_("La clé du matricule INS est incorrecte.")) from exc
    except ValidationError as exc:
        raise InsError(_("Le matricule INS n'est pas valide.")) from exc
    # First digit: 1 man, 2 woman; 3/4 and 7/8 are temporary numbers (NIA) for the same sexes.
    sex_digit = nir[0]
    if sex in {"M", "F"}:
        expected = {"M": "137", "F": "248"}[sex]
        if sex_digit not in expected:
            raise InsError(_("Le matricule INS ne correspond pas au sexe du patient."))
    if birth_date is not None:
        if nir[1:3] != f"{birth_date.year % 100:02d}":
            raise InsError(_("Le matricule INS ne correspond pas à l'année de naissance."))
        month = int(nir[3:5])
        # 20–42 and 50–99 encode an unknown month: nothing to compare.
        if 1 <= month <= 12 and month != birth_date.month:
            raise InsError(_("Le matricule INS ne correspond pas au mois de naissance."))
    return nir


# FR Core identifier systems of the INS matricule (docs/standards.md).
INS_NIR_SYSTEM = "urn:oid:1.2.250.1.213.1.4.8"
INS_NIA_SYSTEM = "urn:oid:1.2.250.1.213.1.4.9"


def ins_kind(nir: str, system: str = "") -> str:
    """NIR or NIA: a NIA (numéro d'identification d'attente, first digit 7 or 8, or sent with
    the INS-NIA system) is temporary and cannot make a qualified identity."""
    if not nir:
        return ""
    if system == INS_NIA_SYSTEM or nir[:1] in {"7", "8"}:
        return "NIA"
    return "NIR"
