from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "parcours.directory"
    verbose_name = "Annuaire"
