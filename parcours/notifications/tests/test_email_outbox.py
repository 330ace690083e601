"""Notification e-mails: retried with growing delays for a day, never lost, never given up
silently; one Message-ID per notification whatever the number of attempts."""

from datetime import timedelta

from django.core import mail
from django.utils import timezone

from parcours.notifications.models import Notification
from parcours.notifications.services import notify
from parcours.notifications.tasks import notification_send_emails


def _down(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens there


def _up(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_an_email_that_fails_waits_before_the_next_attempt(territory, settings):
    _down(settings)
    notify(users=[territory.gp], kind="test", title="Nouvelle réponse")
    now = timezone.now()
    assert notification_send_emails(now=now) == {"sent": 0, "failed": 1, "gave_up": 0}
    n = Notification.objects.get()
    assert n.email_attempts == 1 and n.email_error
    assert timedelta(seconds=30) <= n.email_next_attempt_at - now <= timedelta(minutes=1)
    # Not due yet: the next round does not hammer the mail server.
    assert notification_send_emails(now=now + timedelta(seconds=5))["failed"] == 0
    _up(settings)
    assert notification_send_emails(now=now + timedelta(minutes=2))["sent"] == 1
    n.refresh_from_db()
    assert n.emailed_at and n.email_attempts == 2 and n.email_error == ""


def test_a_two_minute_outage_loses_no_email(territory, settings):
    _down(settings)
    notify(users=[territory.gp], kind="test", title="Nouvelle réponse")
    now = timezone.now()
    for second in range(0, 120, 15):  # one worker round every 15 s during the outage
        notification_send_emails(now=now + timedelta(seconds=second))
    _up(settings)
    notification_send_emails(now=now + timedelta(minutes=10))
    assert len(mail.outbox) == 1
    assert Notification.objects.get().emailed_at is not None


def test_after_a_day_of_failures_the_email_is_given_up_and_admins_are_told(territory, settings):
    settings.OUTBOX_RETRY_HOURS = 24
    _down(settings)
    notify(users=[territory.gp], kind="test", title="Nouvelle réponse")
    n = Notification.objects.get()
    result = notification_send_emails(now=n.created_at + timedelta(hours=25))
    assert result == {"sent": 0, "failed": 0, "gave_up": 1}
    n.refresh_from_db()
    assert n.email_failed_at is not None and n.emailed_at is None
    alert = Notification.objects.get(user=territory.admin, kind="email_failed")
    # The alert is in the application only: an e-mail about failing e-mail would fail too.
    assert not alert.email_wanted
    assert notification_send_emails(now=n.created_at + timedelta(hours=30))["gave_up"] == 0


def test_every_attempt_carries_the_same_message_id(territory, settings):
    notify(users=[territory.gp], kind="test", title="Nouvelle réponse")
    notification_send_emails()
    n = Notification.objects.get()
    assert mail.outbox[0].extra_headers["Message-ID"] == f"<notification-{n.pk}@127.0.0.1>"
    assert "Nouvelle réponse" in mail.outbox[0].subject
