"""parcours import-summary FILE --user USERNAME: a hospital record summary (a FHIR transaction
Bundle in JSON) imported as if POSTed to /fhir by that user, all or nothing."""

import json

from django.core.management.base import BaseCommand, CommandError

from parcours.accounts.models import User
from parcours.fhir.errors import FhirError
from parcours.fhir.summary import import_bundle


class Command(BaseCommand):
    help = "Importe une synthèse de dossier hospitalier (Bundle FHIR transaction, JSON)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="compte de l'établissement émetteur")

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError("Utilisateur inconnu.")
        try:
            with open(options["file"], encoding="utf-8") as handle:
                bundle = json.load(handle)
        except (OSError, ValueError) as exc:
            raise CommandError(f"Fichier illisible : {exc}") from None
        try:
            received, _ = import_bundle(user=user, bundle=bundle, channel="file")
        except FhirError as exc:
            raise CommandError("; ".join(i["diagnostics"] for i in exc.issues)) from None
        self.stdout.write(
            f"{received.item_count} élément(s) importé(s) pour le patient "
            f"n° {received.patient_id} ({received.source.name})."
        )
