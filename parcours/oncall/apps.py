from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "parcours.oncall"
    verbose_name = "Tableaux de garde"

    def ready(self):
        # The directory's service page shows who answers its on-call lines now: oncall
        # contributes that part (the directory, below in the layers, imports no oncall code).
        from parcours.directory.selectors import SERVICE_PAGE_PARTS

        from .selectors import service_on_call

        SERVICE_PAGE_PARTS["on_call"] = service_on_call
