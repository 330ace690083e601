from django.core.management.base import BaseCommand

from parcours.audit.sealing import audit_seal


class Command(BaseCommand):
    help = (
        "Seal the committed audit rows not sealed yet into a signed checkpoint (the worker "
        "does it every round)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--full",
            action="store_true",
            help="look for unsealed rows in the whole table, not only above the recent floor",
        )

    def handle(self, *args, **options):
        result = audit_seal(full=options["full"])
        if result.get("busy"):
            self.stdout.write("Another sealer is running.")
        elif result["sealed"]:
            self.stdout.write(
                f"Sealed {result['sealed']} rows in checkpoint {result['checkpoint']}."
            )
        else:
            self.stdout.write("Nothing to seal.")
