"""The lab corpus (``lab_corpus/``): every file with its right outcome (issue 12).

Files 01-20 are the shared cases (``shared/data/cases/``, README "cases/"); 21 and above are
invented files of the same kinds (identities invented). Each entry gives either the refusal
(line, words of the reason) or, per report, the expected patient, report and result values —
only the attributes named are compared.
"""

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from parcours.lib.labs import LabParseError, parse_file
from parcours.lib.labs.dates import PARIS

CORPUS = Path(__file__).parent / "lab_corpus"


def at(text: str) -> datetime:
    """'2026-11-22 10:00' in Paris time."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=PARIS)


def refused(line: int, words: str) -> dict:
    return {"refused": (line, words)}


def report(patient: dict, results: list[dict], **fields) -> dict:
    return {"patient": patient, "results": results, **fields}


EXPECTED: dict[str, object] = {
    # --- shared cases -------------------------------------------------------------------------
    "01-hprimnet-text-only-fin.hpm": (
        "hprim_net",
        [
            report(
                {"family": "TESTNOM", "given": "CLAIRE", "nir": "280017512345610", "sex": "F"},
                [],
                text_contains="I.G.E Totales                   164  UI/ml",
            )
        ],
    ),
    "03-hprimnet-two-reports.hpm": (
        "hprim_net",
        [
            report(
                {"family": "TESTNOM", "given": "CLAIRE", "birth_date": date(1980, 1, 1)},
                [{"code": "K", "value": "4.1", "flag": "N", "critical": False}],
                file_number="DOS-0001",
                first_line=1,
            ),
            report(
                {
                    "family": "AUTRENOM",
                    "given": "PAUL",
                    "birth_date": date(1975, 6, 29),
                    "nir": "175062912345675",
                },
                [{"code": "K", "value": "6.4", "flag": "HH", "critical": True}],
                file_number="DOS-0002",
                first_line=17,
            ),
        ],
    ),
    "05-hprimsante-real-H-layout-receiver.hpr": (
        "hprim_sante",
        [
            report(
                {"family": "TESTNOM", "given": "CLAIRE"},
                [
                    {
                        "code": "AU",
                        "label": "Acide urique",
                        "value": "316",
                        "unit": "µmol/L",
                        "low": "150",
                        "high": "420",
                        "at": at("2026-11-21 10:00"),
                    }
                ],
                prescriber_code="10000000042",
                prescriber_name="DR FICTIF",
                lab_code="LABO53",
            )
        ],
    ),
    "06-hl7-siu-not-oru.hl7": refused(1, "SIU^S14 refusé"),
    "07-hl7-obx14-leading-space.hl7": (
        "hl7v2",
        [report({"family": "TESTNOM"}, [{"value": "NEG", "at": at("1998-07-29 15:57")}])],
    ),
    "08-hl7-cwe-value-raw.hl7": (
        "hl7v2",
        [
            report(
                {"family": "TESTNOM"},
                [
                    {
                        "code": "625-4",
                        "code_system": "LN",
                        "value": "Campylobacter jejuni",
                        "value_code": "66543000",
                        "value_code_system": "SCT",
                        "kind": "CWE",
                    }
                ],
                prescriber_code="10000000042",
            )
        ],
    ),
    "09-hl7-sn-value-raw.hl7": (
        "hl7v2",
        [
            report(
                {"family": "TESTNOM"},
                [
                    {
                        "value": "< 5",
                        "comparator": "<",
                        "number": "5",
                        "unit": "umol/L",
                        "flag": "L",
                    },
                    {"value": "> 90", "comparator": ">", "number": "90", "low": "60", "high": ""},
                    {
                        "value": "11.0",
                        "comparator": "",
                        "number": "11.0",
                        "low": "",
                        "high": "1",
                        "flag": "H",
                    },
                ],
            )
        ],
    ),
    "12-hl7-mllp-framed.hl7": (
        "hl7v2",
        [
            report(
                {"family": "TESTNOM", "local_id": "100001"},
                [{"code": "2823-3", "value": "4.1", "low": "3.5", "high": "5.0"}],
            )
        ],
    ),
    "20-hl7-fr-pid-ins-usage-name-first.hl7": (
        "hl7v2",
        [
            report(
                {
                    "family": "BERNARD",
                    "used_name": "DUSAGE",
                    "given": "PAUL",
                    "birth_given_names": "PAUL ANDRE",
                    "nir": "156075314710109",
                    "ins_kind": "NIR",
                    "identity_status": "VALI",
                    "local_id": "442777",
                    "sex": "M",
                },
                [{"value": "6.4", "flag": "HH", "critical": True}],
                encoding="utf-8",
            )
        ],
    ),
    "hprim_net_sample.hpm": (
        "hprim_net",
        [
            report(
                {"family": "DUPRÉ", "given": "Hélène", "sex": "F", "nir": "258035313012391"},
                [
                    {"code": "HB", "flag": "L"},
                    {"code": "GB"},
                    {"code": "K", "flag": "HH"},
                    {"code": "CREA", "comment_contains": "mg/dL"},
                    {"code": "VIH", "value": "Négatif"},
                ],
                encoding="latin-1",
                prescriber_code="GP0000042",
                lab_code="LABO53",
            )
        ],
    ),
    "hprim_sante_sample.hpr": (
        "hprim_sante",
        [
            report(
                {"family": "DURAND", "given": "PAUL", "sex": "M"},
                [
                    {"code": "HB"},
                    {
                        "code": "PLQ",
                        "value": "98",
                        "flag": "L",
                        "comment_contains": "agrégats.Résultat confirmé.",
                    },
                ],
                prescriber_code="GP0000042",
                prescriber_name="Dr Anne Martin",
            )
        ],
    ),
    # --- HPRIM Net --------------------------------------------------------------------------
    "21-hprimnet-three-reports-lf-repeated-fin.hpm": (
        "hprim_net",
        [
            report(
                {"family": "ESSAI", "given": "ALICE", "nir": "261037511432120", "sex": "F"},
                [{"code": "NA", "value": "139"}],
                text="Bilan 1",
            ),
            report(
                {"family": "MODELE", "given": "BRUNO", "sex": "M"},
                [
                    {"code": "GLU"},
                    {
                        "code": "K",
                        "value": "2.4",
                        "flag": "LL",
                        "critical": True,
                        "comment": "Contrôle demandé.",
                    },
                ],
                text="",
            ),
            report(
                {"family": "SPECIMEN", "given": "CELINE"},
                [{"code": "HB", "value": "13.1"}],
                text="Bilan 3",
            ),
        ],
    ),
    "22-hprimnet-incomplete-res-line.hpm": refused(16, "« Leucocytes » incomplet"),
    "23-hprimnet-cp850-comparators-rpps.hpm": (
        "hprim_net",
        [
            report(
                {"family": "PRÉVOST", "given": "Hélène"},
                [
                    {"code": "CRP", "value": "<5", "comparator": "<", "number": "5", "high": "5"},
                    {
                        "code": "TNI",
                        "value": ">50000",
                        "comparator": ">",
                        "number": "50000",
                        "flag": "HH",
                    },
                ],
                encoding="cp850",
                prescriber_code="10000000001",
                prescriber_name="Dr Élodie Fictive",
                text="Résultats contrôlés à 8 h.",
            )
        ],
    ),
    "24-hprimnet-text-only-no-marker-cr.hpm": (
        "hprim_net",
        [
            report(
                {"family": "MODELE", "given": "ÉMILE"},
                [],
                text="COMPTE RENDU D'ÉCHOGRAPHIE\n\nFoie de taille normale.\n"
                "Conclusion : examen normal.",
            )
        ],
    ),
    "25-hprimnet-lab-block-cut.hpm": refused(15, "non terminé"),
    "26-hprimnet-cp1252-lowercase-markers-ctrlz.hpm": (
        "hprim_net",
        [
            report(
                {"family": "CŒURVAILLANT", "given": "Zoé"},
                [{"code": "LEU", "value": "12", "flag": "H"}],
                encoding="cp1252",
                text="Compte rendu de l’analyse d’urine.",
            )
        ],
    ),
    # --- HPRIM Santé ------------------------------------------------------------------------
    "27-hprimsante-two-patients-A-continuation.hpr": (
        "hprim_sante",
        [
            report(
                {"family": "ESSAI", "given": "GERARD"},
                [
                    {
                        "code": "NA",
                        "value": "138",
                        "unit": "mmol/L",
                        "low": "135",
                        "high": "145",
                        "status": "F",
                    },
                    {"code": "K", "value": "4.2"},
                ],
            ),
            report(
                {"family": "MODELE", "given": "HUGO"},
                [
                    {
                        "code": "K",
                        "value": "6.4",
                        "flag": "HH",
                        "critical": True,
                        "comment": "Potassium critique, médecin prévenu par téléphone.",
                    }
                ],
            ),
        ],
    ),
    "28-hprimsante-two-messages-two-receivers.hpr": (
        "hprim_sante",
        [
            report({"family": "SPECIMEN"}, [{"value": "0.95"}], prescriber_code="10000000001"),
            report(
                {"family": "ESSAI"},
                [{"value": "1.45", "flag": "H"}],
                prescriber_code="10000000002",
                prescriber_name="DR MODELE",
            ),
        ],
    ),
    "29-hprimsante-obx-without-value.hpr": refused(4, "« Plaquettes » sans valeur"),
    "30-hprimsante-birth-name-comparator-negative-range-latin9.hpr": (
        "hprim_sante",
        [
            report(
                {
                    "family": "ÉPREUVE",
                    "used_name": "DUPARC",
                    "given": "LÉA",
                    "birth_given_names": "LÉA MARIE",
                },
                [
                    {"value": "<0,5", "comparator": "<", "number": "0.5", "high": "5", "low": ""},
                    {"value": "-3.1", "number": "-3.1", "low": "-2.0", "high": "2.0", "flag": "L"},
                    {
                        "value": "Groupe A Rhésus positif",
                        "value_code": "A+",
                        "comment": "Sœur à prévenir : résultat à contrôler.",
                    },
                ],
                encoding="iso8859-15",
            )
        ],
    ),
    "31-hprimsante-astm-order-status-x-ll.hpr": (
        "hprim_sante",
        [
            report(
                {"family": "MODELE", "given": "LUC"},
                [
                    {"code": "GLU", "flag": "LL", "critical": True},
                    {"code": "HBA1C", "value": "résultat impossible à obtenir", "status": "X"},
                ],
            )
        ],
    ),
    # --- HL7 v2 -----------------------------------------------------------------------------
    "32-hl7-two-pid-one-message.hl7": (
        "hl7v2",
        [
            report(
                {
                    "family": "ESSAI",
                    "given": "MARC",
                    "nir": "185075314712321",
                    "ins_kind": "NIR",
                    "local_id": "A32",
                },
                [{"value": "4.2", "flag": "N", "comment": "Prélèvement correct."}],
                prescriber_code="10000000001",
                prescriber_name="ANNE ESSAI",
                file_number="R32A",
            ),
            report(
                {"family": "MODELE", "given": "NINA", "nir": "", "ins_kind": "", "local_id": "B32"},
                [{"value": "6.4", "flag": "HH", "critical": True}, {"value": "138"}],
                prescriber_code="10000000002",
                file_number="R32B",
                first_line=6,
            ),
        ],
    ),
    "33-hl7-batch-fhs-bhs-two-msh-lf.hl7": (
        "hl7v2",
        [
            report({"family": "ESSAI", "local_id": "A33"}, [{"value": "5.1"}]),
            report({"family": "MODELE", "local_id": "B33"}, [{"value": "2.1", "flag": "LL"}]),
        ],
    ),
    "34-hl7-mllp-two-frames.hl7": (
        "hl7v2",
        [
            report({"family": "ESSAI", "given": "QUENTIN"}, [{"value": "15.0"}]),
            report({"family": "MODELE", "given": "ROSE"}, [{"value": "6.9", "flag": "LL"}]),
        ],
    ),
    "35-hl7-adt-a04-refused.hl7": refused(1, "ADT^A04 refusé"),
    "36-hl7-obx3-alternate-triplet.hl7": (
        "hl7v2",
        [
            report(
                {"family": "ESSAI"},
                [
                    {"code": "GLY", "label": "Glycémie à jeun", "code_system": "L", "flag": "H"},
                    {"code": "2160-0", "label": "Créatinine", "code_system": "LN"},
                ],
            )
        ],
    ),
    "37-hl7-tx-ft-repetitions-escapes.hl7": (
        "hl7v2",
        [
            report(
                {"family": "ESSAI"},
                [
                    {
                        "code": "CR",
                        "value": "Frottis sanguin :\nHématies normochromes.\nPas de blastes.",
                    },
                    {
                        "code": "CONC",
                        "value": "Conclusion :\nAnémie\n\nContrôle à 1 mois & avis spécialisé.",
                    },
                ],
                results_count=2,
            )
        ],
    ),
    "38-hl7-ranges-negative-underscore-one-sided.hl7": (
        "hl7v2",
        [
            report(
                {"family": "ESSAI"},
                [
                    {"low": "-2.0", "high": "-1.0", "flag": "L", "number": "-3.4"},
                    {"low": "3.5", "high": "5.0"},
                    {"low": "135", "high": "145"},
                    {"low": "", "high": "5", "range_text": "<5"},
                    {"low": "60", "high": ""},
                    {"value": "5,2", "number": "5.2", "low": "3.9", "high": "5.8"},
                ],
            )
        ],
    ),
    "39-hl7-msh18-8859-1-declared.hl7": (
        "hl7v2",
        [
            report(
                {"family": "DÉSIRÉ", "given": "Noëlle"}, [{"value": "Négatif"}], encoding="latin-1"
            )
        ],
    ),
    "40-hl7-msh18-latin1-declared-but-utf8.hl7": (
        "hl7v2",
        [
            report(
                {"family": "LEFÈVRE", "given": "Gaëlle"}, [{"value": "Négatif"}], encoding="utf-8"
            )
        ],
    ),
    "41-hl7-cp1252-undeclared.hl7": (
        "hl7v2",
        [
            report(
                {"family": "BŒUF", "given": "Chloé"},
                [{"value": "Contrôle de l’hémostase conseillé"}],
                encoding="cp1252",
            )
        ],
    ),
    "42-hl7-critical-flags-ll-aa-susceptible.hl7": (
        "hl7v2",
        [
            report(
                {"family": "ESSAI"},
                [
                    {"flag": "LL", "critical": True},
                    {"flag": "AA", "critical": True},
                    {"value": "S", "flag": "N", "abnormal": False},
                    {"value": "R", "flag": "A"},
                    {"flag": "L", "critical": False},
                ],
                critical_count=2,
            )
        ],
    ),
    "43-hl7-obx-nm-without-value.hl7": refused(4, "« Sodium » sans valeur"),
    "44-hl7-obx-status-x-and-n.hl7": (
        "hl7v2",
        [
            report(
                {"family": "ESSAI"},
                [
                    {"code": "2823-3", "value": "résultat impossible à obtenir", "status": "X"},
                    {"code": "2160-0", "value": "70"},
                ],
                results_count=2,
            )
        ],
    ),
    "45-hl7-ins-nia-oid-birth-name-first-prov.hl7": (
        "hl7v2",
        [
            report(
                {
                    "family": "MARTINEAU",
                    "used_name": "LEBRETON",
                    "given": "JEANNE",
                    "birth_given_names": "JEANNE MARIE",
                    "nir": "780019912345682",
                    "ins_kind": "NIA",
                    "identity_status": "PROV",
                    "local_id": "P45",
                },
                [{"value": "4.1"}],
            )
        ],
    ),
    "46-hl7-ins-bad-key-refused.hl7": refused(2, "matricule INS invalide"),
    "47-hl7-obx-before-pid-refused.hl7": refused(2, "avant le patient (PID)"),
    "48-hl7-sn-ratio-range-category-ce-alternate.hl7": (
        "hl7v2",
        [
            report(
                {"family": "ESSAI"},
                [
                    {
                        "value": "1:128",
                        "number": "1",
                        "separator": ":",
                        "number2": "128",
                        "flag": "H",
                    },
                    {
                        "value": "10-20",
                        "number": "10",
                        "separator": "-",
                        "number2": "20",
                        "high": "30",
                    },
                    {"value": "2+", "number": "2", "separator": "+", "number2": ""},
                    {"value": "<= 0.3", "comparator": "<=", "number": "0.3"},
                    {
                        "value": "Positif",
                        "value_code": "POS",
                        "value_code_system": "L",
                        "flag": "A",
                    },
                    {"value": "Groupe A, Rhésus positif", "value_code": "A"},
                ],
            )
        ],
    ),
    "49-hl7-v23-oru-no-trigger-ts-offset-pid19.hl7": (
        "hl7v2",
        [
            report(
                {
                    "family": "ESSAI",
                    "birth_date": date(1980, 2, 2),
                    "nir": "291067511432153",
                    "ins_kind": "",
                },
                [
                    {
                        "value": "5.5",
                        "at": datetime(1998, 11, 22, 9, 55, tzinfo=timezone(timedelta(hours=1))),
                    }
                ],
                report_date=date(1998, 11, 22),
            )
        ],
    ),
    "50-hl7-utf16-bom.hl7": (
        "hl7v2",
        [report({"family": "NOËL", "given": "Agnès"}, [{"value": "4.1"}], encoding="utf-16")],
    ),
    "51-hl7-oul-r22-refused.hl7": refused(1, "OUL^R22 refusé"),
    "52-hprimnet-utf8-bom-dotted-date-idnatps.hpm": (
        "hprim_net",
        [
            report(
                {
                    "family": "ESSAI",
                    "given": "PIERRE YVES",
                    "birth_given_names": "PIERRE YVES",
                    "birth_date": date(1958, 3, 14),
                },
                [
                    {
                        "code": "HB",
                        "value": "9,8",
                        "number": "9.8",
                        "low": "13.0",
                        "high": "17.0",
                        "flag": "L",
                    },
                    {"code": "PLQ", "flag": "LL", "critical": True},
                ],
                encoding="utf-8",
                report_date=date(2026, 11, 22),
                prescriber_code="810000000001",
                prescriber_name="Dr Étienne Fictif",
            )
        ],
    ),
    "53-hprimsante-cr-only-obr17-range-with-unit.hpr": (
        "hprim_sante",
        [
            report(
                {"family": "SPECIMEN", "given": "MARC"},
                [
                    {
                        "code": "K",
                        "value": "5.9",
                        "low": "3.5",
                        "high": "5.0",
                        "flag": "H",
                        "range_text": "3.5-5.0 mmol/L",
                    }
                ],
                prescriber_code="10000000003",
                prescriber_name="ANNE MODELE",
            )
        ],
    ),
    "54-hl7-crlf-ins-type-nh-encapsulated-pdf.hl7": (
        "hl7v2",
        [
            report(
                {
                    "family": "MODELE",
                    "given": "SOLENE",
                    "birth_given_names": "SOLENE ANNE",
                    "nir": "291067511432153",
                    "ins_kind": "NIR",
                    "local_id": "C54",
                },
                [{"code": "2345-7", "value": "5.0"}],
                text="[document joint non importé : PDF]",
            )
        ],
    ),
    "55-hl7-nte-before-two-patients-refused.hl7": refused(1, "à qui il s'applique"),
    "56-hl7-ins-test-oid-not-an-ins.hl7": (
        "hl7v2",
        [
            report(
                {
                    "family": "ESSAI",
                    "nir": "",
                    "ins_kind": "",
                    "local_id": "A56",
                    "identity_status": "VALI",
                },
                [{"value": "4.3"}],
            )
        ],
    ),
}


def test_the_corpus_has_30_files_or_more_and_each_is_expected():
    names = sorted(p.name for p in CORPUS.iterdir())
    assert len(names) >= 30
    assert set(names) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_gives_its_right_outcome(name):
    data = (CORPUS / name).read_bytes()
    expected = EXPECTED[name]
    if isinstance(expected, dict):
        with pytest.raises(LabParseError) as caught:
            parse_file(data)
        line, words = expected["refused"]
        assert caught.value.line == line and words in caught.value.reason, caught.value
        return
    fmt, reports = parse_file(data)
    assert fmt == expected[0]
    assert len(reports) == len(expected[1])
    for got, want in zip(reports, expected[1], strict=True):
        for attr, value in want["patient"].items():
            assert getattr(got.patient, attr) == value, (attr, getattr(got.patient, attr))
        if want["results"] or "results_count" in want:
            assert len(got.results) == want.get("results_count", len(want["results"]))
        else:
            assert got.results == []
        for result, fields in zip(got.results, want["results"], strict=False):
            for attr, value in fields.items():
                if attr == "comment_contains":
                    assert value in result.comment
                else:
                    assert getattr(result, attr) == value, (
                        result.label,
                        attr,
                        getattr(result, attr),
                    )
        for attr, value in want.items():
            if attr in ("patient", "results", "results_count"):
                continue
            if attr == "text_contains":
                assert value in got.text
            else:
                assert getattr(got, attr) == value, (attr, getattr(got, attr))
