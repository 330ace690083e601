"""Writing the audit trail: one plain INSERT per row (or per batch), nothing else.

Rows are chained and signed afterwards by the sealer (``parcours.audit.sealing``), outside the
request: an audited request takes no lock and reads no other row (issue 13 measured 4–9 of 16
backends queued on the former global chain lock).
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from parcours.lib.actions import action_scope, current_action

from .context import current_request_info
from .models import AuditEvent
from .sealing import audit_seal, audit_verify  # noqa: F401  (re-exported: one entry point)


def _insert_batch(events: list[AuditEvent]) -> None:
    if not settings.AUDIT_BENCH_OFF:
        AuditEvent.objects.bulk_create(events)


@contextmanager
def audit_batch() -> Iterator[None]:
    """Hold the audit rows of the block and insert them as its last statement, in one INSERT.

    The same as running the block as an action (``parcours.lib.actions.action_scope``): a
    failed block leaves no row; nested batches write through the outermost one. For audited
    reads that log several rows (a page showing many patients); writes use ``@action``.
    Yields nothing; raises what the block raises.
    """
    with action_scope("audit_batch"):
        yield


def audit_log(
    *,
    user,
    action: str,
    obj=None,
    object_type: str = "",
    object_id="",
    patient_id: int | None = None,
    detail: str = "",
    object_ids: Iterable = (),
) -> AuditEvent:
    """Append one audit row and return it.

    Takes the acting ``user`` (or None for the system), the ``action`` (an
    ``AuditEvent.Action`` value or another short verb), the object (``obj`` or
    ``object_type`` + ``object_id``), the patient concerned, a free ``detail`` (kept whole)
    and ``object_ids``, every id a list or a search showed (kept whole, as strings). The
    client address and channel come from the request (``RequestContextMiddleware``).

    Call inside the transaction of the action it records, so the row commits with it. Inside an
    action (``@action``, ``audit_batch``) the row is inserted when the action ends (the
    returned row has no id yet).
    Raises what the INSERT raises (the action then fails: no unaudited access).
    """
    info = current_request_info()
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or obj.pk
    event = AuditEvent(
        at=timezone.now(),
        user=user if user is not None and user.is_authenticated else None,
        username=getattr(user, "username", "") or "",
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        patient_id=patient_id,
        detail=detail,
        object_ids=[str(i) for i in object_ids],
        ip=info.get("ip"),
        channel=info.get("channel", "web"),
    )
    conn = transaction.get_connection()
    scope = current_action()
    if scope is not None:
        scope.buffer("audit", _insert_batch).append(event)
    elif settings.AUDIT_BENCH_OFF:
        pass
    elif settings.AUDIT_ASYNC_READS and conn.vendor == "postgresql" and not conn.in_atomic_block:
        # A row alone in its transaction (a read that wrote nothing else): commit without
        # waiting for the WAL flush (PostgreSQL "asynchronous commit", docs §28.4). A database
        # crash may lose the last ~0.6 s of such rows; nothing else changes.
        with transaction.atomic(), conn.cursor() as cursor:  # not an action: see above
            cursor.execute("SET LOCAL synchronous_commit TO off")
            event.save(force_insert=True)
    else:
        event.save(force_insert=True)
    return event
