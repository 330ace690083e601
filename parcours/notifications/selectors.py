"""Reading notifications: the centre's groups, the live stream's rows (issue 15, item 5)."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Max, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from .models import Notification

GROUPS_PER_PAGE = 25
SHOWN_PER_GROUP = 5
STREAM_BATCH = 100


def _group_key():
    """One group per request; a notification about no request is a group of its own (its
    negated id never collides with a request id)."""
    return Coalesce(F("referral_id"), Value(0) - F("id"))


def notification_groups(*, user, page: str | int | None) -> tuple[Page, list[dict[str, Any]]]:
    """The notification centre of ``user``, grouped by request, newest activity first.

    Takes the page number as sent by the browser (anything invalid gives the first or last
    page, Django's ``Paginator.get_page``). Returns the page of groups and, for each group, a
    dict: ``referral`` (or None for a notification about no request), ``items`` (the latest
    ``SHOWN_PER_GROUP``), ``older``, ``total``, ``unread``, ``unread_ids``. Three queries
    whatever the number of groups."""
    mine = Notification.objects.filter(user=user)
    groups = (
        mine.annotate(group=_group_key())
        .values("group")
        .annotate(
            last=Max("id"), total=Count("id"), unread=Count("id", filter=Q(read_at__isnull=True))
        )
        .order_by("-last")
    )
    shown = Paginator(groups, GROUPS_PER_PAGE).get_page(page)
    rows = list(shown.object_list)
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
    return shown, entries


def notifications_after(*, user_id: int, after: int) -> tuple[list[Any], int]:
    """The user's notifications with an id above ``after``, oldest first, at most
    ``STREAM_BATCH``, as dicts (id, kind, title, body, referral_id, created_at: aware UTC), and
    the user's unread count (-1 when there is no new row: not counted). Two queries at most."""
    rows: list[Any] = list(
        Notification.objects.filter(user_id=user_id, id__gt=after)
        .order_by("id")
        .values("id", "kind", "title", "body", "referral_id", "created_at")[:STREAM_BATCH]
    )
    unread = unread_count(user_id=user_id) if rows else -1
    return rows, unread


def unread_count(*, user_id: int) -> int:
    """How many notifications of the user are unread. One query."""
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()


def latest_notification_id(*, user_id: int) -> int:
    """The id of the user's newest notification, 0 if none. One query."""
    return (
        Notification.objects.filter(user_id=user_id)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
        or 0
    )


def user_notifications(user) -> QuerySet[Notification]:
    """Every notification addressed to ``user`` (not evaluated)."""
    return Notification.objects.filter(user=user)
