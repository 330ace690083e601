from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "parcours.oncall"
    verbose_name = "Tableaux de garde"
