"""The baseline of the submission benchmark (bench/submit.py): a Django view that inserts one
row and does nothing else.

Mounted only when PARCOURS_BENCH=1 (see parcours/urls.py), never in a normal deployment. The
table is model-free: bench/submit.py creates it (``bench_ping``) before starting the servers,
so the benchmark needs no migration.
"""

from django.db import connection, transaction
from django.http import HttpResponse
from django.views.decorators.http import require_POST

TABLE_SQL = ("CREATE TABLE IF NOT EXISTS bench_ping "
             "(id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), note text)")


@require_POST
def bare_insert(request):
    """One INSERT in one transaction, behind the same middleware (session, CSRF) as the pages."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_ping (note) VALUES (%s)", ["bench"])
    return HttpResponse("ok", content_type="text/plain")
