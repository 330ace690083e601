"""Benchmark-only views: the bare floors our benchmarks compare Parcours with.

Mounted by bench/bench_urls.py, which only bench/settings_bench.py uses; the product's URLconf
and settings know nothing of them (issue 15: benchmarks out of the product).

- ``bare_insert`` (bench/submit.py): one INSERT into the model-free table ``bench_ping`` in one
  transaction, behind the same middleware (session, CSRF) as the pages. bench/submit.py creates
  the table (``TABLE_SQL``) before starting the servers, so the benchmark needs no migration.
- ``hello`` (bench/api_floor.py): the floor of the floor, a constant text answer behind the
  same middleware, no database.
- ``bare_patient_insert`` (bench/fhir_crud.py, bench/api_floor.py): what a plain Django view
  costs to insert one Patient row through the ORM (no token, no service, no audit, no FHIR mapping).
"""

import json
from datetime import date

from django.db import connection, transaction
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from parcours.accounts.models import User
from parcours.patients.models import Patient

TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS bench_ping "
    "(id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), note text)"
)


def hello(request):
    """No database, no template: answers 200 ``hello`` (text/plain)."""
    return HttpResponse("hello", content_type="text/plain")


@require_POST
def bare_insert(request):
    """One INSERT in one transaction; answers 200 ``ok`` (text/plain)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_ping (note) VALUES (%s)", ["bench"])
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt
@require_POST
def bare_patient_insert(request):
    """One ORM insert of a Patient; answers 201 with ``{"id": <pk>}``."""
    user_id = User.objects.values_list("pk", flat=True).order_by("pk").first()
    p = Patient.objects.create(
        birth_name="BENCH",
        birth_given_names="BASELINE",
        birth_date=date(1970, 1, 1),
        sex="F",
        created_by_id=user_id,
        search_name="BENCH BASELINE",
    )
    return HttpResponse(json.dumps({"id": p.pk}), status=201, content_type="application/json")
