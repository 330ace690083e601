"""PostgreSQL refuses two live appointments overlapping on one schedule, whatever code path
writes them (the booking service also locks the slot row; this is the last line of defence).
SQLite has no exclusion constraints: it relies on the unique live appointment per slot."""

from django.db import migrations

SQL = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE scheduling_appointment ADD CONSTRAINT appointment_no_overlap
    EXCLUDE USING gist (schedule_id WITH =, tstzrange(start, "end", '[)') WITH &&)
    WHERE (status <> 'cancelled');
"""
REVERSE = "ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS appointment_no_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
