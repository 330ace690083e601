from django.core.management.base import BaseCommand, CommandError

from parcours.audit.services import audit_verify


class Command(BaseCommand):
    help = (
        "Check the audit trail against its sealed links, signed checkpoints and their copy "
        "outside the database; fails if a row was altered, removed, inserted after the fact "
        "or the log was truncated or rewritten."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoints",
            metavar="PATH",
            help="external checkpoint copy to compare with (JSON lines, or a "
            "syslog export); default AUDIT_CHECKPOINT_FILE",
        )

    def handle(self, *args, **options):
        report = audit_verify(external=options.get("checkpoints"))
        external = (
            "no external copy configured"
            if report.external is None
            else f"{report.external} checkpoints in the external copy"
        )
        summary = (
            f"{report.rows} rows, {report.sealed} sealed, {report.pending} waiting for "
            f"the sealer, {report.checkpoints} checkpoints, {external}."
        )
        if not report.intact:
            for problem in report.problems:
                self.stderr.write(f"- {problem}")
            if report.hidden:
                self.stderr.write(f"- … and {report.hidden} more")
            raise CommandError(f"Audit trail NOT intact: {summary}")
        self.stdout.write(f"Audit trail intact: {summary}")
