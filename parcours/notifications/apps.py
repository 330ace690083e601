from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "parcours.notifications"
    verbose_name = "Notifications"
