from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "parcours.audit"
    verbose_name = "Traçabilité"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the start-up checks)
