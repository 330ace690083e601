from django.apps import AppConfig


class LabsConfig(AppConfig):
    name = "parcours.labs"
    verbose_name = "Résultats de biologie"
