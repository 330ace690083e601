from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "parcours.indicators"
    verbose_name = "Indicateurs"
