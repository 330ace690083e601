from datetime import timedelta

import time_machine
from django.utils import timezone

from parcours.notifications.models import Notification
from parcours.referrals.services import referral_escalate_due
from parcours.referrals.workflow import Action, Clock


def test_at_risk_alerts_the_desk_once(territory, make_referral):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        r = make_referral()
    with time_machine.travel(start + timedelta(hours=37), tick=False):
        assert r.clock() == Clock.AT_RISK
        assert referral_escalate_due() == {"at_risk": 1, "overdue": 0}
        assert referral_escalate_due() == {"at_risk": 0, "overdue": 0}
    assert Notification.objects.filter(user=territory.desk, kind="referral_at_risk").count() == 1
    assert r.events.filter(action=Action.AT_RISK).exists()


def test_overdue_alerts_desk_and_service_head_and_stays_flagged(territory, make_referral):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        r = make_referral()
    with time_machine.travel(start + timedelta(hours=49), tick=False):
        assert referral_escalate_due() == {"at_risk": 0, "overdue": 1}
        r.refresh_from_db()
        assert r.clock() == Clock.OVERDUE and r.overdue_notified_at
    for user in (territory.desk, territory.head):
        assert Notification.objects.filter(user=user, kind="referral_overdue").exists()


def test_answered_requests_are_not_escalated(territory, make_referral):
    from parcours.referrals.services import referral_answer

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        r = make_referral()
        referral_answer(actor=territory.doctor, referral=r, answer_kind="advice", text="ok")
    with time_machine.travel(start + timedelta(hours=100), tick=False):
        assert referral_escalate_due() == {"at_risk": 0, "overdue": 0}


def test_worker_round_sends_notification_emails(territory, make_referral):
    from django.core import mail

    from parcours.core.worker import run_once

    r = make_referral()
    result = run_once()
    assert result["emails"]["sent"] >= 1
    sent = [m for m in mail.outbox if territory.desk.email in m.to]
    assert sent and r.reference in sent[0].subject
    # No health data in e-mail: neither the patient's name nor the question.
    assert "DUPONT" not in sent[0].body and "Souffle" not in sent[0].body
    assert run_once()["emails"]["sent"] == 0


def test_failed_email_is_kept_and_retried(territory, make_referral, settings):
    from parcours.notifications.tasks import notification_send_emails

    make_referral()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens there
    assert notification_send_emails()["failed"] >= 1
    n = Notification.objects.filter(user=territory.desk).get()
    assert n.emailed_at is None and n.email_attempts == 1 and n.email_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    later = timezone.now() + timedelta(minutes=5)  # past the first retry delay
    assert notification_send_emails(now=later)["sent"] >= 1
