"""The e-mail side of notifications: the worker drains the outbox."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Notification

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


def notification_send_emails(*, batch: int = 100) -> dict[str, int]:
    """Send pending notification e-mails; a failure is retried on later runs.

    The e-mail carries the title and a link, never the patient's name or clinical text: plain
    e-mail is not a channel for health data.
    """
    sent = failed = 0
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(email_wanted=True, emailed_at__isnull=True,
                    email_attempts__lt=MAX_ATTEMPTS)
            .select_related("user").order_by("id")[:batch]
        )
        for n in rows:
            link = f"{settings.SITE_URL}/notifications/{n.pk}/ouvrir/"
            body = _("Bonjour,\n\n%(title)s\n\nConsultez-la sur Parcours : %(link)s\n\n"
                     "Ce message ne contient aucune donnée de santé ; connectez-vous pour lire "
                     "le détail.\n") % {"title": n.title, "link": link}
            n.email_attempts += 1
            try:
                send_mail(f"[Parcours] {n.title}", body, settings.DEFAULT_FROM_EMAIL,
                          [n.user.email], fail_silently=False)
            except Exception as exc:
                n.email_error = str(exc)[:500]
                n.save(update_fields=["email_attempts", "email_error"])
                failed += 1
                logger.warning("e-mail for notification %s failed: %s", n.pk, exc)
            else:
                n.emailed_at = timezone.now()
                n.email_error = ""
                n.save(update_fields=["email_attempts", "email_error", "emailed_at"])
                sent += 1
    return {"sent": sent, "failed": failed}
