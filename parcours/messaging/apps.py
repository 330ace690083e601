from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "parcours.messaging"
    verbose_name = "Messagerie sécurisée"

    def ready(self) -> None:
        # The patient page lists the patient's letters and threads: messaging contributes
        # that part (patients imports no messaging code).
        from parcours.patients.selectors import PATIENT_PAGE_PARTS

        from .selectors import patient_page_mail

        PATIENT_PAGE_PARTS["messaging"] = patient_page_mail
