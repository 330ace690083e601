"""Observation ``value[x]`` follows the stored value (issue 12, kind 4): Quantity with its
comparator, CodeableConcept keeping the coding, Ratio, Range, string; coded interpretation
with the critical codes kept; reference ranges with negative bounds or as text."""

from pathlib import Path

import pytest

from parcours.fhir.labs import value_x
from parcours.labs.models import LabReport, LabResult
from parcours.labs.services import lab_import_file
from parcours.labs.tests.factories import PRESCRIBER_RPPS, report
from parcours.lib.labs import LabResult as Parsed

RESULTS = [
    Parsed(
        label="Créatinine",
        code="2160-0",
        code_system="LN",
        value="<5",
        unit="umol/L",
        low="45",
        high="90",
        flag="L",
        comparator="<",
        number="5",
        kind="SN",
    ),
    Parsed(
        label="Germe",
        code="625-4",
        code_system="LN",
        value="Campylobacter jejuni",
        value_code="66543000",
        value_code_system="SCT",
        kind="CWE",
    ),
    Parsed(
        label="Sérologie",
        code="X1",
        value="1:128",
        comparator="",
        number="1",
        separator=":",
        number2="128",
        kind="SN",
    ),
    Parsed(
        label="Plage",
        code="X2",
        value="10-20",
        number="10",
        separator="-",
        number2="20",
        unit="g/L",
        kind="SN",
    ),
    Parsed(
        label="Excès de base", code="X3", value="-3.1", unit="mmol/L", low="-2", high="+3", flag="L"
    ),
    Parsed(
        label="Potassium",
        code="2823-3",
        code_system="LN",
        value="6.4",
        unit="mmol/L",
        low="3.5",
        high="5.0",
        flag="HH",
    ),
    Parsed(label="Aspect", code="X4", value="Trouble", range_text="Limpide"),
    Parsed(
        label="DFG", code="33914-3", code_system="LN", value=">90", unit="mL/min", range_text=">60"
    ),
    Parsed(label="Protéines", code="X5", value="2+", number="2", separator="+", kind="SN"),
]


@pytest.fixture
def observations(territory, monkeypatch, api):
    territory.gp.rpps = PRESCRIBER_RPPS
    territory.gp.save(update_fields=["rpps"])
    monkeypatch.setattr(
        "parcours.labs.services.parse_file", lambda data: ("hl7v2", [report(results=RESULTS)])
    )
    lab_import_file(data=b"x", file_name="v.hl7")
    client = api(territory.gp)  # the prescriber named in the file
    return {r.label: client.get(f"Observation/{r.pk}").json_body for r in LabResult.objects.all()}


def test_each_kind_of_value_has_its_value_x(observations):
    o = observations
    assert o["Créatinine"]["valueQuantity"] == {"value": 5.0, "comparator": "<", "unit": "umol/L"}
    assert o["Germe"]["valueCodeableConcept"] == {
        "coding": [
            {
                "system": "http://snomed.info/sct",
                "code": "66543000",
                "display": "Campylobacter jejuni",
            }
        ],
        "text": "Campylobacter jejuni",
    }
    assert o["Sérologie"]["valueRatio"] == {
        "numerator": {"value": 1.0},
        "denominator": {"value": 128.0},
    }
    assert o["Plage"]["valueRange"] == {
        "low": {"value": 10.0, "unit": "g/L"},
        "high": {"value": 20.0, "unit": "g/L"},
    }
    assert o["Aspect"]["valueString"] == "Trouble"
    assert o["Protéines"]["valueString"] == "2+"
    # ">90" written in the value itself keeps its comparator.
    assert o["DFG"]["valueQuantity"] == {"value": 90.0, "comparator": ">", "unit": "mL/min"}
    for resource in o.values():
        assert sum(k.startswith("value") for k in resource) == 1


def test_interpretation_is_coded_and_critical_codes_are_kept(observations):
    k = observations["Potassium"]["interpretation"][0]
    assert k["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
        "code": "HH",
        "display": "Critical high",
    }
    assert k["text"] == "critique haut"
    assert "interpretation" not in observations["Aspect"]


def test_reference_ranges_numeric_with_negative_bounds_else_text(observations):
    assert observations["Excès de base"]["referenceRange"] == [
        {"low": {"value": -2.0, "unit": "mmol/L"}, "high": {"value": 3.0, "unit": "mmol/L"}}
    ]
    assert observations["Aspect"]["referenceRange"] == [{"text": "Limpide"}]
    assert observations["DFG"]["referenceRange"] == [{"text": ">60"}]


CORPUS = Path(__file__).resolve().parents[2] / "lib" / "tests" / "lab_corpus"


def _import(name: str):
    return lab_import_file(data=(CORPUS / name).read_bytes(), file_name=name)


def test_case_09_sn_values_keep_their_comparator(territory):
    _import("09-hl7-sn-value-raw.hl7")
    values = [value_x(r) for r in LabReport.objects.get().results.all()]
    assert values[0] == {"valueQuantity": {"value": 5.0, "comparator": "<", "unit": "umol/L"}}
    assert values[1]["valueQuantity"]["comparator"] == ">"
    assert values[2] == {"valueQuantity": {"value": 11.0, "unit": "s/co"}}


def test_case_08_coded_value_keeps_its_coding_and_shows_its_text(territory):
    _import("08-hl7-cwe-value-raw.hl7")
    (result,) = LabReport.objects.get().results.all()
    assert result.value == "Campylobacter jejuni"
    assert value_x(result)["valueCodeableConcept"]["coding"][0] == {
        "system": "http://snomed.info/sct",
        "code": "66543000",
        "display": "Campylobacter jejuni",
    }


@pytest.mark.parametrize(
    "who, total",
    [("gp", 9), ("gp2", 0), ("desk", 9), ("doctor", 0), ("cell", 9), ("admin", 0), ("nobody", 0)],
)
def test_observations_per_role_of_a_waiting_report(territory, monkeypatch, api, who, total):
    """The report waits for its patient: its prescriber and the reviewers (desk,
    identitovigilance cell) see it; nobody else — not the administrator —, and the uploader
    gains nothing."""
    territory.gp.rpps = PRESCRIBER_RPPS
    territory.gp.save(update_fields=["rpps"])
    monkeypatch.setattr(
        "parcours.labs.services.parse_file", lambda data: ("hl7v2", [report(results=RESULTS)])
    )
    lab_import_file(data=b"w", file_name="w.hl7", actor=territory.gp2, channel="upload")
    assert LabReport.objects.get().patient is None
    body = api(getattr(territory, who)).get("Observation").json_body
    assert body["total"] == total
