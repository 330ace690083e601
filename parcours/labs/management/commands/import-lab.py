"""parcours import-lab FILE…: import lab result files (HPRIM Net, HPRIM Santé, HL7 v2)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from parcours.labs.services import lab_import_file
from parcours.lib.labs import LabParseError


class Command(BaseCommand):
    help = "Importe des fichiers de résultats de biologie (HPRIM Net, HPRIM Santé, HL7 v2)."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args, files, **options):
        refused = 0
        for path in files:
            try:
                outcome = lab_import_file(data=path.read_bytes(), file_name=path.name)
            except OSError as exc:
                refused += 1
                self.stderr.write(f"{path} : illisible ({exc.strerror})")
            except LabParseError as exc:
                refused += 1
                self.stderr.write(f"{path} : refusé — {exc}")
            else:
                if outcome.created:
                    self.stdout.write(
                        f"{path} : {outcome.reports} compte(s) rendu(s), "
                        f"{outcome.matched} rattaché(s), {outcome.pending} en attente "
                        f"d'identification, {outcome.critical} avec résultat critique, "
                        f"{outcome.unknown_prescriber} prescripteur(s) non reconnu(s) ; "
                        f"encodage {outcome.encoding or 'non indiqué'}"
                    )
                else:
                    self.stdout.write(f"{path} : déjà importé, rien de nouveau")
        if refused:
            raise CommandError(f"{refused} fichier(s) refusé(s), rien n'en a été importé.")
