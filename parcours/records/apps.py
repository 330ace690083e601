from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "parcours.records"
    verbose_name = "Dossiers de réseau"
