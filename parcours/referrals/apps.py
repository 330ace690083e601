from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "parcours.referrals"
    verbose_name = "Demandes"

    def ready(self) -> None:
        # The patient page lists the patient's requests: referrals contributes that part
        # (patients, below in the layers, imports no referral code).
        from parcours.patients.selectors import PATIENT_PAGE_PARTS

        from .selectors import patient_page_referrals

        PATIENT_PAGE_PARTS["referrals"] = patient_page_referrals
