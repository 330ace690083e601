"""Sealing and verifying the audit trail, as a transparency log does.

Appends are plain INSERTs (``services.audit_log``). The sealer, run by the worker every round
and by ``parcours audit_seal``, takes the committed rows not sealed yet (in id order), gives
each a position and a chained digest (``AuditLink``), and ends the batch with a checkpoint
(sequence, total count, head digest, time) signed with Ed25519 (RFC 8032) — the signed tree
head of RFC 6962 §3.5, with a hash chain instead of a Merkle tree since the only verifier
reads the whole log. Each checkpoint is also appended outside the database (JSON-lines file,
syslog), so that whoever owns the database cannot rewrite history alone.

``audit_verify`` recomputes every digest and reports: an edited row (digest mismatch), a
deleted row (dangling link), a row inserted after the fact (never sealed, or sealed later
than a transaction can last: ``AUDIT_SEAL_GRACE``), a truncated or rewritten log (checkpoint
heads, signatures and the external copy disagree with the database).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import logging.handlers
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from .models import AuditCheckpoint, AuditEvent, AuditLink

logger = logging.getLogger("parcours.audit")

GENESIS = "0" * 64
_SEALER_LOCK_KEY = 0x50415253  # "PARS": one sealer at a time (session lock, not per request)
_CHUNK = 2000
_MAX_LISTED = 50  # problems listed one by one; beyond that, counted


# --- keys -----------------------------------------------------------------------------------


def _public_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the SHA-256 of a raw public key (names the signing key)."""
    return hashlib.sha256(_public_raw(key)).hexdigest()[:16]


def signing_key() -> Ed25519PrivateKey:
    """The checkpoint signing key from ``settings.AUDIT_SIGNING_KEY`` (32 bytes, base64).

    Raises ValueError when the setting is not a base64 32-byte key (core check ``audit``)."""
    raw = base64.b64decode(settings.AUDIT_SIGNING_KEY, validate=True)
    if len(raw) != 32:
        raise ValueError("AUDIT_SIGNING_KEY must be 32 bytes, base64-encoded")
    return Ed25519PrivateKey.from_private_bytes(raw)


def verify_keys() -> dict[str, Ed25519PublicKey]:
    """Public keys checkpoints may be signed with, by key id: the current signing key and the
    retired ones of ``settings.AUDIT_VERIFY_KEYS``. Raises ValueError on a malformed key."""
    keys = [signing_key().public_key()]
    for text in settings.AUDIT_VERIFY_KEYS:
        raw = base64.b64decode(text, validate=True)
        if len(raw) != 32:
            raise ValueError("AUDIT_VERIFY_KEYS entries must be 32-byte public keys, base64")
        keys.append(Ed25519PublicKey.from_public_bytes(raw))
    return {key_id(k): k for k in keys}


def public_key_text() -> str:
    """The current public key, base64 (to publish, and to keep in AUDIT_VERIFY_KEYS later)."""
    return base64.b64encode(_public_raw(signing_key().public_key())).decode()


# --- digests and signed statements ----------------------------------------------------------


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def canonical(event: AuditEvent) -> bytes:
    """The row's content as it is sealed: sorted-key compact JSON, UTF-8, id included."""
    return json.dumps(
        {
            "id": event.pk,
            "at": _iso(event.at),
            "user_id": event.user_id,
            "username": event.username,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "patient_id": event.patient_id,
            "detail": event.detail,
            "object_ids": event.object_ids,
            "ip": event.ip,
            "channel": event.channel,
            "prev_hash": event.prev_hash,
            "hash": event.hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def row_digest(prev: str, event: AuditEvent) -> str:
    """SHA-256 (hex) of the previous link's digest followed by the row's canonical content."""
    return hashlib.sha256(prev.encode() + b"\n" + canonical(event)).hexdigest()


def checkpoint_message(seq: int, count: int, head: str, at: datetime, max_event_id: int) -> bytes:
    """The exact bytes a checkpoint's signature covers."""
    return (
        f"parcours-audit-checkpoint/1\n{seq}\n{count}\n{head}\n{_iso(at)}\n{max_event_id}\n"
    ).encode()


def checkpoint_record(cp: AuditCheckpoint) -> dict:
    """A checkpoint as written outside the database (one JSON object)."""
    return {
        "seq": cp.seq,
        "count": cp.count,
        "head": cp.head,
        "at": _iso(cp.at),
        "max_event_id": cp.max_event_id,
        "key_id": cp.key_id,
        "signature": cp.signature,
    }


def signature_valid(cp: AuditCheckpoint, keys: dict[str, Ed25519PublicKey]) -> bool:
    key = keys.get(cp.key_id)
    if key is None:
        return False
    try:
        key.verify(
            base64.b64decode(cp.signature),
            checkpoint_message(cp.seq, cp.count, cp.head, cp.at, cp.max_event_id),
        )
    except (InvalidSignature, ValueError):
        return False
    return True


# --- sealing --------------------------------------------------------------------------------


@contextmanager
def _sealer_lock():
    """One sealer at a time: a session-level PostgreSQL advisory lock (not on the request
    path). SQLite serialises writers itself. Yields whether the lock was obtained."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_SEALER_LOCK_KEY])
        got = cursor.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_SEALER_LOCK_KEY])


def _unsealed():
    return AuditEvent.objects.filter(~Exists(AuditLink.objects.filter(event_id=OuterRef("pk"))))


def audit_seal(*, full: bool = False) -> dict[str, int]:
    """Seal the committed rows not sealed yet into one new signed checkpoint.

    Rows are taken in id order above a floor: the highest id sealed by the last checkpoint
    made more than twice ``AUDIT_SEAL_GRACE`` ago (``full=True``: no floor). A row below the
    floor still unsealed would have stayed uncommitted longer than any audited transaction
    may, and ``audit_verify`` reports it. A row with a lower id that commits after a higher
    one was sealed is sealed by a later run, at a later position. Rows inserted after the run
    started wait for the next run, so a run ends even under a constant stream of rows.

    Returns counts: ``sealed`` rows, ``checkpoint`` seq written (0 when nothing to seal),
    ``busy`` when another sealer holds the lock, ``export_errors`` when the external copy
    could not be written (retried next run for the file). Raises database errors.
    """
    with _sealer_lock() as got:
        if not got:
            return {"sealed": 0, "busy": 1}
        with transaction.atomic():
            started = timezone.now()
            last = AuditCheckpoint.objects.order_by("-seq").first()
            floor = 0
            if last is not None and not full:
                older = (
                    AuditCheckpoint.objects.filter(
                        at__lt=started - timedelta(seconds=2 * settings.AUDIT_SEAL_GRACE)
                    )
                    .order_by("-seq")
                    .first()
                )
                floor = older.max_event_id if older else 0
            # Rows inserted after this point wait for the next run (a run always ends).
            ceiling = AuditEvent.objects.aggregate(top=Max("id"))["top"] or 0
            position = last.count if last else 0
            head = last.head if last else GENESIS
            max_id = last.max_event_id if last else 0
            cursor_id, sealed = floor, 0
            while True:
                rows = list(
                    _unsealed().filter(id__gt=cursor_id, id__lte=ceiling).order_by("id")[:_CHUNK]
                )
                if not rows:
                    break
                links = []
                for event in rows:
                    position += 1
                    head = row_digest(head, event)
                    links.append(AuditLink(position=position, event_id=event.pk, digest=head))
                AuditLink.objects.bulk_create(links)
                cursor_id = rows[-1].pk
                max_id = max(max_id, cursor_id)
                sealed += len(rows)
            if not sealed:
                return {"sealed": 0, "checkpoint": 0}
            seq = last.seq + 1 if last else 1
            key = signing_key()
            signature = key.sign(checkpoint_message(seq, position, head, started, max_id))
            checkpoint = AuditCheckpoint.objects.create(
                seq=seq,
                count=position,
                head=head,
                at=started,
                max_event_id=max_id,
                key_id=key_id(key.public_key()),
                signature=base64.b64encode(signature).decode(),
            )
    errors = export_checkpoints(new=[checkpoint])
    return {"sealed": sealed, "checkpoint": seq, "export_errors": errors}


# --- the copy outside the database ----------------------------------------------------------


def _last_seq_in(path: Path) -> int:
    """The seq of the last checkpoint in a JSON-lines file (0 if none)."""
    if not path.exists():
        return 0
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - 8192))
        lines = [line for line in handle.read().splitlines() if line.strip()]
    for line in reversed(lines):
        record = _parse_line(line.decode(errors="replace"))
        if record is not None:
            return int(record["seq"])
    return 0


def _parse_line(line: str) -> dict | None:
    """A checkpoint from a line of the file or of a syslog export (text before the first
    ``{`` is ignored). None when the line holds none."""
    start = line.find("{")
    if start < 0:
        return None
    try:  # raw_decode: syslog may append a NUL or other text after the object
        record, _ = json.JSONDecoder().raw_decode(line[start:])
    except json.JSONDecodeError:
        return None
    return record if isinstance(record, dict) and "seq" in record else None


def export_checkpoints(*, new: list[AuditCheckpoint]) -> int:
    """Append checkpoints outside the database; returns the number of failed writes.

    File (``AUDIT_CHECKPOINT_FILE``): every checkpoint after the file's last one, so a write
    that failed is caught up next run; the file is only ever appended to. Syslog
    (``AUDIT_CHECKPOINT_SYSLOG``): the ``new`` ones, facility auth, tag ``parcours-audit``.
    """
    errors = 0
    if settings.AUDIT_CHECKPOINT_FILE:
        path = Path(settings.AUDIT_CHECKPOINT_FILE)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            after = _last_seq_in(path)
            lines = [
                json.dumps(checkpoint_record(cp), sort_keys=True) + "\n"
                for cp in AuditCheckpoint.objects.filter(seq__gt=after).order_by("seq")
            ]
            if lines:
                with path.open("a", encoding="utf-8") as handle:
                    handle.writelines(lines)
                    handle.flush()
                    os.fsync(handle.fileno())
        except OSError:
            logger.exception("audit checkpoints could not be appended to %s", path)
            errors += 1
    if settings.AUDIT_CHECKPOINT_SYSLOG and new:
        target = settings.AUDIT_CHECKPOINT_SYSLOG
        if ":" in target and not target.startswith("/"):
            host, port = target.rsplit(":", 1)
            address: str | tuple[str, int] = (host, int(port))
        else:
            address = target
        try:
            handler = logging.handlers.SysLogHandler(
                address=address, facility=logging.handlers.SysLogHandler.LOG_AUTH
            )
            try:
                for cp in new:
                    handler.emit(
                        logging.makeLogRecord(
                            {
                                "msg": "parcours-audit: "
                                + json.dumps(checkpoint_record(cp), sort_keys=True),
                                "levelno": logging.INFO,
                                "levelname": "INFO",
                            }
                        )
                    )
            finally:
                handler.close()
        except OSError:
            logger.exception("audit checkpoints could not be sent to syslog %s", target)
            errors += 1
    return errors


def read_external(path: str | Path, *, stream: bool = False):
    """The checkpoints of a file written by ``export_checkpoints`` or exported from syslog: a
    list, or with ``stream`` a generator. Raises OSError when the file cannot be read."""

    def records():
        with Path(path).open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                record = _parse_line(line)
                if record is not None:
                    yield record

    return records() if stream else list(records())


# --- verification ---------------------------------------------------------------------------


@dataclass
class AuditReport:
    """What ``audit_verify`` found. ``intact`` when ``problems`` is empty."""

    rows: int = 0
    sealed: int = 0
    checkpoints: int = 0
    pending: int = 0  # unsealed rows younger than AUDIT_SEAL_GRACE (the sealer's next batch)
    external: int | None = None  # checkpoints in the external copy (None: none configured)
    problems: list[str] = field(default_factory=list)
    hidden: int = 0  # problems beyond the first _MAX_LISTED

    @property
    def intact(self) -> bool:
        return not self.problems

    def add(self, problem: str) -> None:
        if len(self.problems) < _MAX_LISTED:
            self.problems.append(problem)
        else:
            self.hidden += 1


def _legacy_digest(prev_hash: str, event: AuditEvent) -> str:
    """The per-row chain of rows written before migration 0003 (formerly services._digest)."""
    fields = {
        "at": event.at.isoformat(),
        "user_id": event.user_id,
        "username": event.username,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "patient_id": event.patient_id,
        "detail": event.detail,
        "ip": event.ip,
        "channel": event.channel,
    }
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


def audit_verify(*, external: str | Path | None = None, now: datetime | None = None) -> AuditReport:
    """Check the whole trail; returns an ``AuditReport`` listing every problem found.

    ``external``: a checkpoint copy to compare with (default ``AUDIT_CHECKPOINT_FILE``).
    Problems: a checkpoint whose signature fails or whose sequence has a gap; a link whose
    digest does not match its row (edited row) or whose row is gone (deleted row); a
    checkpoint head that is not the digest at its count (rewritten links); links after the
    last checkpoint; a row sealed although it existed more than ``AUDIT_SEAL_GRACE`` before
    the previous checkpoint, or still unsealed that long after its time (inserted after the
    fact); a checkpoint of the external copy missing from or different in the database
    (truncated or rewritten tail), or one of the database older than the grace missing from
    the external copy; a break in the pre-0003 per-row chain. Everything is streamed in
    chunks (memory does not grow with the log). Raises ValueError on a malformed key setting,
    OSError on an unreadable external copy.
    """
    now = now or timezone.now()
    grace = timedelta(seconds=settings.AUDIT_SEAL_GRACE)
    report = AuditReport(rows=AuditEvent.objects.count())
    _verify_checkpoints(report, external, now, grace)
    _verify_links(report, grace)
    for event in _unsealed().order_by("id").iterator(chunk_size=_CHUNK):
        if event.at < now - grace:
            report.add(f"row {event.pk} dated {_iso(event.at)} is not sealed")
        else:
            report.pending += 1
    _verify_legacy_chain(report)
    return report


def _checkpoints():
    return AuditCheckpoint.objects.order_by("seq").iterator(chunk_size=_CHUNK)


def _verify_checkpoints(
    report: AuditReport, external: str | Path | None, now: datetime, grace: timedelta
) -> None:
    """Sequence, counts and signatures of the checkpoints, merged (by seq) with the external
    copy: every checkpoint of the copy must be in the database, unchanged, and every
    checkpoint of the database older than the grace must be in the copy."""
    keys = verify_keys()
    path = Path(external or settings.AUDIT_CHECKPOINT_FILE or "")
    copied = bool(external or settings.AUDIT_CHECKPOINT_FILE)
    records = iter(_external_records(path) if copied and path.exists() else ())
    if copied:
        report.external = 0
    external_seen = 0
    record = next(records, None)

    def missing_from_database(rec):
        report.add(
            f"checkpoint {rec['seq']} of the external copy is missing from the database "
            f"({rec.get('count')} rows at {rec.get('at')})"
        )

    previous_count, expected_seq = 0, 1
    for cp in _checkpoints():
        report.checkpoints += 1
        if cp.seq != expected_seq:
            report.add(f"checkpoint {expected_seq} missing (next is {cp.seq})")
        expected_seq = cp.seq + 1
        if not signature_valid(cp, keys):
            report.add(f"checkpoint {cp.seq}: invalid signature (key {cp.key_id})")
        if cp.count <= previous_count:
            report.add(f"checkpoint {cp.seq}: count {cp.count} not above {previous_count}")
        previous_count = cp.count
        if not copied:
            continue
        while record is not None and int(record["seq"]) < cp.seq:
            missing_from_database(record)
            external_seen += 1
            record = next(records, None)
        if record is not None and int(record["seq"]) == cp.seq:
            mine = checkpoint_record(cp)
            if mine != {k: record.get(k) for k in mine}:
                report.add(f"checkpoint {cp.seq} differs from the external copy (rewritten)")
            external_seen += 1
            record = next(records, None)
        elif cp.at < now - grace:
            report.add(f"checkpoint {cp.seq} is not in the external copy {path}")
    while record is not None:
        missing_from_database(record)
        external_seen += 1
        record = next(records, None)
    if copied:
        report.external = external_seen


def _external_records(path: Path):
    """The copy's checkpoints in seq order; one out of order is reported by seq as missing."""
    last = 0
    for record in read_external(path, stream=True):
        seq = int(record["seq"])
        if seq <= last:  # a line appended again or out of order: compare the first one only
            continue
        last = seq
        yield record


def _verify_links(report: AuditReport, grace: timedelta) -> None:
    """Walk the links in position order with the checkpoints alongside."""
    checkpoints = _checkpoints()
    previous: AuditCheckpoint | None = None
    current: AuditCheckpoint | None = next(checkpoints, None)
    last_count = 0
    digest, position = GENESIS, 0
    while True:
        links = list(AuditLink.objects.filter(position__gt=position).order_by("position")[:_CHUNK])
        if not links:
            break
        events = AuditEvent.objects.in_bulk([link.event_id for link in links])
        for link in links:
            if link.position != position + 1:
                report.add(f"links {position + 1}–{link.position - 1} missing")
            position = link.position
            event = events.get(link.event_id)
            if event is None:
                report.add(f"row {link.event_id} (position {position}) deleted")
            elif row_digest(digest, event) != link.digest:
                report.add(
                    f"row {event.pk} (position {position}) altered: its digest does not match"
                )
            digest = link.digest
            while current is not None and current.count < position:
                last_count = current.count
                previous, current = current, next(checkpoints, None)
            if current is None:
                continue
            if event is not None and previous is not None and event.at < previous.at - grace:
                report.add(
                    f"row {event.pk} dated {_iso(event.at)} sealed only in checkpoint "
                    f"{current.seq}, after checkpoint {previous.seq} of "
                    f"{_iso(previous.at)} (inserted after the fact?)"
                )
            if current.count == position and current.head != digest:
                report.add(
                    f"checkpoint {current.seq}: head does not match the links "
                    f"(rewritten up to position {position})"
                )
        report.sealed += len(links)
    while current is not None:
        last_count = current.count
        current = next(checkpoints, None)
    if position < last_count:
        report.add(f"links {position + 1}–{last_count} missing (truncated)")
    elif position > last_count:
        report.add(f"links {last_count + 1}–{position} are in no checkpoint")


def _verify_legacy_chain(report: AuditReport) -> None:
    prev = GENESIS
    legacy = (
        AuditEvent.objects.exclude(hash__isnull=True)
        .exclude(hash="")
        .order_by("id")
        .iterator(chunk_size=_CHUNK)
    )
    for event in legacy:
        if event.prev_hash != prev or _legacy_digest(prev, event) != event.hash:
            report.add(f"row {event.pk}: the pre-0003 hash chain breaks here")
            return
        prev = event.hash
