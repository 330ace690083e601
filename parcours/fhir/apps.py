from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "parcours.fhir"
    label = "fhir"
    verbose_name = "API FHIR"
