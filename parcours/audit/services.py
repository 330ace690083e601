"""Writing the audit trail: one plain INSERT per row (or per batch), nothing else.

Rows are chained and signed afterwards by the sealer (``parcours.audit.sealing``), outside the
request: an audited request takes no lock and reads no other row (issue 13 measured 4–9 of 16
backends queued on the former global chain lock).
"""

from collections.abc import Iterable
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .context import current_request_info
from .models import AuditEvent
from .sealing import audit_seal, audit_verify  # noqa: F401  (re-exported: one entry point)


@contextmanager
def audit_batch():
    """Hold the audit rows of one user action and insert them as its last statement.

    Use inside the action's transaction; rows logged inside are written with one bulk INSERT
    when the block ends without an exception (a failed action leaves no row). Nested batches
    write through the outermost one. Yields nothing; raises what the block raises.
    """
    conn = transaction.get_connection()
    outer = conn.__dict__.get("_parcours_audit_batch")
    if outer is not None:  # nested action: the outer batch writes
        yield
        return
    pending: list[AuditEvent] = []
    conn.__dict__["_parcours_audit_batch"] = pending
    try:
        yield
        del conn.__dict__["_parcours_audit_batch"]
        if pending and not settings.AUDIT_BENCH_OFF:
            AuditEvent.objects.bulk_create(pending)
    finally:
        conn.__dict__.pop("_parcours_audit_batch", None)


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

    Call inside the transaction of the action it records, so the row commits with it. Inside
    ``audit_batch`` the row is inserted when the batch ends (the returned row has no id yet).
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
    pending = conn.__dict__.get("_parcours_audit_batch")
    if pending is not None:
        pending.append(event)
    elif settings.AUDIT_BENCH_OFF:
        pass
    elif settings.AUDIT_ASYNC_READS and conn.vendor == "postgresql" and not conn.in_atomic_block:
        # A row alone in its transaction (a read that wrote nothing else): commit without
        # waiting for the WAL flush (PostgreSQL "asynchronous commit", docs §28.4). A database
        # crash may lose the last ~0.6 s of such rows; nothing else changes.
        with transaction.atomic(), conn.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO off")
            event.save(force_insert=True)
    else:
        event.save(force_insert=True)
    return event
