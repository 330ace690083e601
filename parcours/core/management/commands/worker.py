from django.conf import settings
from django.core.management.base import BaseCommand

from parcours.core.worker import run_forever, run_once


class Command(BaseCommand):
    help = "Run the background worker (SLA escalations, notification e-mails)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one round, then exit")
        parser.add_argument("--interval", type=float, default=settings.WORKER_INTERVAL_SECONDS)

    def handle(self, *args, once=False, interval=None, **options):
        if once:
            self.stdout.write(str(run_once()))
            return
        run_forever(interval)
