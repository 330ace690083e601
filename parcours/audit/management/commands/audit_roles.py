from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from parcours.audit.roles import app_role_sql, role_problems


class Command(BaseCommand):
    help = (
        "Print (or, with --execute, run as the tables' owner) the GRANTs of the "
        "application's PostgreSQL role: every table, but only SELECT and INSERT on the "
        "audit tables; then check the role cannot TRUNCATE, UPDATE, DELETE or ALTER them."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="the role the application connects as")
        parser.add_argument(
            "--execute",
            action="store_true",
            help="run the statements on DATABASE_URL (connect as the owner)",
        )

    def handle(self, *args, role, execute, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Database roles exist on PostgreSQL only.")
        try:
            statements = app_role_sql(role)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        with connection.cursor() as cursor:
            for sql in statements:
                self.stdout.write(sql + ";")
                if execute:
                    cursor.execute(sql)
            problems = role_problems(cursor, role)
        if problems:
            raise CommandError("The role is not fit to run the application: " + "; ".join(problems))
        if execute:
            self.stdout.write(f"Role {role} can read and append the audit trail, nothing more.")
