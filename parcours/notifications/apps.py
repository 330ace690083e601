from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "parcours.notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from parcours.patients.services import EMERGENCY_ACCESS_HOOKS

        from .services import emergency_access_notify

        if emergency_access_notify not in EMERGENCY_ACCESS_HOOKS:
            EMERGENCY_ACCESS_HOOKS.append(emergency_access_notify)
