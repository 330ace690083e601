from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "parcours.core"
    verbose_name = "Socle"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import checks  # noqa: F401 - registers the start-up checks
        from .middleware import IdleTimeoutMiddleware

        # The idle clock starts at login, in the session row the login writes anyway (no
        # extra write on the first page).
        user_logged_in.connect(
            IdleTimeoutMiddleware.stamp_login, dispatch_uid="parcours-idle-stamp"
        )
