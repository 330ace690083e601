"""The application's PostgreSQL role (issue 13): it reads and appends the audit trail but
cannot empty it, change its rows or switch its triggers off, so that only the owner — who runs
migrations, not the application — could, and the external checkpoints catch the owner."""

import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from parcours.audit.models import AuditEvent
from parcours.audit.roles import app_role_sql, role_problems
from parcours.audit.sealing import audit_seal, audit_verify
from parcours.audit.services import audit_log
from parcours.core.tests.servers import postgres_only

pytestmark = [pytest.mark.postgres, postgres_only]


@pytest.fixture
def app_role(db):
    """A role made by ``audit_roles`` (inside the test's transaction: rolled back with it)."""
    role = f"parcours_audit_app_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
    call_command("audit_roles", role, "--execute")
    return role


def _as(role: str, sql: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK check in the way
        cursor.execute(f"SET LOCAL ROLE {role}")
        cursor.execute(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "TRUNCATE audit_auditevent",
        "TRUNCATE audit_auditlink",
        "TRUNCATE audit_auditcheckpoint",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER USER",
        "ALTER TABLE audit_auditlink DISABLE TRIGGER ALL",
        "ALTER TABLE audit_auditevent DROP COLUMN detail",
        "DROP TRIGGER audit_auditevent_no_update ON audit_auditevent",
        "DELETE FROM audit_auditevent",
        "UPDATE audit_auditevent SET detail = 'x'",
        "DELETE FROM audit_auditcheckpoint",
        "SET session_replication_role = replica",
    ],
)
def test_the_application_role_cannot_rewrite_the_trail(app_role, sql):
    audit_log(user=None, action="read", object_type="patient", object_id=1)
    audit_seal()
    with pytest.raises(DatabaseError, match="permission denied|must be owner"):
        _as(app_role, sql)
    assert AuditEvent.objects.count() == 1


def test_the_application_role_reads_appends_and_seals(app_role):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {app_role}")
        audit_log(user=None, action="read", object_type="patient", object_id=1)
        assert audit_seal()["sealed"] == 1
        assert audit_verify().intact
        cursor.execute("SELECT count(*) FROM audit_auditevent")
        assert cursor.fetchone()[0] == 1
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == app_role


def test_audit_roles_refuses_an_owner_or_superuser(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        me = cursor.fetchone()[0]
        assert role_problems(cursor, me)  # the owner (here also a superuser) is not fit
    with pytest.raises(CommandError, match="not fit"):
        call_command("audit_roles", me)
    with pytest.raises(ValueError):
        app_role_sql("app; DROP TABLE x")
