"""Reads on the directory."""

from django.db.models import Prefetch, Q, QuerySet

from .models import HospitalService, Organisation, Practitioner, PractitionerRole


def hospital_list(*, query: str = "") -> QuerySet[Organisation]:
    services = HospitalService.objects.order_by("name")
    if query:
        services = services.filter(Q(name__icontains=query) | Q(specialty__icontains=query))
    qs = Organisation.objects.filter(kind=Organisation.Kind.HOSPITAL, active=True)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(town__icontains=query)
                       | Q(services__name__icontains=query)
                       | Q(services__specialty__icontains=query)).distinct()
    return qs.prefetch_related(Prefetch("services", queryset=services)).order_by("name")


def practitioner_search(*, query: str = "", limit: int = 100) -> QuerySet[Practitioner]:
    qs = Practitioner.objects.all()
    for word in query.split():
        qs = qs.filter(Q(last_name__icontains=word) | Q(first_name__icontains=word)
                       | Q(specialty__icontains=word) | Q(rpps=word))
    return qs.prefetch_related(
        Prefetch("roles", queryset=PractitionerRole.objects.select_related(
            "organisation", "service"))).order_by("last_name", "first_name")[:limit]


def service_get_doctors(service: HospitalService) -> QuerySet[Practitioner]:
    return Practitioner.objects.filter(roles__service=service).distinct() \
        .order_by("last_name", "first_name")
