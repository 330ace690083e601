"""The prescriber is the one the file names (issue 12, kind 3): found by RPPS, idNatPs or
ADELI, never the uploader nor a name; an unrecognised prescriber waits for a reviewer."""

from datetime import date

import pytest
from django.urls import reverse

from parcours.accounts.models import Membership, Role, User
from parcours.audit.models import AuditEvent
from parcours.directory.models import Practitioner
from parcours.labs.models import LabReport
from parcours.labs.services import lab_import_file, prescriber_for_code
from parcours.messaging.models import MailboxEntry
from parcours.patients.services import patient_create

from .factories import PRESCRIBER_RPPS, make_nir, report

BORN = date(1958, 3, 14)
NIR = make_nir("F", BORN, order=7)


@pytest.fixture
def known(territory):
    return patient_create(
        actor=territory.cell,
        birth_name="DUPRE",
        birth_given_names="HELENE",
        birth_date=BORN,
        sex="F",
        ins_nir=NIR,
    ).patient


def test_rpps_idnatps_and_adeli_find_the_account(territory):
    territory.gp.rpps = PRESCRIBER_RPPS
    territory.gp.save(update_fields=["rpps"])
    Practitioner.objects.create(
        user=territory.gp2,
        rpps="10000000099",
        national_id="810000000099",
        last_name="Deux",
        first_name="Gp",
    )
    Practitioner.objects.create(
        user=territory.doctor,
        adeli="531099999",
        national_id="0531099999",
        last_name="Doc",
        first_name="Tor",
    )
    assert prescriber_for_code(PRESCRIBER_RPPS) == territory.gp
    assert prescriber_for_code(f"8{PRESCRIBER_RPPS}") == territory.gp  # idNatPs
    assert prescriber_for_code("10000000099") == territory.gp2  # directory RPPS
    assert prescriber_for_code("810000000099") == territory.gp2
    assert prescriber_for_code("531099999") == territory.doctor  # ADELI
    assert prescriber_for_code("0531099999") == territory.doctor  # idNatPs of an ADELI
    assert prescriber_for_code(" 100 000 000 42 ") == territory.gp
    for unknown in ("", "GP0000042", "10000000077", "1234", "Dr Test"):
        assert prescriber_for_code(unknown) is None


def test_two_accounts_with_one_rpps_or_an_inactive_account_designate_nobody(territory):
    territory.gp.rpps = territory.gp2.rpps = PRESCRIBER_RPPS
    territory.gp.save(update_fields=["rpps"])
    territory.gp2.save(update_fields=["rpps"])
    assert prescriber_for_code(PRESCRIBER_RPPS) is None
    territory.gp2.is_active = False
    territory.gp2.save(update_fields=["is_active"])
    assert prescriber_for_code(PRESCRIBER_RPPS) == territory.gp


def test_a_name_is_not_an_identifier_and_the_uploader_is_not_the_prescriber(
    territory, known, parsed, login
):
    # The file names "Dr TEST" with a code nobody has; both GPs are called Test.
    parsed([report(nir=NIR, ins_kind="NIR", prescriber="GP0000042", prescriber_name="Dr Test")])
    outcome = lab_import_file(data=b"a", file_name="a.hl7", actor=territory.gp, channel="upload")
    # The uploader does not follow this patient: the report waits for a reviewer
    # (test_lab_upload_forgery.py) instead of attaching by itself.
    assert (outcome.matched, outcome.pending, outcome.unknown_prescriber) == (0, 1, 1)
    r = LabReport.objects.get()
    assert r.prescriber is None and r.prescriber_code == "GP0000042"
    # The uploading GP gains no access: neither the report nor the patient.
    gp = login(territory.gp)
    assert gp.get(reverse("labs:detail", args=[r.pk])).status_code == 404
    assert gp.get(reverse("patients:detail", args=[known.pk])).status_code == 404
    assert not MailboxEntry.objects.exists()


def test_upload_page_says_prescripteur_non_reconnu_without_patient_data(
    territory, known, parsed, login
):
    parsed([report(nir=NIR, ins_kind="NIR", prescriber="")])
    page = (
        login(territory.gp2).post(reverse("labs:upload"), {"files": [_upload()]}).content.decode()
    )
    assert "1 prescripteur non reconnu" in page and "DUPRE" not in page


def test_upload_page_agrees_the_sentence_with_several_unknown_prescribers(territory, parsed, login):
    """« 2 prescripteurs non reconnus — les référents … le désigneront » did not agree."""
    parsed([report(prescriber=""), report(family="AUTRE", prescriber="")])
    page = (
        login(territory.gp2).post(reverse("labs:upload"), {"files": [_upload()]}).content.decode()
    )
    assert (
        "2 prescripteurs non reconnus</strong> — les référents d'identitovigilance les "
        "désigneront." in page.replace("&#x27;", "'")
    )


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("r.hl7", b"MSH|^~\\&|")


@pytest.fixture
def unassigned(territory, known, parsed):
    parsed([report(nir=NIR, ins_kind="NIR", prescriber="99999999999", results=None)])
    lab_import_file(data=b"b", file_name="b.hl7")
    return LabReport.objects.get()


def test_a_reviewer_names_the_prescriber_who_then_receives_the_results(
    territory, unassigned, login
):
    territory.gp.rpps = PRESCRIBER_RPPS
    territory.gp.save(update_fields=["rpps"])
    admin = login(territory.cell)
    listing = admin.get(reverse("labs:list")).content.decode()
    assert "Prescripteur non reconnu" in listing and "99999999999" in listing
    admin.post(
        reverse("labs:detail", args=[unassigned.pk]),
        {"action": "prescriber", "code": PRESCRIBER_RPPS},
    )
    unassigned.refresh_from_db()
    assert unassigned.prescriber == territory.gp
    assert MailboxEntry.objects.filter(user=territory.gp, message__lab_report=unassigned).exists()
    assert AuditEvent.objects.filter(
        object_type="labreport",
        object_id=str(unassigned.pk),
        action="update",
        username=territory.cell.username,
    ).exists()
    assert login(territory.gp).get(reverse("labs:detail", args=[unassigned.pk])).status_code == 200


def test_an_unknown_identifier_names_nobody(territory, unassigned, login):
    login(territory.cell).post(
        reverse("labs:detail", args=[unassigned.pk]),
        {"action": "prescriber", "code": "10000000077"},
    )
    unassigned.refresh_from_db()
    assert unassigned.prescriber is None


@pytest.mark.parametrize("who", ["gp", "gp2", "doctor", "nobody"])
def test_only_reviewers_name_a_prescriber(territory, unassigned, login, who):
    territory.gp.rpps = PRESCRIBER_RPPS
    territory.gp.save(update_fields=["rpps"])
    response = login(getattr(territory, who)).post(
        reverse("labs:detail", args=[unassigned.pk]),
        {"action": "prescriber", "code": PRESCRIBER_RPPS},
    )
    assert response.status_code == 404
    unassigned.refresh_from_db()
    assert unassigned.prescriber is None


def test_prescriber_in_the_directory_without_account_is_not_a_prescriber(territory):
    Practitioner.objects.create(
        rpps="10000000055", national_id="810000000055", last_name="Sans", first_name="Compte"
    )
    assert prescriber_for_code("10000000055") is None
    other = User.objects.create(username="hosp", rpps="10000000055")
    Membership.objects.create(
        user=other,
        organisation=territory.alpha,
        role=Role.HOSPITAL_DOCTOR,
        service=territory.cardio,
    )
    assert prescriber_for_code("10000000055") == other
