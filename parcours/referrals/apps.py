from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "parcours.referrals"
    verbose_name = "Demandes"

    def ready(self) -> None:
        # The patient page lists the patient's requests: referrals contributes that part
        # (patients, below in the layers, imports no referral code).
        from parcours.patients.access import CARE_RELATIONSHIP_SOURCES
        from parcours.patients.selectors import PATIENT_PAGE_PARTS

        from .access import referral_queryset_for
        from .selectors import patient_page_referrals

        PATIENT_PAGE_PARTS["referrals"] = patient_page_referrals
        # A request the user may see is a care relationship with its patient (patients/access).
        CARE_RELATIONSHIP_SOURCES["referrals"] = referral_queryset_for
