from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "parcours.accounts"
    verbose_name = "Comptes et rôles"
