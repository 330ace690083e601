"""Test support: Django's own flush between transactional tests, past the audit guards.

The test database has the same append-only triggers as production (migrations 0002 and 0003):
UPDATE and DELETE refused on every database, TRUNCATE refused on PostgreSQL. Django empties the
database after each transactional test (``flush``: ``TRUNCATE`` on PostgreSQL, ``DELETE`` on
SQLite), which those triggers refuse. ``install_flush_hook()`` makes only that flush step past
them, as an owner would during maintenance:

- PostgreSQL: ``session_replication_role = replica`` for the flush (triggers in the default
  ``ENABLE`` mode do not fire; needs a superuser, which the test role is);
- SQLite: the audit tables' triggers are dropped and then created again from their own SQL
  (read back from ``sqlite_master``) in the same transaction.

Nothing here is imported outside tests (conftest.py calls ``install_flush_hook``).
"""

from __future__ import annotations

from django.db.backends.base.operations import BaseDatabaseOperations

AUDIT_TABLE_PREFIX = "audit_"
_original = BaseDatabaseOperations.execute_sql_flush


def _flush_past_audit_guards(self, sql_list):
    """Wrap ``execute_sql_flush(sql_list)``; same arguments and effect, guards suspended."""
    connection = self.connection
    if not any(AUDIT_TABLE_PREFIX in sql for sql in sql_list):
        return _original(self, sql_list)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
        try:
            return _original(self, sql_list)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = origin")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name LIKE 'audit\\_%' ESCAPE '\\'"
            )
            triggers = cursor.fetchall()
            for name, _sql in triggers:
                cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
        try:
            return _original(self, sql_list)
        finally:
            with connection.cursor() as cursor:
                for _name, sql in triggers:
                    cursor.execute(sql)
    return _original(self, sql_list)


def install_flush_hook() -> None:
    """Route ``execute_sql_flush`` (defined once, on the base operations class, in Django 5.2)
    through ``_flush_past_audit_guards``. Idempotent."""
    BaseDatabaseOperations.execute_sql_flush = _flush_past_audit_guards  # type: ignore[method-assign]
