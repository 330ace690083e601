"""Finer statistics on the name keys searched with LIKE '%…%' (PostgreSQL).

With the default 100-entry histogram, the planner guessed that a rare name matched about 1 %
of 1.3 million practitioners and walked the whole name index looking for 50 of them (3 s for
« LE GRAULEAU »). With 1,000 entries a name absent from the histogram is estimated at 0.01 %
and read through the trigram index (5 ms), while a common word still walks the name index and
stops early (docs/benchmarks.md, Directory, third round).
"""

from django.db import migrations

COLUMNS = [("directory_practitioner", "search_key"), ("directory_organisation", "search_key"),
           ("directory_practitionerrole", "name_key")]


def finer(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table, column in COLUMNS:
            schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET STATISTICS 1000")


def default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table, column in COLUMNS:
            schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET STATISTICS -1")


class Migration(migrations.Migration):

    dependencies = [
        ("directory", "0007_family_names_and_covering_place_indexes"),
    ]

    operations = [migrations.RunPython(finer, default)]
