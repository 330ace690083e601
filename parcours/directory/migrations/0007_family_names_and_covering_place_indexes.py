"""The typo-tolerant practitioner search compares the query with each family name once
(FamilyName, trigram index on PostgreSQL) instead of every practitioner's (the trigram index
on Practitioner.family_key is dropped; a btree finds a name's bearers). The place indexes of
the activities end with the practitioner, so that "who works here, in name order" and its
count never read the table (docs/benchmarks.md, Directory, third round)."""

from itertools import islice

from django.conf import settings
from django.db import migrations, models

from parcours.directory.keys import family_words


def fill_names(apps, schema_editor):
    """The names of the practitioners already here (keys.family_words: the whole folded name,
    and each word of three letters or more of a compound one)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "INSERT INTO directory_familyname (word, key) "
            "SELECT family_key, family_key FROM directory_practitioner WHERE family_key <> '' "
            "UNION SELECT w, family_key FROM directory_practitioner, "
            "unnest(string_to_array(family_key, ' ')) w "
            "WHERE position(' ' in family_key) > 0 AND length(w) >= 3")
        schema_editor.execute("DROP INDEX IF EXISTS directory_practitioner_family_trgm")
        schema_editor.execute("CREATE INDEX IF NOT EXISTS directory_familyname_trgm "
                              "ON directory_familyname USING gin (word gin_trgm_ops)")
        return
    Practitioner = apps.get_model("directory", "Practitioner")
    FamilyName = apps.get_model("directory", "FamilyName")
    keys = Practitioner.objects.exclude(family_key="").values_list("family_key", flat=True) \
        .distinct().iterator()
    while batch := list(islice(keys, 2000)):
        FamilyName.objects.bulk_create([FamilyName(word=w, key=k) for k in batch
                                        for w in family_words(k)], ignore_conflicts=True)


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
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('word', models.CharField(max_length=100)),
                ('key', models.CharField(max_length=100)),
            ],
            options={
                'verbose_name': 'nom de famille',
                'verbose_name_plural': 'noms de famille',
                'indexes': [models.Index(fields=['key'], name='familyname_key')],
                'constraints': [models.UniqueConstraint(fields=('word', 'key'), name='familyname_word_key')],
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
