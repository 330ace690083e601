"""The practitioners' name index also holds the id and the active flag (PostgreSQL): walking
it in name order while checking « contains these words » then reads no table row, so a name
of middling frequency, which the planner walks for, costs index pages only (docs/benchmarks.md,
Directory, third round: « FILT » read 70,000 table rows in 330 ms)."""

from django.db import migrations

OLD = "CREATE INDEX directory_practitioner_key_btree ON directory_practitioner (search_key)"
NEW = ("CREATE INDEX directory_practitioner_key_btree ON directory_practitioner "
       "(search_key, id) INCLUDE (active)")


def swap(definition):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute("DROP INDEX IF EXISTS directory_practitioner_key_btree")
            schema_editor.execute(definition)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("directory", "0009_role_organisation_name_index"),
    ]

    operations = [migrations.RunPython(swap(NEW), swap(OLD))]
