"""Cases of ``lab_corpus/`` seen from the storage side: what each real file leaves in the
database. The parse itself is tested in ``parcours/lib/tests``."""

from datetime import date
from pathlib import Path

from parcours.labs.models import LabReport
from parcours.labs.services import lab_import_file
from parcours.patients.services import patient_create

CORPUS = Path(__file__).resolve().parents[2] / "lib" / "tests" / "lab_corpus"


def _import(name: str):
    return lab_import_file(data=(CORPUS / name).read_bytes(), file_name=name)


def test_case_20_ins_in_pid3_attaches_with_pam_fr_names_and_critical(territory):
    territory.gp.rpps = "10000000000"  # OBR-16 of the file
    territory.gp.save(update_fields=["rpps"])
    known = patient_create(
        actor=territory.admin,
        birth_name="BERNARD",
        birth_given_names="PAUL ANDRE",
        birth_date=date(1956, 7, 2),
        sex="M",
        ins_nir="156075314710109",
    ).patient
    outcome = _import("20-hl7-fr-pid-ins-usage-name-first.hl7")
    assert (outcome.matched, outcome.critical) == (1, 1)
    r = LabReport.objects.get()
    assert (r.patient, r.prescriber) == (known, territory.gp)
    assert (r.ins_kind, r.used_name, r.birth_given_names) == ("NIR", "DUSAGE", "PAUL ANDRE")
    assert list(r.results.values_list("value", "critical")) == [("6.4", True)]
