import signal
import threading

from django.core.management.base import BaseCommand

from parcours.messaging.gateway import bridge_controller


class Command(BaseCommand):
    help = (
        "Receive mail from external secure messaging (SMTP) into Parcours mailboxes "
        "(<identifiant>@MSS_DOMAIN)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)

    def handle(self, *args, host, port, **options):
        controller = bridge_controller(host, port)
        controller.start()
        self.stdout.write(f"Passerelle SMTP entrante sur {host}:{port}")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *a: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()
