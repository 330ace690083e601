from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "parcours.patients"
    verbose_name = "Patients"
