"""``parcours fhir-conformance``: print docs/fhir.md's conformance table, built from the
resource registry like /fhir/metadata; ``--write`` replaces it in docs/fhir.md."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from parcours.fhir.capability import conformance_table

START, END = "<!-- conformance:start -->", "<!-- conformance:end -->"


def docs_path() -> Path:
    return Path(settings.BASE_DIR).parent / "docs" / "fhir.md"


def with_table(text: str) -> str:
    """``text`` (docs/fhir.md) with the block between the markers replaced by the table."""
    if START not in text or END not in text:
        raise CommandError(f"docs/fhir.md lacks the markers {START} … {END}.")
    head, rest = text.split(START, 1)
    _old, tail = rest.split(END, 1)
    return f"{head}{START}\n{conformance_table()}{END}{tail}"


class Command(BaseCommand):
    help = "Print the FHIR conformance table (or --write it into docs/fhir.md)."

    def add_arguments(self, parser):
        parser.add_argument("--write", action="store_true", help="update docs/fhir.md")

    def handle(self, *args, write, **options):
        if not write:
            self.stdout.write(conformance_table())
            return
        path = docs_path()
        path.write_text(with_table(path.read_text(encoding="utf-8")), encoding="utf-8")
        self.stdout.write(f"{path} mis à jour.")
