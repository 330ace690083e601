"""parcours import-annuaire FILE: load or refresh the directory from the Annuaire Santé
extract (see parcours/directory/annuaire.py and docs/operations.md, "Directory import")."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from parcours.directory.annuaire import AnnuaireFormatError, import_annuaire


class Command(BaseCommand):
    help = (
        "Importe l'extraction Annuaire Santé (PS_LibreAcces_Personne_activite) : "
        "ajoute, met à jour et désactive les professionnels, structures et activités."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--encoding", help="forcer l'encodage (sinon détecté)")
        parser.add_argument(
            "--no-progress", action="store_true", help="pas de barre de progression"
        )
        parser.add_argument(
            "--show-errors",
            type=int,
            default=20,
            help="nombre de lignes rejetées affichées (défaut 20)",
        )

    def handle(
        self, *args, file: Path, encoding=None, no_progress=False, show_errors=20, **options
    ):
        self.verbosity = options.get("verbosity", 1)
        if not file.is_file():
            raise CommandError(f"Fichier introuvable : {file}")
        bar = None
        if not no_progress and sys.stderr.isatty():
            bar = tqdm(
                total=file.stat().st_size,
                unit="o",
                unit_scale=True,
                desc="Lecture",
                file=sys.stderr,
            )
        try:
            result = import_annuaire(
                file, encoding=encoding, progress=bar.update if bar else None, log=self._log(bar)
            )
        except AnnuaireFormatError as exc:
            raise CommandError(f"Fichier refusé, rien n'a été importé : {exc}") from exc
        finally:
            if bar:
                bar.close()
        run = result.run
        out = self.stdout
        out.write(f"Import n° {run.pk} — {file.name} ({run.encoding})")
        out.write(f"  lignes lues : {result.rows_read}, rejetées : {result.rows_rejected}")
        for label, c in (
            ("professionnels", result.practitioners),
            ("structures", result.organisations),
            ("activités", result.roles),
        ):
            out.write(
                f"  {label} : {c.added} ajoutés, {c.changed} modifiés, "
                f"{c.gone} disparus (désactivés)"
            )
        out.write(f"  durée : {run.duration.total_seconds():.1f} s")
        for err in result.errors[:show_errors]:
            self.stderr.write(f"  ligne {err['line']} : {err['error']}")
        if result.rows_rejected > show_errors:
            self.stderr.write(
                f"  … {result.rows_rejected - show_errors} autre(s) ligne(s) "
                "rejetée(s) : voir l'import dans l'administration."
            )

    def _log(self, bar):
        def log(message: str) -> None:
            if bar:
                bar.write(message, file=sys.stderr)
            elif self.verbosity > 1:
                self.stderr.write(message)

        return log
