from django.core.management.base import BaseCommand

from parcours.core.demo import load_demo


class Command(BaseCommand):
    help = "Load the fictional demo territory (idempotent: does nothing if already loaded)."

    def handle(self, *args, **options):
        result = load_demo()
        if result.get("skipped"):
            self.stdout.write("Demo territory already loaded.")
        else:
            self.stdout.write(f"Demo territory loaded: {result}")
