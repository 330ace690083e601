"""Who sees lab reports: the prescriber named in the report; professionals with a care
relationship with the patient (patients/access.py: a request, an appointment, a message, a
care link, the médecin traitant, an open « bris de glace ») once the report is attached;
identitovigilance reviewers (the regional cell, pathway desks) for the reports waiting for a
patient. Finding the patient's identity by its traits opens none of them (issue 12); the
territory administrator reads none either (least privilege, issue 13). Everyone else: 404."""

from django.db.models import Q, QuerySet
from django.http import Http404

from parcours.patients.access import is_identity_reviewer, patient_queryset_for

from .models import LabReport


def lab_report_queryset_for(user) -> QuerySet[LabReport]:
    """The lab reports this user may read. Takes a user; returns a LabReport queryset."""
    if not user.is_authenticated:
        return LabReport.objects.none()
    condition = Q(prescriber=user) | Q(patient__in=patient_queryset_for(user).values("pk"))
    if is_identity_reviewer(user):
        condition |= Q(match=LabReport.Match.PENDING)
    return LabReport.objects.filter(condition)


def access_lab_report(user, report_id) -> LabReport:
    try:
        return (
            lab_report_queryset_for(user)
            .select_related("patient", "prescriber", "lab_import")
            .get(pk=report_id)
        )
    except (LabReport.DoesNotExist, ValueError, TypeError):
        raise Http404("Compte rendu introuvable") from None
