"""The e-mail side of notifications: the worker drains the outbox.

Each e-mail is sent and marked sent in its own action (``lib.actions``), the row locked
meanwhile (SKIP LOCKED: several workers share the outbox). A worker killed at any point
therefore loses nothing (an unmarked row is sent again) and re-sends at most the one e-mail it
was sending when it died — with the same ``Message-ID``, the idempotency key of e-mail (RFC 5322
§3.6.4), by which mail servers and clients recognise the copy. A failure is retried with
growing, jittered delays (``lib/retry.py``) for ``OUTBOX_RETRY_HOURS``; then the row is given up
and the territory administrators are told in the application.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.accounts.models import Role, User
from parcours.lib.actions import action
from parcours.lib.retry import retry_delay

from .models import Notification
from .services import notify

logger = logging.getLogger(__name__)
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)


def notification_message_id(notification: Notification) -> str:
    """The e-mail's Message-ID: the same for every attempt at the same notification."""
    domain = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return f"<notification-{notification.pk}@{domain or 'parcours.invalid'}>"


def _due(now):
    return Notification.objects.filter(
        email_wanted=True, emailed_at__isnull=True, email_failed_at__isnull=True
    ).filter(Q(email_next_attempt_at__isnull=True) | Q(email_next_attempt_at__lte=now))


def _email(n: Notification, connection) -> EmailMessage:
    link = f"{settings.SITE_URL}/notifications/{n.pk}/ouvrir/"
    body = _(
        "Bonjour,\n\n%(title)s\n\nConsultez-la sur Parcours : %(link)s\n\n"
        "Ce message ne contient aucune donnée de santé ; connectez-vous pour lire "
        "le détail.\n"
    ) % {"title": n.title, "link": link}
    return EmailMessage(
        f"[Parcours] {n.title}",
        body,
        settings.DEFAULT_FROM_EMAIL,
        [n.user.email],
        connection=connection,
        headers={"Message-ID": notification_message_id(n)},
    )


def _give_up(n: Notification) -> None:
    """Tell the territory administrators, in the application only (their e-mail may be what
    is down, and an e-mail about a failed e-mail would fail the same way)."""

    admins = User.objects.filter(is_active=True, memberships__role=Role.TERRITORY_ADMIN).distinct()
    rows = notify(
        users=admins,
        kind="email_failed",
        title=_("Notification non remise par e-mail à %(who)s")
        % {"who": n.user.get_full_name() or n.user.username},
        body=_("Dernière erreur : %(error)s") % {"error": n.email_error[:300]},
    )
    Notification.objects.filter(pk__in=[r.pk for r in rows]).update(email_wanted=False)


@action
def _send_next_email(*, connection, now, give_up_before) -> str | None:
    """Send the next due notification e-mail, its row locked (SKIP LOCKED), and mark it;
    returns "sent", "failed" or "gave_up", or None when none is due."""
    n = (
        _due(now)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("user")
        .order_by("id")
        .first()
    )
    if n is None:
        return None
    n.email_attempts += 1
    try:
        _email(n, connection).send()
    except Exception as exc:  # down, refused, timeout: keep it, try again later
        n.email_error = str(exc)[:500] or exc.__class__.__name__
        logger.warning("e-mail for notification %s failed: %s", n.pk, exc)
        if n.created_at <= give_up_before:
            n.email_failed_at = now
            _give_up(n)
            outcome = "gave_up"
        else:
            n.email_next_attempt_at = now + retry_delay(
                n.email_attempts, base=RETRY_BASE, cap=RETRY_CAP
            )
            outcome = "failed"
    else:
        n.emailed_at, n.email_error = timezone.now(), ""
        outcome = "sent"
    n.save(
        update_fields=[
            "email_attempts",
            "email_error",
            "emailed_at",
            "email_next_attempt_at",
            "email_failed_at",
        ]
    )
    return outcome


def notification_send_emails(*, batch: int = 100, now=None) -> dict[str, int]:
    """Send up to ``batch`` due notification e-mails; returns counts ``sent``, ``failed``
    (kept for a later attempt) and ``gave_up``.

    The e-mail carries the title and a link, never the patient's name or clinical text: plain
    e-mail is not a channel for health data.
    """
    now = now or timezone.now()
    counts = {"sent": 0, "failed": 0, "gave_up": 0}
    give_up_before = now - timedelta(hours=settings.OUTBOX_RETRY_HOURS)
    connection = get_connection(fail_silently=False)
    try:
        for _i in range(batch):
            outcome = _send_next_email(
                connection=connection, now=now, give_up_before=give_up_before
            )
            if outcome is None:
                break
            counts[outcome] += 1
    finally:
        try:
            connection.close()
        except Exception:  # noqa: S110 - a broken connection has nothing left to close
            pass
    return counts
