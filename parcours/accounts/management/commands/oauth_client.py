"""``parcours oauth_client NAME USERNAME``: register a system for OAuth 2 client credentials.

Prints the client id and the secret (shown once). The system then asks
``POST /fhir/oauth2/token`` for bearer tokens and acts as USERNAME (docs/fhir.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from parcours.accounts.models import User
from parcours.accounts.services import oauth_client_create


class Command(BaseCommand):
    help = "Register a system (practice software…) for OAuth 2 client credentials."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the software, e.g. « Logiciel du cabinet »")
        parser.add_argument("username", help="the account the software acts as")

    def handle(self, *args, name: str, username: str, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Compte inconnu : {username}")
        client, secret = oauth_client_create(name=name, user=user)
        self.stdout.write(f"client_id={client.client_id}\nclient_secret={secret}")
