from io import StringIO

import pytest
from django.core.management import call_command

from parcours.directory.annuaire import import_annuaire
from parcours.directory.models import ImportRun, Organisation, Practitioner, PractitionerRole
from parcours.directory.services import practitioner_update_contact

from .conftest import DATA, row

pytestmark = pytest.mark.django_db


def test_sample_file_imports_every_professional_site_and_activity():
    result = import_annuaire(DATA / "annuaire_sample.txt")
    assert (result.rows_read, result.rows_rejected) == (40, 0)
    ids = {
        line.split("|")[2] for line in (DATA / "annuaire_sample.txt").read_text().splitlines()[1:]
    }
    assert Practitioner.objects.filter(source="annuaire").count() == len(ids)
    assert result.practitioners.added == len(ids)
    assert PractitionerRole.objects.filter(source="annuaire").count() == 40
    p = Practitioner.objects.get(national_id="810391865432")
    assert (p.rpps, p.last_name, p.specialty, p.title) == (
        "10391865432",
        "LAURENT",
        "Pneumologie",
        "Dr",
    )
    adeli = Practitioner.objects.get(national_id="0531593712")
    assert (adeli.adeli, adeli.rpps) == ("531593712", "")
    hospital = Organisation.objects.get(structure_id="R14518646578870")
    assert (hospital.kind, hospital.finess, hospital.postcode) == ("hospital", "530003359", "53100")
    run = ImportRun.objects.get()
    assert run.status == "done" and run.encoding == "utf-8" and run.rows_read == 40


def test_unchanged_reimport_changes_nothing():
    import_annuaire(DATA / "annuaire_sample.txt")
    again = import_annuaire(DATA / "annuaire_sample.txt")
    for c in (again.practitioners, again.organisations, again.roles):
        assert (c.added, c.changed, c.gone) == (0, 0, 0)
    assert ImportRun.objects.count() == 2


def test_reimport_reports_added_changed_and_gone_and_keeps_gone_rows(extract):
    import_annuaire(extract([row(), row("810000000002", "MARTIN", "PAUL", structure="R2")]))
    result = import_annuaire(
        extract(
            [
                row(phone="0243999999"),  # changed site phone
                row("810000000003", "DURAND", "ZOÉ", structure="R3"),  # new
            ]
        )
    )  # 810000000002 and R2 are gone
    assert (
        result.practitioners.added,
        result.practitioners.changed,
        result.practitioners.gone,
    ) == (1, 1, 1)
    assert (
        result.organisations.added,
        result.organisations.changed,
        result.organisations.gone,
    ) == (1, 1, 1)
    assert (result.roles.added, result.roles.gone) == (1, 1)
    gone = Practitioner.objects.get(national_id="810000000002")
    assert not gone.active and gone.roles.get().active is False
    assert not Organisation.objects.get(structure_id="R2").active
    # Back in the next file: active again.
    result = import_annuaire(extract([row("810000000002", "MARTIN", "PAUL", structure="R2")]))
    assert Practitioner.objects.get(national_id="810000000002").active
    assert result.practitioners.changed == 1


def test_latin1_file_is_detected_and_decoded(extract):
    result = import_annuaire(
        extract([row(last="BÉNARD", first="AGNÈS", town="ÉVRON")], encoding="latin-1")
    )
    assert result.run.encoding not in ("utf-8", "utf-8-sig")
    p = Practitioner.objects.get()
    assert (p.last_name, p.first_name, p.search_key) == ("BÉNARD", "AGNÈS", "BENARD AGNES")
    assert Organisation.objects.get().town_key == "EVRON"


def test_bad_rows_are_reported_with_line_numbers_and_the_rest_imported(extract):
    bad_columns = "8|1|81|X"
    path = extract(
        [
            row(),
            bad_columns,
            row("810000000002", last=""),
            row("810000000003", postcode="5300"),
            row("810000000004", "NOEL", "ANNE"),
        ]
    )
    result = import_annuaire(path)
    assert result.rows_rejected == 3 and result.rows_read == 5
    assert [e["line"] for e in result.errors] == [3, 4, 5]
    assert "colonnes" in result.errors[0]["error"]
    assert "nom" in result.errors[1]["error"]
    assert "code postal" in result.errors[2]["error"]
    assert Practitioner.objects.count() == 2
    assert ImportRun.objects.get().errors == result.errors


def test_local_contact_edits_survive_reimport(extract, territory):
    import_annuaire(extract([row()]))
    p = Practitioner.objects.get()
    assert p.contact_phone == "0243000000"
    practitioner_update_contact(
        actor=territory.admin,
        practitioner=p,
        data={
            "phone": "0611111111",
            "mssante": "h.lefevre@test.mssante.fr",
            "preferred_channel": "Messagerie sécurisée",
            "contact_hours": "9h–12h",
        },
    )
    import_annuaire(extract([row(phone="0243777777", first="HÉLÈNE MARIE")]))
    p.refresh_from_db()
    assert (p.phone, p.mssante, p.contact_hours) == (
        "0611111111",
        "h.lefevre@test.mssante.fr",
        "9h–12h",
    )
    assert p.imported_phone == "0243777777" and p.first_name == "HÉLÈNE MARIE"
    assert p.contact_phone == "0611111111"
    edit = p.contact_edits.get(field="phone")
    assert edit.edited_by == territory.admin and edit.new_value == "0611111111"


def test_local_practitioner_with_same_rpps_is_updated_not_duplicated(extract, territory):
    local = Practitioner.objects.create(
        rpps="10000000001", last_name="Lefevre", first_name="Helene", mssante="h@test.mssante.fr"
    )
    import_annuaire(extract([row()]))
    assert Practitioner.objects.count() == 1
    local.refresh_from_db()
    assert local.national_id == "810000000001" and local.mssante == "h@test.mssante.fr"


def test_local_services_and_senior_lines_are_untouched(extract, territory):
    import_annuaire(extract([row()]))
    territory.cardio.refresh_from_db()
    assert territory.cardio.senior_line == "0243000001"
    assert Organisation.objects.get(pk=territory.alpha.pk).active


def test_command_prints_the_report_and_bad_lines(extract):
    path = extract([row(), "garbage"])
    out, err = StringIO(), StringIO()
    call_command("import-annuaire", str(path), "--no-progress", stdout=out, stderr=err)
    assert "professionnels : 1 ajoutés" in out.getvalue()
    assert "ligne 3" in err.getvalue()


def test_file_without_the_expected_header_is_refused(tmp_path):
    from django.core.management.base import CommandError

    path = tmp_path / "x.txt"
    path.write_text("a|b|c|\n1|2|3|\n")
    with pytest.raises(CommandError, match="rien n'a été importé"):
        call_command("import-annuaire", str(path), "--no-progress", stdout=StringIO())
    assert ImportRun.objects.get().status == "failed"
    assert Practitioner.objects.count() == 0


@pytest.mark.skipif("not __import__('parcours.core.tests.servers', fromlist=['x']).is_postgres()")
def test_first_national_load_rebuilds_indexes_and_revalidates_foreign_keys(monkeypatch):
    """The bulk path of a first load (over 100,000 rows in real life), forced on the sample:
    search indexes and foreign keys come back, the keys validated over the loaded rows."""
    from django.db import connection

    from parcours.directory import annuaire

    def index_names():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = ANY(%s)",
                [list(annuaire.DIRECTORY_TABLES)],
            )
            return {r[0] for r in cursor.fetchall()}

    before = index_names()
    local = Practitioner.objects.create(last_name="de La Motte", first_name="Inès")
    # One practitioner of the file already here under an older name: updated, not doubled.
    Practitioner.objects.create(
        national_id="810252402051",
        rpps="10252402051",
        last_name="MICHEL-ANCIEN",
        first_name="THÉO",
        source="annuaire",
    )
    monkeypatch.setattr(annuaire, "_is_first_load", lambda cursor, staged: True)
    result = import_annuaire(DATA / "annuaire_sample.txt")
    assert index_names() == before
    assert result.practitioners.changed == 1
    assert result.practitioners.added == Practitioner.objects.filter(source="annuaire").count() - 1
    assert Practitioner.objects.get(national_id="810252402051").last_name == "MICHEL"
    # The family-name list, rebuilt from every practitioner (local ones included).
    from parcours.directory.models import FamilyName

    names = set(FamilyName.objects.values_list("word", "key"))
    assert {("DE LA MOTTE", "DE LA MOTTE"), ("MOTTE", "DE LA MOTTE")} <= names
    assert {
        (p.family_key, p.family_key) for p in Practitioner.objects.exclude(pk=local.pk)
    } <= names
    assert result.roles.added > 0 and "foreign_keys" in result.timings
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, convalidated FROM pg_constraint WHERE contype = 'f' "
            "AND conrelid = 'directory_practitionerrole'::regclass"
        )
        keys = cursor.fetchall()
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname = ANY(%s)",
            [list(annuaire.SEARCH_INDEXES)],
        )
        indexes = {r[0] for r in cursor.fetchall()}
    assert len(keys) == 3 and all(valid for _, valid in keys)
    assert indexes == set(annuaire.SEARCH_INDEXES)
    assert PractitionerRole.objects.filter(name_key="", active=True).count() == 0


def test_windows_1252_extract_with_oe_and_apostrophe_is_read_as_cp1252():
    """Case 16 (issue 12): Œ (0x8C) and ’ (0x92) are Windows-1252; a general detector read the
    file as cp1250 (« CŚURDELION »)."""
    result = import_annuaire(DATA / "16-annuaire-cp1252-oe-apostrophe.txt")
    assert result.run.encoding == "cp1252" and result.rows_rejected == 0
    p = Practitioner.objects.get(rpps="10000099991")
    assert (p.last_name, p.first_name) == ("CŒURDELION", "Yves")
    assert p.search_key.startswith("COEURDELION")
    assert Organisation.objects.get(structure_id="R10000099991001").name == "CABINET L’ŒILLET"


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "iso8859-15", "cp850", "utf-8"])
def test_extract_in_any_french_code_page_is_decoded_without_mojibake(extract, encoding):
    path = extract([row(last="LEFÈVRE", first="NOËLLE", town="ÉVRON")], encoding=encoding)
    result = import_annuaire(path)
    # The codec reported reads the bytes as they were written (Latin-1 and Windows-1252 are the
    # same bytes when no character of 0x80-0x9F is used).
    data = path.read_bytes()
    assert data.decode(result.run.encoding) == data.decode(encoding)
    p = Practitioner.objects.get()
    assert (p.last_name, p.first_name) == ("LEFÈVRE", "NOËLLE")
