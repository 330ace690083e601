"""Reading the mailbox: lists, counts, search; letter rates for the indicators."""

from __future__ import annotations

from django.db.models import Count, F, Q, QuerySet

from parcours.lib import crypto

from .models import DischargeLetter, MailboxEntry


def mailbox_entries(user, *, box: str | None = None, folder=None, q: str = "",
                    unread: bool = False) -> QuerySet[MailboxEntry]:
    """The user's copies, newest first. Search matches whole words (accents and case
    ignored) of the subject, the text, the sender and the patient, through blind tokens."""
    qs = MailboxEntry.objects.filter(user=user)
    if folder is not None:
        qs = qs.filter(folder=folder)
    elif box:
        qs = qs.filter(box=box, folder__isnull=True)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    for token in crypto.search_tokens(q or ""):
        qs = qs.filter(message__search_tokens__contains=f" {token} ")
    return qs.select_related("message__sender", "message__thread__patient").order_by(
        "-sent_at", "-id")


def unread_count(user) -> int:
    return MailboxEntry.objects.filter(user=user, read_at__isnull=True,
                                       box=MailboxEntry.Box.INBOX).count()


def letter_rates(*, services=None, since=None, until=None) -> list[dict]:
    """Per service: letters due, sent, sent within 48 h, late (sent late or still unsent
    past due), acknowledged, and the rates over the letters due."""
    from django.utils import timezone

    now = timezone.now()
    qs = DischargeLetter.objects.all()
    if services is not None:
        qs = qs.filter(service__in=services)
    if since is not None:
        qs = qs.filter(discharged_at__gte=since)
    if until is not None:
        qs = qs.filter(discharged_at__lt=until)
    rows = (qs.values("service_id", "service__name", "service__hospital__name")
            .annotate(total=Count("id"),
                      sent=Count("id", filter=Q(sent_at__isnull=False)),
                      on_time=Count("id", filter=Q(sent_at__lte=F("due_at"))),
                      late=Count("id", filter=Q(sent_at__gt=F("due_at"))
                                 | Q(sent_at__isnull=True, due_at__lt=now)),
                      pending=Count("id", filter=Q(sent_at__isnull=True, due_at__gte=now)),
                      acknowledged=Count("id", filter=Q(acknowledged_at__isnull=False)))
            .order_by("service__hospital__name", "service__name"))
    out = []
    for r in rows:
        closed = r["total"] - r["pending"]
        r["on_time_rate"] = round(100 * r["on_time"] / closed, 1) if closed else None
        r["ack_rate"] = round(100 * r["acknowledged"] / r["sent"], 1) if r["sent"] else None
        out.append(r)
    return out
