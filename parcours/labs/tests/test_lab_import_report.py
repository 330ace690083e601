"""The import report (issue 12, kind 5 storage side): the encoding used, the number of reports,
matched, waiting, critical; uploads checked for type and size."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from parcours.labs.forms import MAX_FILE_BYTES
from parcours.labs.models import LabImport, LabReport
from parcours.lib.labs import LabResult as Parsed

from .factories import report


@pytest.fixture
def cp1252_file(prescribers, parsed):
    first = report(
        family="LEFEVRE",
        encoding="cp1252",
        results=[Parsed(label="Potassium", value="6.6", flag="HH")],
    )
    parsed([first, report(family="NOUVEAU", encoding="cp1252")])


def test_upload_page_reports_encoding_and_counts(territory, cp1252_file, login):
    page = (
        login(territory.gp)
        .post(reverse("labs:upload"), {"files": [SimpleUploadedFile("r.hl7", b"MSH|^~\\&|")]})
        .content.decode()
    )
    assert "2 compte(s) rendu(s) : 0 compte(s) rendu(s) rattaché(s), 2 en attente" in page
    assert "1 avec résultat critique" in page and "Encodage : cp1252" in page
    assert LabImport.objects.get().encoding == "cp1252"
    # The uploader sees counts, not the patients the file names.
    assert "LEFEVRE" not in page and "NOUVEAU" not in page


def test_command_reports_encoding_and_counts(territory, cp1252_file, tmp_path, capsys):
    path = tmp_path / "r.hl7"
    path.write_bytes(b"MSH|^~\\&|")
    call_command("import-lab", str(path))
    out = capsys.readouterr().out
    assert (
        "2 compte(s) rendu(s), 0 rattaché(s), 2 en attente d'identification, "
        "1 avec résultat critique, 0 prescripteur(s) non reconnu(s) ; encodage cp1252" in out
    )


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("scan.pdf", b"%PDF-1.4\n...", "fichier PDF"),
        ("r.zip", b"PK\x03\x04....", "fichier ZIP"),
        ("gros.hpr", b"H" * (MAX_FILE_BYTES + 1), "dépasse 2 Mo"),
    ],
)
def test_uploads_of_another_type_or_too_big_are_refused_before_reading(
    territory, login, name, data, reason
):
    response = login(territory.gp).post(
        reverse("labs:upload"), {"files": [SimpleUploadedFile(name, data)]}
    )
    assert response.status_code == 400 and reason in response.content.decode()
    assert not LabImport.objects.exists() and not LabReport.objects.exists()


def test_one_refused_file_does_not_refuse_the_others_of_the_batch(territory, login):
    good = "\r\n".join(
        [
            "0000123456",
            "DUPRE",
            "HELENE",
            "",
            "",
            "53000LAVAL",
            "14/03/1958",
            "",
            "LB-1",
            "21/11/2026",
            "LABO53    Laboratoire fictif",
            "GP0000042 Dr Fictif",
            "",
            "****LAB****",
            "RES|Potassium|K|N|4.1|mmol/L|3.5|5.0||F",
            "****FIN****",
        ]
    )
    response = login(territory.gp).post(
        reverse("labs:upload"),
        {
            "files": [
                SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n..."),
                SimpleUploadedFile("r.hpm", good.encode("latin-1")),
            ]
        },
    )
    html = response.content.decode()
    assert response.status_code == 400  # something was refused: said, with why
    assert "scan.pdf : refusé" in html and "fichier PDF" in html
    assert LabImport.objects.count() == 1 and LabReport.objects.count() == 1


def test_an_incomplete_line_refuses_the_file_with_its_line(territory, login):
    lines = [
        "0000123456",
        "DUPRE",
        "HELENE",
        "",
        "",
        "53000LAVAL",
        "14/03/1958",
        "",
        "LB-1",
        "21/11/2026",
        "LABO53    Laboratoire fictif",
        "GP0000042 Dr Fictif",
        "",
        "****LAB****",
        "RES|Potassium|K|N|4.1|mmol/L|3.5|5.0||F",
        "RES|Leucocytes",
        "****FIN****",
    ]
    response = login(territory.gp).post(
        reverse("labs:upload"),
        {"files": [SimpleUploadedFile("r.hpm", "\r\n".join(lines).encode("latin-1"))]},
    )
    assert response.status_code == 400 and "ligne 16" in response.content.decode()
    assert not LabImport.objects.exists() and not LabReport.objects.exists()
