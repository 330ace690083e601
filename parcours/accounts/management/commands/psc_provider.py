"""``parcours psc_provider``: the local PSC-shaped provider with the territory's professionals.

For the demo only (``parcours demo`` starts it): every active account with an RPPS becomes a
predefined professional of the provider (``SubjectNameID`` « 8 » + RPPS, one practice per
organisation of its memberships, GPs also the out-of-hours clinic), clicked on the provider's
authorisation page. Refused in production.
"""

from __future__ import annotations

import os
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from parcours.accounts import psc_provider
from parcours.accounts.models import Role
from parcours.accounts.selectors import professionals_with_rpps

DEMO_ON_CALL_SITE = {
    "raisonSocialeSite": "Maison médicale de garde de Laval",
    "libelleCommune": "Laval",
    "identifiantTechniqueDeLaStructure": "R10000000053000",
}


def demo_professionals() -> list:
    """The provider's users: one per active account with an RPPS (see module doc)."""
    out = []
    for user in professionals_with_rpps():
        practices = []
        seen = set()
        for membership in user.memberships.all():
            org = membership.organisation
            if org.pk in seen:
                continue
            seen.add(org.pk)
            practices.append(
                {
                    "raisonSocialeSite": org.name,
                    "libelleCommune": getattr(org, "town", "") or "",
                    "numeroFinessSite": getattr(org, "finess", "") or "",
                }
            )
        if user.has_role(Role.GP):
            # GPs also take turns at the out-of-hours clinic: a second practice, so that the
            # demo shows the choice of the session's practice.
            practices.append(DEMO_ON_CALL_SITE)
        out.append(
            psc_provider.psc_user(
                rpps=user.rpps,
                given_name=user.first_name,
                family_name=user.last_name,
                practices=practices,
                sub=f"{user.username} (8{user.rpps})",
            )
        )
    return out


class Command(BaseCommand):
    help = "Serve the local Pro Santé Connect-shaped provider of the demo (never in production)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=9400)

    def handle(self, *args, host: str, port: int, **options):
        if settings.PRODUCTION:
            raise CommandError("The local PSC provider is for the demo and the tests only.")
        # The local provider speaks plain HTTP on the loopback address.
        os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
        users = demo_professionals()
        app = psc_provider.make_app(users=users)
        with psc_provider.running(app, host=host, port=port) as issuer:
            self.stdout.write(f"PSC local (démo) : {issuer} — {len(users)} professionnels")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
