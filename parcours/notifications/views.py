"""The notification centre and the live event stream (Server-Sent Events)."""

import json
import time
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, F, Max, Q, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from . import broker
from .models import Notification
from .services import notification_mark_read

GROUPS_PER_PAGE = 25
SHOWN_PER_GROUP = 5


def _group_key():
    """One group per request; a notification about no request is a group of its own (its
    negated id never collides with a request id)."""
    return Coalesce(F("referral_id"), Value(0) - F("id"))


@login_required
def centre(request):
    """The notification centre, grouped by request: one entry per request (newest activity
    first) with its unread count and its latest notifications; a notification about no request
    (a message, a lab result…) stands alone. Paginated by group."""
    mine = Notification.objects.filter(user=request.user)
    groups = (
        mine.annotate(group=_group_key())
        .values("group")
        .annotate(
            last=Max("id"), total=Count("id"), unread=Count("id", filter=Q(read_at__isnull=True))
        )
        .order_by("-last")
    )
    page = Paginator(groups, GROUPS_PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    referral_ids = [g["group"] for g in rows if g["group"] > 0]
    single_ids = [-g["group"] for g in rows if g["group"] <= 0]
    by_group: dict[int, list[Notification]] = {}
    for n in (
        mine.filter(Q(referral_id__in=referral_ids) | Q(pk__in=single_ids))
        .select_related("referral")
        .order_by("-id")
    ):
        by_group.setdefault(n.referral_id or -n.pk, []).append(n)
    entries = []
    for g in rows:
        items = by_group.get(g["group"], [])
        entries.append(
            {
                "referral": items[0].referral if g["group"] > 0 and items else None,
                "items": items[:SHOWN_PER_GROUP],
                "older": items[SHOWN_PER_GROUP:],
                "total": g["total"],
                "unread": g["unread"],
                "unread_ids": [n.pk for n in items if n.read_at is None],
            }
        )
    return render(request, "notifications/centre.html", {"page": page, "groups": entries})


@login_required
@require_POST
def mark_read(request):
    ids = request.POST.getlist("id")
    notification_mark_read(
        user=request.user, notification_ids=[int(i) for i in ids if i.isdigit()] or None
    )
    target = request.POST.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("notifications:centre")


@login_required
def open_notification(request, pk):
    notification = Notification.objects.filter(user=request.user, pk=pk).first()
    if notification is None:
        return redirect("notifications:centre")
    if notification.read_at is None:
        notification_mark_read(user=request.user, notification_ids=[notification.pk])
    target = notification.url
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("notifications:centre")


def _event_payload(n: dict) -> dict:
    return {
        "id": n["id"],
        "kind": n["kind"],
        "title": n["title"],
        "body": n["body"][:300],
        "url": f"/notifications/{n['id']}/ouvrir/",
        "referral": n["referral_id"],
        "created_at": timezone.localtime(n["created_at"]).strftime("%d/%m/%Y %H:%M"),
    }


@sync_to_async
def _rows_after(user_id: int, after: int) -> tuple[list[Any], int]:
    try:
        rows = list(
            Notification.objects.filter(user_id=user_id, id__gt=after)
            .order_by("id")
            .values("id", "kind", "title", "body", "referral_id", "created_at")[:100]
        )
        unread = (
            Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()
            if rows
            else -1
        )
        return rows, unread
    finally:
        # A stream lives for hours: do not pin a database connection to it between reads.
        if not connection.in_atomic_block:
            connection.close()


@sync_to_async
def _latest_id(user_id: int) -> int:
    try:
        return (
            Notification.objects.filter(user_id=user_id)
            .order_by("-id")
            .values_list("id", flat=True)
            .first()
            or 0
        )
    finally:
        if not connection.in_atomic_block:
            connection.close()


async def stream(request):
    """text/event-stream of the user's new notifications.

    Resumes after ``Last-Event-ID`` (sent by the browser on reconnect) or ``?after=`` (the last
    id the page was rendered with), so nothing created in between is missed.
    """
    user = await request.auser()
    if not user.is_authenticated:
        return HttpResponse(status=401)
    raw = request.headers.get("Last-Event-ID") or request.GET.get("after") or ""
    after = int(raw) if raw.isdigit() else await _latest_id(user.pk)
    max_seconds = float(request.GET.get("max", 0) or 0)  # lets tests and benches end streams

    async def events():
        nonlocal after
        subscription = broker.subscribe(user.pk)
        started = last_sent = time.monotonic()
        try:
            yield "retry: 2000\n\n"
            while True:
                rows, unread = await _rows_after(user.pk, after)
                for row in rows:
                    after = row["id"]
                    payload = _event_payload(row)
                    payload["unread"] = unread
                    yield f"id: {after}\nevent: notification\ndata: {json.dumps(payload)}\n\n"
                    last_sent = time.monotonic()
                if len(rows) == 100:
                    continue
                now = time.monotonic()
                if max_seconds and now - started > max_seconds:
                    return
                if now - last_sent >= broker.poll_seconds():
                    yield ": keepalive\n\n"
                    last_sent = now
                await subscription.wait(broker.poll_seconds())
        finally:
            subscription.close()

    response = StreamingHttpResponse(events(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache, no-store"
    response["X-Accel-Buffering"] = "no"
    return response
