"""The worker killed with SIGKILL in the middle of a batch, against a real SMTP server
(aiosmtpd): once restarted, every message is delivered, none is lost, and the only copy
received twice is the one that was on the wire when the worker died — carrying the same
Message-ID, by which the receiving operator stores it once (RFC 5322 §3.6.4).

Before each row was committed on its own, a kill re-sent the whole batch already delivered
(26 of 76 external messages, 35 of 120 e-mails in the audit of issue 13)."""

from __future__ import annotations

import asyncio
import email
import os
import signal
import subprocess
import sys
import threading
from collections import Counter

import pytest
from aiosmtpd.controller import Controller

from parcours.core.tests.servers import (
    REPO_ROOT,
    ServerPool,
    free_port,
    postgres_only,
    wait_until,
)

ROWS = 12
KILL_AT = 5  # the relay holds the 5th message until the worker is dead


class Relay:
    """Records the Message-ID of every message it receives; holds the KILL_AT-th one (no
    250 answer) until the test has killed the worker."""

    def __init__(self):
        self.received: list[str] = []
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        self.received.append(message["Message-ID"])
        if len(self.received) == KILL_AT and not self.release.is_set():
            self.holding.set()
            while not self.release.is_set():  # the SMTP server's own loop; bounded below
                await asyncio.sleep(0.02)
        return "250 OK"


def _worker(env: dict, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "parcours.cli", "worker", *extra],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _make_gateway_rows(territory):
    from parcours.messaging.services import message_send

    for i in range(ROWS):
        message_send(
            sender=territory.doctor,
            subject=f"Compte rendu {i}",
            body="Texte.",
            external=[f"dr.{i}@cabinet.mssante.invalid"],
        )


def _make_email_rows(territory):
    from parcours.accounts.models import User
    from parcours.notifications.services import notify

    users = [User.objects.create(username=f"u{i}", email=f"u{i}@test.invalid") for i in range(ROWS)]
    for user in users:
        notify(users=[user], kind="test", title="Nouvelle réponse")


def _delivered(kind) -> tuple[int, set[str]]:
    from django.conf import settings

    if kind == "gateway":
        from parcours.messaging.models import OutboundMail

        rows = OutboundMail.objects.select_related("message")
        return (
            rows.filter(state="sent").count(),
            {f"<{r.message.uid}@{settings.MSS_DOMAIN}>" for r in rows},
        )
    from parcours.notifications.models import Notification
    from parcours.notifications.tasks import notification_message_id

    notifications = Notification.objects.filter(email_wanted=True)
    return (
        notifications.filter(emailed_at__isnull=False).count(),
        {notification_message_id(n) for n in notifications},
    )


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["gateway", "emails"])
def test_worker_killed_mid_batch_loses_nothing_and_resends_only_the_message_in_flight(
    territory, tmp_path, kind
):
    relay = Relay()
    port = free_port()
    controller = Controller(relay, hostname="127.0.0.1", port=port)
    controller.start()
    env = ServerPool(tmp_path).environment(
        {
            "MSS_SMTP_HOST": "127.0.0.1",
            "MSS_SMTP_PORT": str(port),
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(port),
            "SITE_URL": "http://127.0.0.1:8000",
        }
    )
    (_make_gateway_rows if kind == "gateway" else _make_email_rows)(territory)
    worker = _worker(env, "--interval", "1")
    try:
        assert relay.holding.wait(timeout=60), "the worker never reached the relay"
        os.killpg(worker.pid, signal.SIGKILL)  # mid-batch, a message on the wire
        worker.wait(timeout=10)
    finally:
        relay.release.set()
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
    # What was delivered before the kill is recorded as such, row by row.
    wait_until(
        lambda: _delivered(kind)[0] == KILL_AT - 1,
        timeout=10,
        message="rows delivered before the kill were not all marked sent",
    )
    subprocess.run(
        [sys.executable, "-m", "parcours.cli", "worker", "--once"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
    )
    controller.stop()
    sent, expected_ids = _delivered(kind)
    assert sent == ROWS
    counts = Counter(relay.received)
    assert set(counts) == expected_ids  # nothing lost
    twice = [mid for mid, n in counts.items() if n > 1]
    assert len(relay.received) == ROWS + 1 and len(twice) == 1  # only the one in flight
    assert relay.received.index(twice[0]) == KILL_AT - 1
