from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "parcours.scheduling"
    verbose_name = "Agendas et rendez-vous"

    def ready(self):
        # The request page shows the request's appointments and proposed slots: scheduling
        # contributes that part (referrals, below in the layers, imports no scheduling code).
        from parcours.patients.access import CARE_RELATIONSHIP_SOURCES
        from parcours.patients.selectors import PATIENT_PAGE_PARTS
        from parcours.referrals.selectors import REFERRAL_PAGE_PARTS

        from .access import appointment_care_queryset_for
        from .selectors import patient_page_appointments, referral_booking

        # An appointment the user may see is a care relationship with its patient.
        CARE_RELATIONSHIP_SOURCES["scheduling"] = appointment_care_queryset_for

        REFERRAL_PAGE_PARTS["booking"] = referral_booking
        # The patient page lists the patient's appointments and imaging reports.
        PATIENT_PAGE_PARTS["scheduling"] = patient_page_appointments
