from django.apps import AppConfig


class LabsConfig(AppConfig):
    name = "parcours.labs"
    verbose_name = "Résultats de biologie"

    def ready(self) -> None:
        # Waiting results attach by themselves when their patient is created (or gets the
        # INS the file declared): patients may not import labs (apps import downward only),
        # so labs registers its hook there.
        from parcours.patients.services import IDENTITY_HOOKS

        from .services import lab_reports_attach_by_ins

        if lab_reports_attach_by_ins not in IDENTITY_HOOKS:
            IDENTITY_HOOKS.append(lab_reports_attach_by_ins)

        # The patient page lists the patient's lab results (labs' access rules).
        from parcours.patients.selectors import PATIENT_PAGE_PARTS

        from .selectors import patient_page_lab_reports

        PATIENT_PAGE_PARTS["labs"] = patient_page_lab_reports
