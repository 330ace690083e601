from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "parcours.scheduling"
    verbose_name = "Agendas et rendez-vous"
