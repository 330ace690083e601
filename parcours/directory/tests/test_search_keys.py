"""What name and place search rely on: the family-name list of the typo-tolerant search and
the activities' copies of the name key and the place, kept by the import and by edits."""

import pytest

from parcours.directory.annuaire import import_annuaire
from parcours.directory.models import FamilyName, Organisation, Practitioner, PractitionerRole
from parcours.directory.selectors import one_edit_variants, practitioner_search

from .conftest import row

pytestmark = pytest.mark.django_db


def test_one_edit_variants_cover_every_kind_of_slip():
    variants = one_edit_variants("MARTIN")
    assert {"MARTIN", "MRTIN", "MAARTIN", "MATRIN", "MARTAN", "XMARTIN", "MARTINX"} <= variants
    assert "MRATNI" not in variants and "MARTINEZ" not in variants
    # 6 deletions, 5 swaps, 6×26 replacements, 7×26 insertions, with repeats removed.
    assert len(variants) < 6 + 5 + 6 * 26 + 7 * 26 + 1


def test_family_names_follow_the_import_and_local_edits(territory, extract):
    import_annuaire(extract([row(), row("810000000002", "MARTIN", "PAUL", structure="R2")]))
    assert {"LEFEVRE", "MARTIN"} <= set(FamilyName.objects.values_list("key", flat=True))
    import_annuaire(extract([row()], name="second.txt"))
    # MARTIN is gone from the file but still in the directory (inactive): still searchable.
    assert FamilyName.objects.filter(key="MARTIN").exists()
    Practitioner.objects.filter(national_id="810000000002").delete()
    import_annuaire(extract([row()], name="third.txt"))
    assert not FamilyName.objects.filter(key="MARTIN").exists()
    local = Practitioner.objects.create(last_name="Le Dû-Kerjean", first_name="Anne")
    # The whole name and each word of 3 letters or more.
    assert set(FamilyName.objects.filter(key="LE DU KERJEAN").values_list("word", flat=True)) == {
        "LE DU KERJEAN",
        "KERJEAN",
    }
    local.last_name = "Kerjean"
    local.save(update_fields=["last_name"])
    assert FamilyName.objects.filter(key="KERJEAN", word="KERJEAN").exists()


def test_activities_follow_a_renamed_practitioner_and_a_moved_site(territory):
    org = Organisation.objects.create(
        name="Cabinet du Parc", kind="practice", postcode="53000", town="Laval"
    )
    doctor = Practitioner.objects.create(last_name="Durand", first_name="Léa")
    role = PractitionerRole.objects.create(practitioner=doctor, organisation=org)
    assert (role.name_key, role.postcode, role.town_key) == ("DURAND LEA", "53000", "LAVAL")
    doctor.last_name = "Duval"
    doctor.save()
    org.postcode, org.town = "53100", "Mayenne"
    org.save()
    role.refresh_from_db()
    assert (role.name_key, role.postcode, role.town_key) == ("DUVAL LEA", "53100", "MAYENNE")
    assert [p.pk for p in practitioner_search(place="53100")] == [doctor.pk]
    assert [p.pk for p in practitioner_search(organisation="cabinet du parc")] == [doctor.pk]
    assert practitioner_search(place="53000") == []
    # A practitioner deactivated here keeps their activity rows but leaves place searches.
    doctor.active = False
    doctor.save(update_fields=["active"])
    assert practitioner_search(place="53100") == []
    assert practitioner_search(organisation="cabinet du parc") == []


@pytest.mark.parametrize("typed", ["LEFVRE", "LEFEVVRE", "LEFEVER", "LEFEBVRE", "lefèbre"])
def test_typo_search_forgives_one_slip_in_a_short_name(territory, typed):
    lefevre = Practitioner.objects.create(last_name="Lefèvre", first_name="Hélène")
    Practitioner.objects.create(last_name="Lefranc", first_name="Hugo")
    found = practitioner_search(query=typed)
    assert found and found[0].pk == lefevre.pk


def test_typo_search_compares_long_names_by_trigrams(territory):
    target = Practitioner.objects.create(last_name="Bourguignon", first_name="Marc")
    Practitioner.objects.create(last_name="Bourgeois", first_name="Marc")
    # A word of ten letters or more goes through trigram similarity (≥ 0.5) on PostgreSQL,
    # one-edit variants elsewhere: one slip.
    for typed in ("bourgignon", "bourguignom", "bourguingon"):
        found = practitioner_search(query=typed)
        assert found and found[0].pk == target.pk, typed
    assert practitioner_search(query="zzzzzzzzz") == []


def test_typo_search_finds_a_compound_name_by_one_of_its_words(territory):
    motte = Practitioner.objects.create(last_name="de La Motte-Rouge", first_name="Inès")
    assert [p.pk for p in practitioner_search(query="mote")] == [motte.pk]
    assert [p.pk for p in practitioner_search(query="la motte rouje")] == [motte.pk]
