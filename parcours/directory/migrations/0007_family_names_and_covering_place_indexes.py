"""The typo-tolerant practitioner search compares the query with each family name once
(FamilyName, trigram index on PostgreSQL) instead of every practitioner's (the trigram index
on Practitioner.family_key is dropped; a btree finds a name's bearers). The place indexes of
the activities end with the practitioner, so that "who works here, in name order" and its
count never read the table (docs/benchmarks.md, Directory, third round)."""

from django.conf import settings
from django.db import migrations, models


def fill_names(apps, schema_editor):
    schema_editor.execute(
        "INSERT INTO directory_familyname (key) SELECT DISTINCT family_key "
        "FROM directory_practitioner WHERE family_key <> ''")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS directory_practitioner_family_trgm")
        schema_editor.execute("CREATE INDEX IF NOT EXISTS directory_familyname_trgm "
                              "ON directory_familyname USING gin (key gin_trgm_ops)")


def unfill_names(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE INDEX IF NOT EXISTS directory_practitioner_family_trgm "
                              "ON directory_practitioner USING gin (family_key gin_trgm_ops)")


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0006_practitioner_family_key'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='FamilyName',
            fields=[
                ('key', models.CharField(max_length=100, primary_key=True, serialize=False)),
            ],
            options={
                'verbose_name': 'nom de famille',
                'verbose_name_plural': 'noms de famille',
            },
        ),
        migrations.RemoveIndex(
            model_name='practitionerrole',
            name='role_postcode_name',
        ),
        migrations.RemoveIndex(
            model_name='practitionerrole',
            name='role_town_name',
        ),
        migrations.AddIndex(
            model_name='practitioner',
            index=models.Index(fields=['family_key'], name='practitioner_family'),
        ),
        migrations.AddIndex(
            model_name='practitionerrole',
            index=models.Index(condition=models.Q(('active', True)), fields=['postcode', 'name_key', 'practitioner'], name='role_postcode_name'),
        ),
        migrations.AddIndex(
            model_name='practitionerrole',
            index=models.Index(condition=models.Q(('active', True)), fields=['town_key', 'name_key', 'practitioner'], name='role_town_name'),
        ),
        migrations.RunPython(fill_names, unfill_names),
    ]
