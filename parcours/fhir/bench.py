"""The baseline view of bench/fhir_crud.py, mounted only when PARCOURS_BENCH=1: what a plain
Django view costs to insert one row (no token, no service, no audit, no FHIR mapping)."""

import json
from datetime import date

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from parcours.accounts.models import User
from parcours.patients.models import Patient


@csrf_exempt
def bare_insert(request):
    user_id = User.objects.values_list("pk", flat=True).order_by("pk").first()
    p = Patient.objects.create(birth_name="BENCH", birth_given_names="BASELINE",
                               birth_date=date(1970, 1, 1), sex="F", created_by_id=user_id,
                               search_name="BENCH BASELINE")
    return HttpResponse(json.dumps({"id": p.pk}), status=201, content_type="application/json")
