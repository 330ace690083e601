"""The gateway to external secure messaging, against real SMTP servers (aiosmtpd)."""

import smtplib
import socket
from datetime import timedelta
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from parcours.messaging.gateway import bridge_controller
from parcours.messaging.models import MailboxEntry, Message, OutboundMail
from parcours.messaging.services import FileIn, message_open, message_send, outbound_send_due

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Collect:
    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope)
        return "250 OK"


@pytest.fixture
def relay(settings):
    """An external secure-messaging relay, not started yet."""
    settings.MSS_SMTP_HOST, settings.MSS_SMTP_PORT = "127.0.0.1", free_port()
    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=settings.MSS_SMTP_PORT)
    yield controller, handler
    try:
        controller.stop()
    except AssertionError:  # never started
        pass


def test_mail_to_an_external_address_waits_while_the_relay_is_down(territory, relay):
    controller, handler = relay
    message = message_send(
        sender=territory.doctor,
        subject="Compte rendu",
        body="Ci-joint le compte rendu.",
        external=["dr.a@cabinet.mssante.invalid"],
        files=[FileIn(name="cr.pdf", content_type="application/pdf", data=PDF)],
    )
    # Relay down: the row stays, with the error, for a later attempt.
    assert outbound_send_due() == {"sent": 0, "failed": 1, "gave_up": 0}
    row = OutboundMail.objects.get()
    assert (row.state, row.attempts) == ("pending", 1) and row.last_error
    assert row.next_attempt_at > timezone.now()
    assert outbound_send_due() == {"sent": 0, "failed": 0, "gave_up": 0}  # not due yet
    # Relay back: the retry delivers it, with the attachment.
    controller.start()
    assert outbound_send_due(now=timezone.now() + timedelta(hours=1))["sent"] == 1
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == ("sent", 2, "")
    [envelope] = handler.received
    assert envelope.rcpt_tos == ["dr.a@cabinet.mssante.invalid"]
    content = envelope.content.decode()
    assert "Compte rendu" in content and "cr.pdf" in content
    assert f"<{message.uid}@" in content


def test_a_relay_that_keeps_failing_is_retried_for_a_day_then_sender_and_admins_are_told(
    territory, relay, settings
):
    from parcours.notifications.models import Notification

    settings.OUTBOX_RETRY_HOURS = 24
    message_send(
        sender=territory.doctor, subject="x", body="y", external=["dr.a@cabinet.mssante.invalid"]
    )
    start = timezone.now()
    # Twelve failures over the first day: each one schedules the next, further and further.
    delays, now = [], start
    for _ in range(12):
        assert outbound_send_due(now=now)["failed"] == 1
        row = OutboundMail.objects.get()
        delays.append(row.next_attempt_at - now)
        now = row.next_attempt_at
        if now - start > timedelta(hours=23):
            break
    assert row.state == "pending" and delays[-1] > delays[0]
    assert not Notification.objects.filter(kind="message_failed").exists()
    # Past the retry window, the next failure gives up and says so, in the application.
    assert outbound_send_due(now=start + timedelta(hours=25))["gave_up"] == 1
    assert OutboundMail.objects.get().state == "failed"
    assert Notification.objects.filter(user=territory.doctor, kind="message_failed").exists()
    assert Notification.objects.filter(user=territory.admin, kind="gateway_failed").exists()


@pytest.fixture
def bridge(settings):
    port = free_port()
    controller = bridge_controller("127.0.0.1", port)
    controller.start()
    yield port
    controller.stop()


def _email(to, message_id="<abc-1@labo.invalid>", attach=None):
    mail = EmailMessage()
    mail["From"] = "Dr Ext <dr.ext@labo.mssante.invalid>"
    mail["To"] = to
    mail["Subject"] = "Résultats de Mme X"
    mail["Message-ID"] = message_id
    mail.set_content("Bonjour, voici les résultats.")
    if attach:
        mail.add_attachment(*attach[0], **attach[1])
    return mail


@pytest.mark.django_db(transaction=True)
def test_incoming_mail_reaches_the_inbox_once(territory, bridge, settings):
    to = f"doctor@{settings.MSS_DOMAIN}"
    mail = _email(
        to, attach=((PDF,), {"maintype": "application", "subtype": "pdf", "filename": "res.pdf"})
    )
    with smtplib.SMTP("127.0.0.1", bridge, timeout=10) as smtp:
        smtp.send_message(mail)
        smtp.send_message(mail)  # the relay retries after a lost answer
    message = Message.objects.get()
    assert MailboxEntry.objects.get(message=message).user == territory.doctor
    opened = message_open(message)
    assert opened.valid and opened.subject == "Résultats de Mme X"
    assert "voici les résultats" in opened.body
    assert message.sender_label.startswith("Dr Ext") and message.attachments.count() == 1


@pytest.mark.django_db(transaction=True)
def test_incoming_mail_for_an_unknown_address_is_refused(territory, bridge, settings):
    with (
        smtplib.SMTP("127.0.0.1", bridge, timeout=10) as smtp,
        pytest.raises(smtplib.SMTPRecipientsRefused),
    ):
        smtp.send_message(_email(f"personne@{settings.MSS_DOMAIN}"))
    assert not Message.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_incoming_attachment_of_a_refused_type_is_dropped_and_said(territory, bridge, settings):
    mail = _email(
        f"doctor@{settings.MSS_DOMAIN}",
        message_id="<abc-2@labo.invalid>",
        attach=(
            (b"MZ\x90\x00" * 40,),
            {"maintype": "application", "subtype": "octet-stream", "filename": "virus.exe"},
        ),
    )
    with smtplib.SMTP("127.0.0.1", bridge, timeout=10) as smtp:
        smtp.send_message(mail)
    message = Message.objects.get()
    assert message.attachments.count() == 0
    assert "virus.exe" in message_open(message).body
