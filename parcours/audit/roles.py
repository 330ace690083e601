"""The PostgreSQL privileges of the application's database role (docs/operations.md, "Audit
trail").

Migrations run as the owner of the tables; the application (web server and worker) connects
as another role that may read and write every table but only SELECT and INSERT the audit
tables. Without TRUNCATE it cannot empty them, and without ownership it cannot ALTER them or
disable their triggers (PostgreSQL: only the owner or a superuser may), so the append-only
triggers hold against it.
"""

import re

AUDIT_TABLES = ("audit_auditevent", "audit_auditlink", "audit_auditcheckpoint")
_ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def app_role_sql(role: str) -> list[str]:
    """The statements that give ``role`` the application's privileges, to run as the owner
    of the tables after each migration. Raises ValueError on a role name that is not a plain
    lower-case SQL identifier."""
    if not _ROLE.fullmatch(role):
        raise ValueError(f"not a plain role name: {role!r}")
    audit = ", ".join(AUDIT_TABLES)
    return [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {audit} FROM {role}",
        f"GRANT SELECT, INSERT ON {audit} TO {role}",
    ]


def role_problems(cursor, role: str) -> list[str]:
    """What makes ``role`` unfit to run the application (empty list: fit): superuser, owner
    of an audit table, member of the owner, or holding UPDATE, DELETE or TRUNCATE on one."""
    cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", [role])
    row = cursor.fetchone()
    if row is None:
        return [f"role {role} does not exist"]
    problems = []
    if row[0]:
        problems.append(f"{role} is a superuser")
    for table in AUDIT_TABLES:
        cursor.execute(
            "SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = %s",
            [table],
        )
        owner = cursor.fetchone()
        if owner is None:
            continue
        cursor.execute("SELECT pg_has_role(%s, %s, 'USAGE')", [role, owner[0]])
        if cursor.fetchone()[0]:
            problems.append(f"{role} owns {table} (or is a member of its owner {owner[0]})")
        for privilege in ("UPDATE", "DELETE", "TRUNCATE"):
            cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [role, table, privilege])
            if cursor.fetchone()[0]:
                problems.append(f"{role} has {privilege} on {table}")
    return problems
