"""Importing lab files: certain matches attach, the rest wait for a person; malformed files
write nothing; the same file twice creates nothing new; pages per role."""

from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from parcours.audit.models import AuditEvent
from parcours.directory.models import Practitioner
from parcours.labs.models import LabImport, LabReport, LabResult
from parcours.labs.services import lab_import_file
from parcours.lib.labs import LabParseError
from parcours.notifications.models import Notification
from parcours.patients.services import patient_create

NIR = "258035313012391"  # the synthetic NIR of the HPRIM Net sample (key 91)
SAMPLE = (
    Path(__file__).resolve().parents[2] / "lib" / "tests" / "lab_corpus" / "hprim_net_sample.hpm"
)


def _sample() -> bytes:
    return SAMPLE.read_bytes()


ADELI = "531012345"  # synthetic ADELI number of the GP persona (HPRIM Net: 10-character code)


def _hprim(
    family="DUPRE",
    given="HELENE",
    born="14/03/1958",
    nir=NIR,
    k="6.1",
    prescriber=f"{ADELI} Dr Fictif",
) -> bytes:
    lines = [
        "0000123456",
        family,
        given,
        "",
        "",
        "53000LAVAL",
        born,
        nir,
        "LB-1",
        "21/11/2026",
        "LABO53    Laboratoire fictif",
        prescriber,
        "",
        "****LAB****",
        f"RES|Potassium|K|N|{k}|mmol/L|3.5|5.0|HH|F|||||",
        "RES|Sodium|NA|N|140|mmol/L|135|145|N|F|||||",
        "****FIN****",
    ]
    return "\r\n".join(lines).encode("latin-1")


@pytest.fixture
def known(territory):
    # The GP is in the directory with the ADELI number the files name.
    Practitioner.objects.create(
        user=territory.gp, adeli=ADELI, national_id="0" + ADELI, last_name="Test", first_name="Gp"
    )
    return patient_create(
        actor=territory.gp,
        birth_name="DUPRE",
        birth_given_names="HELENE",
        birth_date=date(1958, 3, 14),
        sex="F",
        ins_nir=NIR,
    ).patient


def test_certain_match_attaches_and_the_prescriber_named_in_the_file_is_told(territory, known):
    outcome = lab_import_file(
        data=_hprim(), file_name="r.hpm", actor=territory.admin, channel="upload"
    )
    assert (outcome.created, outcome.matched, outcome.pending) == (True, 1, 0)
    report = LabReport.objects.get()
    # The prescriber is the one the file names (ADELI), not the administrator who uploaded.
    assert report.patient == known and report.prescriber == territory.gp
    assert (report.abnormal_count, report.critical_count) == (1, 1)
    assert list(report.results.values_list("label", "abnormal", "critical")) == [
        ("Potassium", True, True),
        ("Sodium", False, False),
    ]
    (note,) = Notification.objects.filter(user=territory.gp)
    assert note.title == "Résultat critique reçu (Laboratoire fictif)"
    assert AuditEvent.objects.filter(object_type="labreport", patient_id=known.pk).exists()


def test_same_file_twice_creates_nothing_new(territory, known):
    lab_import_file(data=_hprim(), file_name="r.hpm")
    again = lab_import_file(data=_hprim(), file_name="copie.hpm")
    assert not again.created
    assert (LabImport.objects.count(), LabReport.objects.count(), LabResult.objects.count()) == (
        1,
        1,
        2,
    )


def test_uncertain_match_waits_and_a_reviewer_attaches_it(territory, known, login):
    # No NIR, a first name spelt differently: probable at best, so it waits.
    outcome = lab_import_file(data=_hprim(given="HELENA", nir=""), file_name="r.hpm")
    assert outcome.pending == 1
    report = LabReport.objects.get()
    assert report.patient is None and report.match == "pending"
    # The GP of the file is unknown here: nobody but the reviewers sees it.
    assert login(territory.gp2).get(reverse("labs:detail", args=[report.pk])).status_code == 404
    assert (
        login(territory.admin).get(reverse("labs:detail", args=[report.pk])).status_code == 404
    )  # administration, not review
    cell = login(territory.cell)
    page = cell.get(reverse("labs:detail", args=[report.pk]))
    assert "Identifier le patient" in page.content.decode()
    cell.post(reverse("labs:detail", args=[report.pk]), {"patient": known.pk})
    report.refresh_from_db()
    assert report.patient == known and report.matched_by == territory.cell


def test_malformed_file_is_refused_whole_with_line_and_reason(territory, known):
    bad = _hprim().replace(b"|HH|", b"|ZZ|")
    with pytest.raises(LabParseError) as caught:
        lab_import_file(data=bad, file_name="bad.hpm")
    assert caught.value.line == 15 and "indicateur" in caught.value.reason
    assert not LabImport.objects.exists() and not LabReport.objects.exists()


def test_command_imports_and_reports_refusals(territory, known, tmp_path, capsys):
    good, bad = tmp_path / "a.hpm", tmp_path / "b.hpm"
    good.write_bytes(_hprim())
    bad.write_bytes(b"bonjour")
    with pytest.raises(CommandError):
        call_command("import-lab", str(good), str(bad))
    out = capsys.readouterr()
    assert "1 compte(s) rendu(s), 1 rattaché(s)" in out.out and "refusé" in out.err
    assert LabReport.objects.count() == 1


def test_shared_sample_imports(territory, known):
    outcome = lab_import_file(data=_sample(), file_name="hprim_net_sample.hpm")
    assert outcome.matched == 1  # NIR in the sample = the known identity's INS


def test_upload_page_per_role_and_results_on_the_patient_page(territory, known, login):
    for who, status in (
        ("gp", 200),
        ("admin", 200),
        ("desk", 404),
        ("doctor", 404),
        ("nobody", 404),
    ):
        assert login(getattr(territory, who)).get(reverse("labs:upload")).status_code == status
    client = login(territory.gp)
    response = client.post(
        reverse("labs:upload"),
        {"files": [SimpleUploadedFile("r.hpm", _hprim()), SimpleUploadedFile("x.hpm", b"bonjour")]},
    )
    html = response.content.decode()
    assert response.status_code == 400 and "1 compte(s) rendu(s) rattaché(s)" in html
    assert "x.hpm : refusé" in html
    report = LabReport.objects.get()
    page = client.get(reverse("patients:detail", args=[known.pk])).content.decode()
    assert reverse("labs:detail", args=[report.pk]) in page
    detail = client.get(reverse("labs:detail", args=[report.pk])).content.decode()
    assert 'class="abnormal"' in detail and "Potassium" in detail


@pytest.mark.parametrize(
    "who, status",
    [
        ("gp", 200),
        ("gp2", 404),
        ("desk", 404),
        ("doctor", 404),
        ("admin", 404),
        ("cell", 404),
        ("nobody", 404),
    ],
)
def test_report_page_per_role(territory, known, login, who, status):
    lab_import_file(data=_hprim(), file_name="r.hpm", actor=territory.gp, channel="upload")
    report = LabReport.objects.get()
    assert (
        login(getattr(territory, who)).get(reverse("labs:detail", args=[report.pk])).status_code
        == status
    )


@pytest.mark.parametrize(
    "who, status",
    [("gp", 200), ("desk", 200), ("cell", 200), ("admin", 404), ("doctor", 404), ("nobody", 404)],
)
def test_list_page_per_role(territory, login, who, status):
    assert login(getattr(territory, who)).get(reverse("labs:list")).status_code == status
