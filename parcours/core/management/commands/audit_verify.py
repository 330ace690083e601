from django.core.management.base import BaseCommand, CommandError

from parcours.audit.services import audit_verify


class Command(BaseCommand):
    help = "Check the audit trail's hash chain; fails if a row was altered or removed."

    def handle(self, *args, **options):
        intact, count, broken = audit_verify()
        if not intact:
            raise CommandError(f"Audit chain broken at row {broken} after {count} intact rows.")
        self.stdout.write(f"Audit chain intact: {count} rows.")
