from django.core.management.base import BaseCommand

from parcours.lib.crypto import primary_key_id
from parcours.messaging.services import keys_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every message, subject, attachment and signing key with the first key "
        "of MESSAGING_KEYS. Afterwards the older keys can be removed."
    )

    def handle(self, *args, **options):
        counts = keys_rotate()
        self.stdout.write(
            f"Rechiffré avec la clé {primary_key_id()} : {counts['threads']} fil(s), "
            f"{counts['messages']} message(s), {counts['attachments']} pièce(s) jointe(s), "
            f"{counts['keys']} clé(s) de signature."
        )
