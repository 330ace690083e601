from django.apps import AppConfig


class ProximityConfig(AppConfig):
    name = "parcours.proximity"
    verbose_name = "Service Médical de Proximité"

    def ready(self) -> None:
        # A consultation at the SMP is a care relationship with its patient (patients/access):
        # patients, below in the layers, imports no proximity code.
        from parcours.patients.access import CARE_RELATIONSHIP_SOURCES

        from .access import consultation_queryset_for

        CARE_RELATIONSHIP_SOURCES["proximity"] = consultation_queryset_for
