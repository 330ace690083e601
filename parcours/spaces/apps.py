from django.apps import AppConfig


class SpacesConfig(AppConfig):
    name = "parcours.spaces"
    verbose_name = "Espaces collaboratifs"
