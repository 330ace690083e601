from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from parcours.accounts.scopes import is_gp

from .models import HospitalService, Organisation, Practitioner
from .selectors import hospital_list, practitioner_search, service_get_doctors


@login_required
def index(request):
    query = request.GET.get("q", "").strip()[:100]
    return render(request, "directory/index.html", {
        "query": query,
        "hospitals": hospital_list(query=query),
        "practitioners": practitioner_search(query=query, limit=50) if query else None,
        "others": Organisation.objects.filter(active=True).exclude(
            kind=Organisation.Kind.HOSPITAL).order_by("kind", "name") if not query else None,
    })


@login_required
def service_detail(request, pk):
    service = get_object_or_404(HospitalService.objects.select_related("hospital", "head"), pk=pk)
    return render(request, "directory/service.html", {
        "service": service, "doctors": service_get_doctors(service),
        "delays": service.delays.all(), "can_refer": is_gp(request.user)})


@login_required
def practitioner_detail(request, pk):
    practitioner = get_object_or_404(Practitioner, pk=pk)
    roles = practitioner.roles.select_related("organisation", "service")
    return render(request, "directory/practitioner.html",
                  {"practitioner": practitioner, "roles": roles})
