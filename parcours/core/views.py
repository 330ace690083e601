from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect

from parcours.accounts.scopes import (
    desk_hospital_ids,
    doctor_service_ids,
    is_gp,
    is_territory_admin,
)


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
    if is_territory_admin(user):
        return redirect("indicators:index")
    return redirect("directory:index")


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
