from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "parcours.referrals"
    verbose_name = "Demandes"
