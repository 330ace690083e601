from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "parcours.messaging"
    verbose_name = "Messagerie sécurisée"
