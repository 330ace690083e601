"""The background worker: one loop running the periodic jobs (healthchecks' sendalerts).

Work is durable in the database (outbox rows, due times), so the worker can stop and restart
at any time and several can run side by side (rows are locked with SKIP LOCKED).
"""

import logging
import time

from django.db import close_old_connections

from parcours.audit.sealing import audit_seal
from parcours.core.files import media_orphans_sweep
from parcours.messaging.letters import letters_escalate_due
from parcours.messaging.services import outbound_send_due
from parcours.notifications.tasks import notification_send_emails
from parcours.oncall.services import handover_notify_due
from parcours.referrals.services import referral_escalate_due
from parcours.scheduling import services as scheduling

logger = logging.getLogger("parcours.worker")

JOBS = [
    ("escalations", lambda: referral_escalate_due()),
    ("slots", lambda: scheduling.slots_generate_all()),
    ("slot_release", lambda: scheduling.slots_release_due()),
    ("reminders", lambda: scheduling.reminders_send()),
    ("letters", lambda: letters_escalate_due()),
    ("mail_gateway", lambda: outbound_send_due()),
    ("oncall_handover", lambda: {"announced": handover_notify_due()}),
    ("emails", lambda: notification_send_emails()),
    ("orphan_files", lambda: media_orphans_sweep()),
    ("audit_seal", lambda: audit_seal()),
]


def run_once() -> dict[str, dict]:
    results = {}
    for name, job in JOBS:
        try:
            results[name] = job()
        except Exception:
            logger.exception("job %s failed; it will run again next round", name)
            results[name] = {"error": 1}
    return results


def run_forever(interval: float) -> None:
    logger.info("worker started, one round every %.0f s", interval)
    while True:
        close_old_connections()
        results = run_once()
        if any(v for r in results.values() for v in r.values()):
            logger.info("worker round: %s", results)
        time.sleep(interval)
