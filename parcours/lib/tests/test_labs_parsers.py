"""Lab file parsers: the samples, the refusals with a line and a reason, and properties
(hypothesis): valid files parse back to what was written, and no input raises anything but
LabParseError."""

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parcours.lib.labs import LabParseError, decode, parse_file, parse_text

DATA = Path(__file__).resolve().parents[4] / "shared" / "data"
FIXTURES = Path(__file__).parent / "fixtures"


def _sample(name: str) -> bytes:
    path = DATA / name
    if not path.exists():  # the shared samples live beside the project checkout
        pytest.skip(f"{path} absent")
    return path.read_bytes()


def test_hprim_net_sample_latin1_crlf():
    fmt, (report,) = parse_file(_sample("hprim_net_sample.hpm"))
    assert fmt == "hprim_net"
    assert (report.patient.family, report.patient.given, report.patient.sex) == (
        "DUPRÉ", "Hélène", "F")
    assert report.patient.birth_date == date(1958, 3, 14)
    assert report.prescriber_code == "GP0000042" and report.lab_code == "LABO53"
    potassium = next(r for r in report.results if r.code == "K")
    assert (potassium.value, potassium.unit, potassium.low, potassium.high, potassium.flag) == (
        "6.1", "mmol/L", "3.5", "5.0", "HH")
    assert potassium.abnormal and report.abnormal_count == 3
    creatinine = next(r for r in report.results if r.code == "CREA")
    assert "mg/dL" in creatinine.comment  # the second unit is kept


def test_hprim_sante_sample_with_continuation():
    fmt, (report,) = parse_file(_sample("hprim_sante_sample.hpr"))
    assert fmt == "hprim_sante"
    assert (report.patient.family, report.patient.given, report.patient.sex) == (
        "DURAND", "PAUL", "M")
    platelets = report.results[1]
    assert (platelets.label, platelets.value, platelets.low, platelets.high, platelets.flag) == (
        "Plaquettes", "98", "150", "400", "L")
    assert "Résultat confirmé." in platelets.comment  # the A record continues the C record


def test_hprim_sante_other_separator_order_and_two_patients():
    text = ("H|\\^&~|||LAB2^Autre labo|||ORU|||DR1^Dr Test||P|H2.2|20261121\r\n"
            "P|1||X1||BLANC^ANNE||19800101|F\r\n"
            "OBX|1|NM|GLY^Glycémie||1.32|g/L|0.70-1.10|H|||F|||202611210900\r\n"
            "P|2||X2||NOIR^LUC||19700202|M\r\n"
            "OBX|1|NM|GLY^Glycémie||0.95|g/L|0.70-1.10||||F|||202611210900\r\n"
            "L|1|N|4\r\n")
    fmt, reports = parse_text(text)
    assert [r.patient.family for r in reports] == ["BLANC", "NOIR"]
    assert reports[0].results[0].abnormal and not reports[1].results[0].abnormal


def test_hl7_oru_r01():
    fmt, (report,) = parse_file((FIXTURES / "oru_r01.hl7").read_bytes())
    assert fmt == "hl7v2"
    assert (report.patient.family, report.patient.given, report.patient.sex) == (
        "MOREAU", "CLAIRE", "F")
    assert report.prescriber_code == "GP0000042" and "MARTIN" in report.prescriber_name
    k = report.results[0]
    assert (k.code, k.code_system, k.value, k.low, k.high, k.flag) == (
        "2823-3", "LN", "5.8", "3.5", "5.0", "H")
    assert "Hémolyse possible" in k.comment
    assert report.results[2].value == "Négatif"


@pytest.mark.parametrize("text, line, reason", [
    ("", 0, "vide"),
    ("bonjour\n", 0, "format non reconnu"),
    ("H|~^\\&|||L\nOBX|1|NM|A~B||1\n", 2, "avant le patient"),
    ("H|~^\\&|||L\nP|1||X||NOM~P||19800101|F\nOBX|1|NM|A~B||1|u|1-2|ZZ\n", 3, "indicateur"),
    ("H|~^\\&|||L\nP|1||X||NOM~P||19801301|F\nOBX|1|NM|A~B||1\n", 2, "date de naissance"),
    ("MSH|^~\\&|A|B|||||ORU^R01\nOBX|1|NM|X||1\n", 2, "avant le patient (PID)"),
    ("MSH|^~\\&|A|B\nOBX|1|NM|X||1\n", 1, "type de message absent"),
])
def test_malformed_files_are_refused_with_line_and_reason(text, line, reason):
    with pytest.raises(LabParseError) as caught:
        parse_text(text)
    assert caught.value.line == line and reason in caught.value.reason


def test_hprim_net_unclosed_lab_block_is_refused():
    header = "\n".join(["1", "NOM", "PRENOM", "", "", "53000 LAVAL", "01/01/1980",
                        "180015313012345", "F1", "21/11/2026", "LAB", "GP"])
    with pytest.raises(LabParseError, match="non terminé"):
        parse_text(header + "\n****LAB****\nRES|Glucose|GLU|N|1|g/L|0.7|1.1|N|F|\n")


def test_encodings_utf16_utf8_latin1_give_the_same_text():
    text = "DUPRÉ Hélène µmol/L"
    for data in (text.encode("utf-16"), text.encode("utf-8"), text.encode("latin-1"),
                 ("\ufeff" + text).encode("utf-8")):
        assert decode(data) == text


# --- properties ---------------------------------------------------------------------------

names = st.text(alphabet=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZÉÈÇ -'"), min_size=1,
                max_size=20).map(str.strip).filter(bool)
values = st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False).map(str)
flags = st.sampled_from(["", "N", "L", "H", "LL", "HH"])


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(family=names, given_name=names, born=st.dates(date(1900, 1, 1), date(2025, 12, 31)),
       results=st.lists(st.tuples(names, values, flags), min_size=1, max_size=8),
       encoding=st.sampled_from(["latin-1", "utf-8", "utf-16"]),
       newline=st.sampled_from(["\r\n", "\n"]))
def test_hprim_net_round_trip(family, given_name, born, results, encoding, newline):
    lines = ["42", family, given_name, "", "", "53000LAVAL", born.strftime("%d/%m/%Y"),
             "", "F1", "21/11/2026", "LAB53     Labo", "GP1       Dr X", "", "****LAB****"]
    for label, value, flag in results:
        lines.append(f"RES|{label}|C|N|{value}|g/L|1|2|{flag}|F|||||")
    lines += ["****FIN****", "****FINFICHIER****"]
    fmt, (report,) = parse_file(newline.join(lines).encode(encoding))
    assert (report.patient.family, report.patient.given) == (family, given_name)
    assert report.patient.birth_date == born
    assert [(r.label, r.value, r.flag) for r in report.results] == [
        (label, value, flag) for label, value, flag in results]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash_the_parser(data):
    try:
        parse_file(data)
    except LabParseError:
        pass


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=st.sampled_from(["MSH|^~\\&|", "H|~^\\&|", "H|\\^&~|", "1\n2\n3\n4\n5\n6\n7\n"
                                                                      "8\n9\n10\n11\n12\n"]),
       rest=st.text(alphabet=st.sampled_from("|^~\\&\r\nPOBXCAL0123456789 .-/*RESTLAB"),
                    max_size=400))
def test_plausible_garbage_never_crashes_the_parser(prefix, rest):
    try:
        parse_text(prefix + rest)
    except LabParseError:
        pass
