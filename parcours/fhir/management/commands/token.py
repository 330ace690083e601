"""``parcours token USERNAME``: issue, list or revoke a user's FHIR API tokens."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from parcours.accounts.models import ApiToken, User
from parcours.fhir.tokens import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = (
        "Print a new FHIR API bearer token for USERNAME (shown once), or list / revoke "
        "that user's tokens."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--expires-days",
            type=int,
            default=None,
            help="the token expires after N days (default: never)",
        )
        parser.add_argument("--name", default="", help="a label, e.g. the client software")
        parser.add_argument("--revoke", type=int, metavar="ID", help="revoke the token ID")
        parser.add_argument(
            "--list", action="store_true", dest="list_tokens", help="list the user's tokens"
        )

    def handle(self, *args, username, expires_days, name, revoke, list_tokens, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"Utilisateur inconnu : {username}") from None
        if list_tokens:
            self._list(user)
            return
        if revoke is not None:
            try:
                token = api_token_revoke(user=user, token_id=revoke)
            except ApiToken.DoesNotExist:
                raise CommandError(f"Aucun jeton n° {revoke} pour {username}.") from None
            self.stdout.write(f"Jeton n° {token.pk} ({token.prefix}…) révoqué.")
            return
        if expires_days is not None and expires_days <= 0:
            raise CommandError("--expires-days doit être un nombre de jours positif.")
        if not user.is_active:
            raise CommandError(f"Le compte {username} est désactivé.")
        issued = api_token_create(user=user, name=name, expires_days=expires_days)
        if options["verbosity"] >= 1:
            until = (
                f"expire le {timezone.localtime(issued.token.expires_at):%d/%m/%Y %H:%M}"
                if issued.token.expires_at
                else "sans expiration"
            )
            self.stderr.write(
                f"Jeton n° {issued.token.pk} pour {username} ({until}). "
                "Conservez-le : il ne sera plus affiché."
            )
        # The token alone on stdout, so that scripts can capture it.
        self.stdout.write(issued.secret)

    def _list(self, user):
        now = timezone.now()
        for token in ApiToken.objects.filter(user=user):
            state = (
                "révoqué"
                if token.revoked_at
                else "expiré"
                if token.expires_at and token.expires_at <= now
                else "actif"
            )
            expires = (
                f"{timezone.localtime(token.expires_at):%d/%m/%Y}" if token.expires_at else "-"
            )
            used = (
                f"{timezone.localtime(token.last_used_at):%d/%m/%Y %H:%M}"
                if token.last_used_at
                else "jamais"
            )
            self.stdout.write(
                f"{token.pk}\t{token.prefix}…\t{state}\texpire : {expires}\t"
                f"utilisé : {used}\t{token.name}"
            )
