from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "parcours.scheduling"
    verbose_name = "Agendas et rendez-vous"

    def ready(self):
        # The request page shows the request's appointments and proposed slots: scheduling
        # contributes that part (referrals, below in the layers, imports no scheduling code).
        from parcours.referrals.selectors import REFERRAL_PAGE_PARTS

        from .selectors import referral_booking

        REFERRAL_PAGE_PARTS["booking"] = referral_booking
