"""The sealed chain (issue 13): rows become plain inserts, the sealer's links and signed
checkpoints live in two more append-only tables.

Rows written before this migration keep their per-row hash chain (still verified) and are
sealed by the first sealer run like any other unsealed row.

Triggers: UPDATE and DELETE are refused on the three tables, and on PostgreSQL a statement
trigger refuses TRUNCATE too (row triggers do not see it). SQLite rebuilds ``audit_auditevent``
to alter its columns, which drops its triggers: they are created again here. Tests get the same
triggers; the harness suspends them only around Django's own flush (parcours/audit/testing.py).
"""

from django.db import migrations, models

TABLES = ["audit_auditevent", "audit_auditlink", "audit_auditcheckpoint"]

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_auditevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""


def _pg_up() -> list[str]:
    statements = [PG_FUNCTION]
    for table in TABLES[1:]:
        statements.append(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_auditevent_refuse_change();")
    for table in TABLES:
        statements.append(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_auditevent_refuse_change();")
    return statements


def _sqlite_up() -> list[str]:
    statements = []
    for table in TABLES:
        statements.append(
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;")
        statements.append(
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;")
    return statements


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        statements = _pg_up()
    else:
        statements = _sqlite_up()
    for sql in statements:
        schema_editor.execute(sql, None)  # None: no placeholders ("%" in the PL/pgSQL body)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")
        for table in TABLES[1:]:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update ON {table};")
    else:
        for table in TABLES[1:]:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update;")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete;")


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_append_only'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditCheckpoint',
            fields=[
                ('seq', models.BigIntegerField(primary_key=True, serialize=False)),
                ('count', models.BigIntegerField()),
                ('head', models.CharField(max_length=64)),
                ('at', models.DateTimeField()),
                ('max_event_id', models.BigIntegerField()),
                ('key_id', models.CharField(max_length=16)),
                ('signature', models.CharField(max_length=100)),
            ],
            options={
                'ordering': ['seq'],
            },
        ),
        migrations.CreateModel(
            name='AuditLink',
            fields=[
                ('position', models.BigIntegerField(primary_key=True, serialize=False)),
                ('event_id', models.BigIntegerField(unique=True)),
                ('digest', models.CharField(max_length=64)),
            ],
            options={
                'ordering': ['position'],
            },
        ),
        migrations.AddField(
            model_name='auditevent',
            name='object_ids',
            field=models.JSONField(blank=True, default=list, verbose_name='objets montrés'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='detail',
            field=models.TextField(blank=True, verbose_name='détail'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='hash',
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='prev_hash',
            field=models.CharField(blank=True, default='', max_length=64),
        ),
        migrations.RunPython(forwards, backwards),
    ]
