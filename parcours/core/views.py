from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect

from parcours.accounts.models import Role
from parcours.accounts.scopes import (
    desk_hospital_ids,
    doctor_service_ids,
    is_gp,
    is_identity_cell,
    is_territory_admin,
    membership_rows,
)
from parcours.proximity.access import is_smp_member
from parcours.records.selectors import networks_for


@login_required
def home(request):
    """Each role lands on the list it works from."""
    user = request.user
    if desk_hospital_ids(user):
        return redirect("referrals:inbox")
    if doctor_service_ids(user):
        return redirect("referrals:queue")
    if is_gp(user):
        return redirect("referrals:list")
    if is_identity_cell(user):
        return redirect("patients:duplicates")
    # Issue 14 bug 11: the imaging centre works from its appointments (README, demo accounts).
    if any(m["role"] == Role.IMAGING for m in membership_rows(user)):
        return redirect("scheduling:appointments")
    # The Service Médical de Proximité works from its waiting list (issue 18).
    if is_smp_member(user):
        return redirect("proximity:registry")
    if is_territory_admin(user):
        return redirect("indicators:index")
    # A care network's coordinator, social worker or nurse works from its records (issue 17).
    if networks_for(user=user).exists():
        return redirect("records:index")
    return redirect("directory:index")


HEALTH_TIMEOUT_SECONDS = 1


def _database_answers() -> bool:
    """True when the database answers ``SELECT 1`` within HEALTH_TIMEOUT_SECONDS.

    On PostgreSQL a fresh connection with its own ``connect_timeout`` and
    ``statement_timeout`` (not the pool's, which waits up to DB_POOL_TIMEOUT for a connection):
    a load balancer must learn within a second that this process cannot serve."""
    db = connection.settings_dict
    if not db["ENGINE"].endswith("postgresql"):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return True
        except Exception:  # noqa: BLE001 - any failure means "not healthy"
            return False
    import psycopg  # noqa: PLC0415 — driver used on PostgreSQL only

    try:
        with psycopg.connect(
            dbname=db["NAME"],
            user=db.get("USER") or None,
            password=db.get("PASSWORD") or None,
            host=db.get("HOST") or None,
            port=db.get("PORT") or None,
            connect_timeout=HEALTH_TIMEOUT_SECONDS,
            options=f"-c statement_timeout={HEALTH_TIMEOUT_SECONDS * 1000}",
        ) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


_health_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="healthz")


def healthz(request):
    """200 ``{"status": "ok"}`` when the database answers, else 503 within about a second
    (libpq waits at least 2 s to connect: the check runs in a thread we stop waiting for)."""
    try:
        healthy = _health_pool.submit(_database_answers).result(timeout=HEALTH_TIMEOUT_SECONDS)
    except FuturesTimeout:
        healthy = False
    if healthy:
        return JsonResponse({"status": "ok"})
    return JsonResponse({"status": "unavailable", "database": "no answer"}, status=503)
