"""Lab file parsers: the samples, the refusals with a line and a reason, and properties
(hypothesis): valid files parse back to what was written, and no input raises anything but
LabParseError."""

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parcours.lib.encodings import decode_french, french_score, normalise_declared
from parcours.lib.labs import LabParseError, decode, parse_file, parse_text
from parcours.lib.labs.dates import parse_date
from parcours.lib.labs.hl7v2 import unescape
from parcours.lib.labs.values import comparator_value, hl7_flag, parse_range

CORPUS = Path(__file__).parent / "lab_corpus"  # the shared samples, copied in
FIXTURES = Path(__file__).parent / "fixtures"


def _sample(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def test_hprim_net_sample_latin1_crlf():
    fmt, (report,) = parse_file(_sample("hprim_net_sample.hpm"))
    assert fmt == "hprim_net"
    assert (report.patient.family, report.patient.given, report.patient.sex) == (
        "DUPRÉ",
        "Hélène",
        "F",
    )
    assert report.patient.birth_date == date(1958, 3, 14)
    assert report.prescriber_code == "GP0000042" and report.lab_code == "LABO53"
    potassium = next(r for r in report.results if r.code == "K")
    assert (potassium.value, potassium.unit, potassium.low, potassium.high, potassium.flag) == (
        "6.1",
        "mmol/L",
        "3.5",
        "5.0",
        "HH",
    )
    assert potassium.abnormal and report.abnormal_count == 3
    creatinine = next(r for r in report.results if r.code == "CREA")
    assert "mg/dL" in creatinine.comment  # the second unit is kept


def test_hprim_sante_sample_with_continuation():
    fmt, (report,) = parse_file(_sample("hprim_sante_sample.hpr"))
    assert fmt == "hprim_sante"
    assert (report.patient.family, report.patient.given, report.patient.sex) == (
        "DURAND",
        "PAUL",
        "M",
    )
    platelets = report.results[1]
    assert (platelets.label, platelets.value, platelets.low, platelets.high, platelets.flag) == (
        "Plaquettes",
        "98",
        "150",
        "400",
        "L",
    )
    assert "Résultat confirmé." in platelets.comment  # the A record continues the C record


def test_hprim_sante_other_separator_order_and_two_patients():
    text = (
        "H|\\^&~|||LAB2^Autre labo|||ORU|||DR1^Dr Test||P|H2.2|20261121\r\n"
        "P|1||X1||BLANC^ANNE||19800101|F\r\n"
        "OBX|1|NM|GLY^Glycémie||1.32|g/L|0.70-1.10|H|||F|||202611210900\r\n"
        "P|2||X2||NOIR^LUC||19700202|M\r\n"
        "OBX|1|NM|GLY^Glycémie||0.95|g/L|0.70-1.10||||F|||202611210900\r\n"
        "L|1|N|4\r\n"
    )
    fmt, reports = parse_text(text)
    assert [r.patient.family for r in reports] == ["BLANC", "NOIR"]
    assert reports[0].results[0].abnormal and not reports[1].results[0].abnormal


def test_hl7_oru_r01():
    fmt, (report,) = parse_file((FIXTURES / "oru_r01.hl7").read_bytes())
    assert fmt == "hl7v2"
    assert (report.patient.family, report.patient.given, report.patient.sex) == (
        "MOREAU",
        "CLAIRE",
        "F",
    )
    assert report.prescriber_code == "GP0000042" and "MARTIN" in report.prescriber_name
    k = report.results[0]
    assert (k.code, k.code_system, k.value, k.low, k.high, k.flag) == (
        "2823-3",
        "LN",
        "5.8",
        "3.5",
        "5.0",
        "H",
    )
    assert "Hémolyse possible" in k.comment
    assert report.results[2].value == "Négatif"


@pytest.mark.parametrize(
    "text, line, reason",
    [
        ("", 0, "vide"),
        ("bonjour\n", 0, "format non reconnu"),
        ("H|~^\\&|||L\nOBX|1|NM|A~B||1\n", 2, "avant le patient"),
        ("H|~^\\&|||L\nP|1||X||NOM~P||19800101|F\nOBX|1|NM|A~B||1|u|1-2|ZZ\n", 3, "indicateur"),
        ("H|~^\\&|||L\nP|1||X||NOM~P||19801301|F\nOBX|1|NM|A~B||1\n", 2, "date de naissance"),
        ("MSH|^~\\&|A|B|||||ORU^R01\nOBX|1|NM|X||1\n", 2, "avant le patient (PID)"),
        ("MSH|^~\\&|A|B\nOBX|1|NM|X||1\n", 1, "type de message absent"),
    ],
)
def test_malformed_files_are_refused_with_line_and_reason(text, line, reason):
    with pytest.raises(LabParseError) as caught:
        parse_text(text)
    assert caught.value.line == line and reason in caught.value.reason


def test_hprim_net_unclosed_lab_block_is_refused():
    header = "\n".join(
        [
            "1",
            "NOM",
            "PRENOM",
            "",
            "",
            "53000 LAVAL",
            "01/01/1980",
            "180015313012345",
            "F1",
            "21/11/2026",
            "LAB",
            "GP",
        ]
    )
    with pytest.raises(LabParseError, match="non terminé"):
        parse_text(header + "\n****LAB****\nRES|Glucose|GLU|N|1|g/L|0.7|1.1|N|F|\n")


def test_encodings_utf16_utf8_latin1_give_the_same_text():
    text = "DUPRÉ Hélène µmol/L"
    for data in (
        text.encode("utf-16"),
        text.encode("utf-8"),
        text.encode("latin-1"),
        ("\ufeff" + text).encode("utf-8"),
    ):
        assert decode(data) == text


# --- properties ---------------------------------------------------------------------------

names = (
    st.text(alphabet=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZÉÈÇ -'"), min_size=1, max_size=20)
    .map(str.strip)
    .filter(bool)
)
values = st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False).map(str)
flags = st.sampled_from(["", "N", "L", "H", "LL", "HH"])


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    family=names,
    given_name=names,
    born=st.dates(date(1900, 1, 1), date(2025, 12, 31)),
    results=st.lists(st.tuples(names, values, flags), min_size=1, max_size=8),
    encoding=st.sampled_from(["latin-1", "utf-8", "utf-16"]),
    newline=st.sampled_from(["\r\n", "\n"]),
)
def test_hprim_net_round_trip(family, given_name, born, results, encoding, newline):
    lines = [
        "42",
        family,
        given_name,
        "",
        "",
        "53000LAVAL",
        born.strftime("%d/%m/%Y"),
        "",
        "F1",
        "21/11/2026",
        "LAB53     Labo",
        "GP1       Dr X",
        "",
        "****LAB****",
    ]
    for label, value, flag in results:
        lines.append(f"RES|{label}|C|N|{value}|g/L|1|2|{flag}|F|||||")
    lines += ["****FIN****", "****FINFICHIER****"]
    fmt, (report,) = parse_file(newline.join(lines).encode(encoding))
    assert (report.patient.family, report.patient.given) == (family, given_name)
    assert report.patient.birth_date == born
    assert [(r.label, r.value, r.flag) for r in report.results] == [
        (label, value, flag) for label, value, flag in results
    ]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash_the_parser(data):
    try:
        parse_file(data)
    except LabParseError:
        pass


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.sampled_from(
        [
            "MSH|^~\\&|",
            "H|~^\\&|",
            "H|\\^&~|",
            "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
            "MSH|^~\\&|A|B|||||ORU^R01\rPID|1||1||N^P\r",
            "FHS|^~\\&|\r",
            "\x0bMSH|^~\\&|A|B|||||ORU^R01\r",
        ]
    ),
    rest=st.text(
        alphabet=st.sampled_from("|^~\\&\r\nPOBXCAL0123456789 .-/*RESTLABSNIDM\x0b\x1c<>=+:_é"),
        max_size=400,
    ),
)
def test_plausible_garbage_never_crashes_the_parser(prefix, rest):
    try:
        parse_text(prefix + rest)
    except LabParseError:
        pass


# --- several patients in one file: results never cross (issue 12, kind 1) ------------------

patient_names = st.text(
    alphabet=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZÉÈ"), min_size=2, max_size=12
)
patients = st.lists(
    st.tuples(
        patient_names,
        patient_names,
        st.dates(date(1920, 1, 1), date(2024, 12, 31)),
        st.lists(
            st.tuples(
                st.sampled_from(["K", "NA", "GLU", "HB", "CREA"]),
                values,
                st.sampled_from(["", "N", "L", "H", "LL", "HH"]),
            ),
            min_size=1,
            max_size=5,
        ),
    ),
    min_size=1,
    max_size=6,
)


def _hprim_net_file(people, newline: str, wrapper: str) -> str:
    lines = []
    for i, (family, first, born, results) in enumerate(people):
        lines += [
            f"P{i}",
            family,
            first,
            "",
            "",
            "53000 LAVAL",
            born.strftime("%d/%m/%Y"),
            "",
            f"D{i}",
            "22/11/2026",
            "LAB53     Labo",
            "GP1       Dr X",
            "",
            "****LAB****",
        ]
        lines += [f"RES|{code}|{code}|N|{value}|u|1|2|{flag}|F" for code, value, flag in results]
        lines += ["****FIN****", *([""] if wrapper == "blank lines" else [])]
    return newline.join([*lines, "****FINFICHIER****"])


def _hprim_sante_file(people, newline: str, wrapper: str) -> str:
    head = "H|~^\\&|||LAB~Labo||ORU|||GP1~Dr X||P|H2.2~C|202611221030"
    lines = [head]
    for i, (family, first, born, results) in enumerate(people):
        if i and wrapper == "one message each":
            lines += ["L|1", head]
        lines.append(f"P|{i + 1}||P{i}||{family}~{first}||{born:%Y%m%d}|F")
        lines += [
            f"OBX|{k}|NM|{code}~{code}||{value}|u|1-2|{flag}|||F"
            for k, (code, value, flag) in enumerate(results, start=1)
        ]
    return newline.join([*lines, "L|1"])


def _hl7_file(people, newline: str, wrapper: str) -> str:
    msh = "MSH|^~\\&|LAB|LAB53|PARCOURS|GP|20261122103000||ORU^R01|M1|P|2.5"
    messages = [[msh]]
    for i, (family, first, born, results) in enumerate(people):
        if i and wrapper in ("one message each", "mllp", "batch"):
            messages.append([msh])
        messages[-1] += [
            f"PID|{i + 1}||P{i}^^^LAB53^PI||{family}^{first}||{born:%Y%m%d}|F",
            f"OBR|1|O{i}|R{i}|BIL^Bilan^L|||20261122080000",
        ]
        messages[-1] += [
            f"OBX|{k}|NM|{code}^{code}^L||{value}|u|1-2|{flag}|||F"
            for k, (code, value, flag) in enumerate(results, start=1)
        ]
    if wrapper == "mllp":
        return "".join(f"\x0b{chr(13).join(m)}\x1c\r" for m in messages)
    text = newline.join(newline.join(m) for m in messages)
    if wrapper == "batch":
        text = newline.join(["FHS|^~\\&|LAB", "BHS|^~\\&|LAB", text, "BTS|1", "FTS|1"])
    return text


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    people=patients,
    build=st.sampled_from([_hprim_net_file, _hprim_sante_file, _hl7_file]),
    newline=st.sampled_from(["\r\n", "\n", "\r"]),
    wrapper=st.sampled_from(["", "blank lines", "one message each", "mllp", "batch"]),
)
def test_a_file_of_n_patients_gives_n_reports_whose_results_stay_with_theirs(
    people, build, newline, wrapper
):
    fmt, reports = parse_text(build(people, newline, wrapper))
    assert len(reports) == len(people)
    for i, (report, (family, first, born, results)) in enumerate(zip(reports, people, strict=True)):
        assert (report.patient.family, report.patient.given) == (family, first)
        assert report.patient.birth_date == born
        assert report.patient.local_id == f"P{i}"
        assert [(r.code, r.value, r.flag) for r in report.results] == results


# --- encodings (kind 5) ----------------------------------------------------------------------

FRENCH = [
    "Hélène DUPRÉ",
    "CŒURDELION l’hôpital",
    "cœur",
    "Créatinine µmol/L",
    "déjà vu à l'hôpital",
    "Lætitia Ève",
    "François Noël",
    "«Négatif» 38,5 °C",
]


@pytest.mark.parametrize("text", FRENCH)
@pytest.mark.parametrize("codec", ["utf-8", "cp1252", "latin-1", "iso8859-15", "cp850"])
def test_french_text_in_any_french_code_page_decodes_without_mojibake(text, codec):
    try:
        data = text.encode(codec)
    except UnicodeEncodeError:
        pytest.skip(f"{codec} cannot write {text!r}")
    assert decode_french(data)[0] == text


def test_declared_charset_is_honoured_unless_it_reads_as_mojibake():
    assert decode_french("é".encode("latin-1") * 3, "8859/1") == ("ééé", "latin-1")
    # Latin-9 declared: 0xBD is œ (Latin-1 would say ½).
    assert decode_french(b"c\xbdur", "8859/15") == ("cœur", "iso8859-15")
    # Declared Latin-1 but written in UTF-8 or Windows-1252: read as what it is.
    assert decode_french("Hélène".encode(), "8859/1") == ("Hélène", "utf-8")
    assert decode_french("l’œil".encode("cp1252"), "8859/1") == ("l’œil", "cp1252")
    assert normalise_declared("UNICODE UTF-8") == "utf-8" and normalise_declared("??") == ""
    assert french_score("Ã©tÃ©") < 0 < french_score("été")


def test_every_report_says_its_encoding():
    for data, codec in (
        (
            "MSH|^~\\&|A|B|||||ORU^R01\rPID|1||1||NOM^É\rOBX|1|ST|X^X||Négatif".encode("cp850"),
            "cp850",
        ),
    ):
        assert parse_file(data)[1][0].encoding == codec


# --- values, ranges, flags, escapes (kinds 3 and 4) -----------------------------------------


@pytest.mark.parametrize(
    "text, low, high",
    [
        ("3.5-5.0", "3.5", "5.0"),
        ("-2.0--1.0", "-2.0", "-1.0"),
        ("-2 - 2", "-2", "2"),
        ("3.5_5.0", "3.5", "5.0"),
        ("135 145", "135", "145"),
        ("3,9-5,8", "3.9", "5.8"),
        ("<5", "", "5"),
        ("< 5", "", "5"),
        ("<=0.5", "", "0.5"),
        (">60", "60", ""),
        ("≥ 60", "60", ""),
        ("[10 - 20]", "10", "20"),
        ("négatif", "", ""),
        ("", "", ""),
        ("3.5-5.0 mmol/L", "3.5", "5.0"),
        ("(150;400)", "150", "400"),
        ("<5 mg/L", "", "5"),
        ("150 à 400", "150", "400"),
        ("2-4 ans", "2", "4"),
    ],
)
def test_reference_ranges(text, low, high):
    assert parse_range(text) == (low, high)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("<5", ("<", "5")),
        ("< 5", ("<", "5")),
        ("<=0,5", ("<=", "0.5")),
        ("≥90", (">=", "90")),
        ("5,2", ("", "5.2")),
        ("-3.1", ("", "-3.1")),
        ("Négatif", ("", "")),
    ],
)
def test_values_with_comparators(text, expected):
    assert comparator_value(text) == expected


def test_hl7_flags_in_the_model_letters():
    assert [hl7_flag(f) for f in ("HH", "ll", "S", "R", "U", "NEG", "POS", "ZZ", "")] == [
        "HH",
        "LL",
        "N",
        "A",
        "",
        "N",
        "A",
        "A",
        "",
    ]


def test_hl7_escapes_and_formatting():
    assert unescape("a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f") == "a|b^c&d~e\\f"
    assert unescape("1\\.br\\2\\.sp 2\\3\\.in +4\\4\\H\\5\\N\\") == "1\n2\n\n34" + "5"
    assert unescape("\\XC3A9\\t\\XE9\\") == "été"
    assert unescape("cut \\") == "cut "


def test_several_reports_each_start_where_their_patient_starts():
    _fmt, reports = parse_file(_sample("03-hprimnet-two-reports.hpm"))
    assert [r.first_line for r in reports] == [1, 17]


def test_repeated_obx8_flags_keep_the_most_serious_and_short_msh2_is_read():
    _fmt, (report,) = parse_text(
        "MSH|^~\\|A|B|||||ORU^R01\rPID|1||1||NOM^P\r"
        "OBX|1|NM|K^K||6.5|||D~HH|||F\r"
        "OBX|2|ST|C^C||Négatif^||||||F"
    )
    assert [(r.flag, r.value) for r in report.results] == [("HH", "6.5"), ("", "Négatif")]
    assert report.critical_count == 1


def test_an_hprim_net_first_line_starting_with_h_is_not_taken_for_hprim_sante():
    header = [
        "H-1234",
        "NOM",
        "PRENOM",
        "",
        "",
        "53000 LAVAL",
        "01/01/1980",
        "",
        "F1",
        "21/11/2026",
        "LAB",
        "GP",
    ]
    fmt, (report,) = parse_text("\n".join([*header, "Texte.", "****FIN****"]))
    assert fmt == "hprim_net" and report.patient.local_id == "H-1234"


def test_a_test_ins_oid_is_not_taken_for_an_ins_and_the_oid_beats_the_namespace():
    msh = "MSH|^~\\&|A|B|||||ORU^R01\r"
    pid = (
        "PID|1||L1^^^LAB^PI~185075314712321^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO"
        "^INS||NOM^P||19850703|M\r"
    )
    _fmt, (report,) = parse_text(msh + pid + "OBX|1|NM|K^K||4.0|||N|||F")
    assert (report.patient.nir, report.patient.ins_kind, report.patient.local_id) == ("", "", "L1")
    nia_oid = pid.replace("1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.9")
    _fmt, (report,) = parse_text(msh + nia_oid + "OBX|1|NM|K^K||4.0|||N|||F")
    assert (report.patient.nir, report.patient.ins_kind) == ("185075314712321", "NIA")


def test_hprim_sante_declared_charset_is_honoured():
    text = (
        "H|~^\\&|||LAB~Labo||ORU|||GP~Dr||P|H2.2~C|202611221030|8859/15\r\n"
        "P|1||X||DÉSIRÉ~ANNE||19800101|F\r\nOBX|1|NM|K~K||4.0|||N|||F\r\nL|1\r\n"
    )
    _fmt, (report,) = parse_file(text.encode("iso8859-15"))
    # Undeclared, the same bytes would be reported as Latin-1 (the tie-break).
    assert (report.patient.family, report.encoding) == ("DÉSIRÉ", "iso8859-15")
    undeclared = text.replace("|8859/15", "")
    assert parse_file(undeclared.encode("iso8859-15"))[1][0].encoding == "latin-1"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("14/03/1958", date(1958, 3, 14)),
        ("14.03.1958", date(1958, 3, 14)),
        ("14-03-1958", date(1958, 3, 14)),
        ("14031958", date(1958, 3, 14)),
        ("19580314", date(1958, 3, 14)),
        ("1958-03-14", date(1958, 3, 14)),
        ("14/03/58", date(1958, 3, 14)),
        (" 21/11/2026 10:30", date(2026, 11, 21)),
        ("19800101000000+0100", date(1980, 1, 1)),
    ],
)
def test_dates_as_senders_write_them(text, expected):
    assert parse_date(text, 1, "date") == expected


@pytest.mark.parametrize("text", ["14/13/1958", "abc", "99999999", "1/2", "2026-02-30"])
def test_impossible_dates_are_refused(text):
    with pytest.raises(LabParseError, match="date invalide"):
        parse_date(text, 3, "date")


def test_an_encapsulated_pdf_is_noted_not_taken_for_a_value():
    _fmt, (report,) = parse_text(
        "MSH|^~\\&|A|B|||||ORU^R01\rPID|1||1||NOM^P\r"
        "OBX|1|NM|K^K||4.0|||N|||F\r"
        "OBX|2|ED|PDF^Compte rendu||^AP^PDF^Base64^JVBERi0xLjQK||||||F"
    )
    assert [r.code for r in report.results] == ["K"]
    assert "document joint non importé : PDF" in report.text


def test_hprim_sante_billing_and_attachment_records_are_skipped():
    _fmt, (report,) = parse_text(
        "H|~^\\&|||LAB~Labo||ORU|||GP~Dr||P|H2.4~C|202611221030\n"
        "P|1||X||NOM~ANNE||19800101|F\nOBX|1|NM|K~K||4.0|||N|||F\n"
        "AP|1|CR.pdf|PDF\nFAC|1|2026\nL|1\n"
    )
    assert [r.value for r in report.results] == ["4.0"]


def test_hprim_net_blank_line_between_reports_never_shifts_the_header():
    def header(number, family, town=""):
        return [
            number,
            family,
            "ANNE",
            "",
            "",
            town,
            "01/01/1980",
            "",
            "F",
            "21/11/2026",
            "LAB",
            "GP",
        ]

    # Second report: a blank line before it and an empty postcode line (which a shifted
    # reading would take for an empty birth date).
    lines = [
        *header("1", "PREMIER"),
        "****LAB****",
        "RES|K|K|N|4.0|u|1|2|N|F",
        "****FIN****",
        "",
        *header("2", "SECOND"),
        "****LAB****",
        "RES|K|K|N|6.4|u|1|2|HH|F",
        "****FIN****",
        *header("", "TROISIEME", "53000 LAVAL"),
        "Texte seul.",
        "****FIN****",
    ]
    _fmt, reports = parse_text("\n".join(lines))
    assert [(r.patient.local_id, r.patient.family) for r in reports] == [
        ("1", "PREMIER"),
        ("2", "SECOND"),
        ("", "TROISIEME"),
    ]
    assert [r.value for r in reports[1].results] == ["6.4"]


def test_hprim_net_line_without_value_is_kept_only_with_status_x_or_i():
    header = ["1", "NOM", "ANNE", "", "", "", "01/01/1980", "", "F", "21/11/2026", "LAB", "GP"]
    _fmt, (report,) = parse_text(
        "\n".join([*header, "****LAB****", "RES|HbA1c|A1C|N||%|4|6||X", "****FIN****"])
    )
    assert (report.results[0].value, report.results[0].status) == (
        "résultat impossible à obtenir",
        "X",
    )
    with pytest.raises(LabParseError, match="« HbA1c » incomplet") as caught:
        parse_text("\n".join([*header, "****LAB****", "RES|HbA1c|A1C|N||%|4|6||F", "****FIN****"]))
    assert caught.value.line == 14


@pytest.mark.parametrize(
    "msh9, accepted",
    [
        ("ORU^R01", True),
        ("ORU^R01^ORU_R01", True),
        ("ORU", True),
        ("ORU_R01", True),
        ("ORU^R30", True),
        ("ORU^R32", True),
        ("ORU^R02", False),
        ("OUL^R22", False),
        ("ORM^O01", False),
        ("ACK^R01", False),
        ("MDM^T02", False),
    ],
)
def test_only_result_messages_are_accepted(msh9, accepted):
    text = f"MSH|^~\\&|A|B|||||{msh9}\rPID|1||1||NOM^P\rOBX|1|NM|K^K||4.0|||N|||F"
    if accepted:
        assert parse_text(text)[1][0].results[0].value == "4.0"
    else:
        with pytest.raises(LabParseError, match="refusé") as caught:
            parse_text(text)
        assert caught.value.line == 1


# --- HPRIM Net: a report without its end marker must not swallow the next patient -----------


def _hprim_net_lines(name: str) -> list[bytes]:
    return (CORPUS / name).read_bytes().replace(b"\r\n", b"\r").split(b"\r")


def test_hprim_net_text_report_without_fin_before_another_patient_is_refused():
    """A first report with neither ****LAB**** nor ****FIN**** followed by a second one read
    as one report: the second patient's critical potassium (6.4 HH) landed on the first."""
    lines = _hprim_net_lines("03-hprimnet-two-reports.hpm")
    first_lab, first_fin = lines.index(b"****LAB****"), lines.index(b"****FIN****")
    data = b"\r\n".join(x for k, x in enumerate(lines) if k not in (first_lab, first_fin))
    with pytest.raises(LabParseError) as exc:
        parse_file(data)
    assert exc.value.line == 15 and "nouveau patient" in exc.value.reason


def test_hprim_net_two_text_only_reports_without_markers_are_refused():
    one = _hprim_net_lines("24-hprimnet-text-only-no-marker-cr.hpm")
    while one and not one[-1].strip():
        one.pop()
    two = list(one)
    two[0:3] = [b"0000200099", b"AUTRENOM", b"PAUL"]
    two[6:8] = [b"29/06/1975", b"175062912345675"]
    with pytest.raises(LabParseError) as exc:
        parse_file(b"\r".join(one + two) + b"\r")
    assert exc.value.line == len(one) + 1


def test_hprim_net_text_with_dates_alone_is_not_taken_for_a_header():
    """Narrative text may hold dates on their own lines: only the full header shape refuses."""
    lines = _hprim_net_lines("24-hprimnet-text-only-no-marker-cr.hpm")
    body = [
        b"Examens successifs :",
        b"12/10/2026",
        b"normal",
        b"",
        b"",
        b"",
        b"19/10/2026",
        b"",
        b"",
        b"26/10/2026",
        b"stable",
        b"Fin.",
    ]
    fmt, reports = parse_file(b"\r".join(lines[:12] + body) + b"\r")
    assert fmt == "hprim_net" and len(reports) == 1 and "26/10/2026" in reports[0].text
