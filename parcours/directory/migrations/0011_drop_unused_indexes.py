"""Indexes nothing reads, which a national import builds or maintains for nothing
(docs/benchmarks.md, Directory, third round).

On PostgreSQL Django adds a ``varchar_pattern_ops`` copy of the index of each indexed or
unique CharField, for ``LIKE 'prefix%'``. Identifiers (national ids, activity keys, RPPS,
structure ids, FINESS) and specialties are only ever compared whole, so those copies go
(2M-row ``import_key`` alone: 113 MB). The towns' copy stays: ``address-city`` searches by
prefix. The family-name list's index on ``key`` served no query either.
"""

from django.db import migrations

UNUSED_LIKE = [("directory_practitionerrole", "import_key"),
               ("directory_practitioner", "national_id"), ("directory_practitioner", "rpps"),
               ("directory_practitioner", "specialty"),
               ("directory_organisation", "structure_id"), ("directory_organisation", "finess")]


def drop_like_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table, column in UNUSED_LIKE:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s "
                           "AND indexdef LIKE %s",
                           [table, f"%({column} varchar_pattern_ops)%"])
            for (name,) in cursor.fetchall():
                schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def restore_like_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in UNUSED_LIKE:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{table}_{column}_like" '
                              f"ON {table} ({column} varchar_pattern_ops)")


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0010_practitioner_name_index_covers_id_and_active'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='familyname',
            name='familyname_key',
        ),
        migrations.RunPython(drop_like_indexes, restore_like_indexes),
    ]
