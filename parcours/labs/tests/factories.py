"""Synthetic lab data for tests: NIRs with their key, parsed reports built by hand (the shape
``parcours.lib.labs.model`` defines)."""

from datetime import date

from parcours.lib.labs import LabPatient, LabReport, LabResult

PRESCRIBER_RPPS = "10000000042"  # synthetic RPPS of the GP persona ``gp``
OTHER_RPPS = "10000000043"  # synthetic RPPS of ``gp2``


def make_nir(sex: str, born: date, order: int = 1, place: str = "53130") -> str:
    """A synthetic NIR with its key (97 - number mod 97), consistent with sex and birth."""
    body = f"{1 if sex == 'M' else 2}{born.year % 100:02d}{born.month:02d}{place}{order:03d}"
    return body + f"{97 - int(body) % 97:02d}"


def report(
    family="DUPRE",
    given="HELENE",
    born=date(1958, 3, 14),
    sex="F",
    nir="",
    ins_kind="",
    prescriber=PRESCRIBER_RPPS,
    results=None,
    **extra,
) -> LabReport:
    """One parsed report (as a parser returns it)."""
    patient = LabPatient(
        family=family,
        given=given,
        birth_date=born,
        sex=sex,
        nir=nir,
        ins_kind=ins_kind,
        local_id=extra.pop("local_id", ""),
        used_name=extra.pop("used_name", ""),
        birth_given_names=extra.pop("birth_given_names", ""),
    )
    if results is None:
        results = [
            LabResult(
                label="Potassium",
                code="2823-3",
                code_system="LN",
                value="4.2",
                unit="mmol/L",
                low="3.5",
                high="5.0",
                flag="N",
                status="F",
            )
        ]
    return LabReport(
        format="hl7v2",
        patient=patient,
        results=results,
        lab_name="Labo fictif",
        prescriber_code=prescriber,
        report_date=date(2026, 11, 21),
        **extra,
    )
