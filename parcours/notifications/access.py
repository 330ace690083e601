"""Who may see a notification: only the person it is addressed to (issue 15, item 5)."""

from __future__ import annotations

from .models import Notification


def access_notification(user, notification_id: int) -> Notification | None:
    """The notification ``notification_id`` if it is addressed to ``user``, else None — the
    same answer whether it is missing or someone else's, so that ids cannot be probed. One
    query."""
    if not user.is_authenticated:
        return None
    return Notification.objects.filter(user=user, pk=notification_id).first()
