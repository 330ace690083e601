from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "parcours.scheduling"
    verbose_name = "Agendas et rendez-vous"

    def ready(self):
        # The request page shows the request's appointments and proposed slots: scheduling
        # contributes that part (referrals, below in the layers, imports no scheduling code).
        from parcours.patients.selectors import PATIENT_PAGE_PARTS
        from parcours.referrals.selectors import REFERRAL_PAGE_PARTS

        from .selectors import patient_page_appointments, referral_booking

        REFERRAL_PAGE_PARTS["booking"] = referral_booking
        # The patient page lists the patient's appointments and imaging reports.
        PATIENT_PAGE_PARTS["scheduling"] = patient_page_appointments
