"""Fill the folded search keys of existing rows; on PostgreSQL add pg_trgm and the trigram
indexes that make name search typo-tolerant and fast over millions of rows (SQLite searches
the same keys with LIKE, without an index)."""

from django.db import migrations

from parcours.directory.keys import fold

PG_INDEXES = [
    # Name search: similarity (%), word similarity (<%) and LIKE '%…%' all use these.
    "CREATE INDEX IF NOT EXISTS directory_practitioner_key_trgm "
    "ON directory_practitioner USING gin (search_key gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS directory_org_key_trgm "
    "ON directory_organisation USING gin (search_key gin_trgm_ops)",
    # Results are listed in name order: a prefix range scan and an ordered index walk.
    "CREATE INDEX IF NOT EXISTS directory_practitioner_key_btree "
    "ON directory_practitioner (search_key)",
]


def fill_keys(apps, schema_editor):
    Practitioner = apps.get_model("directory", "Practitioner")
    Organisation = apps.get_model("directory", "Organisation")
    for p in Practitioner.objects.all().only("pk", "last_name", "first_name"):
        Practitioner.objects.filter(pk=p.pk).update(
            search_key=fold(f"{p.last_name} {p.first_name}"))
    for o in Organisation.objects.all().only("pk", "name", "town"):
        Organisation.objects.filter(pk=o.pk).update(search_key=fold(o.name),
                                                    town_key=fold(o.town))


def pg_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for sql in PG_INDEXES:
        schema_editor.execute(sql)


def drop_pg_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in ("directory_practitioner_key_trgm", "directory_org_key_trgm",
                 "directory_practitioner_key_btree"):
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [("directory", "0002_annuaire_import")]

    operations = [
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.RunPython(pg_indexes, drop_pg_indexes),
    ]
