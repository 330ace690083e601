"""The sealed audit trail (issue 13): plain appends, the sealer, and one test per tampering
scenario — edited, deleted, inserted (backdated) row, truncated table, rewritten tail with and
without the signing key.

Tampering goes around the append-only triggers the way the tables' owner could: on SQLite by
dropping them, on PostgreSQL by switching them off (session_replication_role, as ALTER TABLE …
DISABLE TRIGGER would; the application role can do neither:
see test_roles.py). Each test ran against the former per-row chain would have passed
undetected or not run at all (TRUNCATE → "intact: 0 rows"; re-hashed tail → intact).
"""

import base64
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parcours.audit.models import AuditCheckpoint, AuditEvent, AuditLink
from parcours.audit.sealing import (
    GENESIS,
    _legacy_digest,
    audit_seal,
    audit_verify,
    checkpoint_message,
    key_id,
    read_external,
    row_digest,
)
from parcours.audit.services import audit_batch, audit_log

TABLES = {
    AuditEvent: "audit_auditevent",
    AuditLink: "audit_auditlink",
    AuditCheckpoint: "audit_auditcheckpoint",
}


@pytest.fixture
def external(settings, tmp_path):
    path = tmp_path / "checkpoints.jsonl"
    settings.AUDIT_CHECKPOINT_FILE = str(path)
    return path


def _rows(n: int, **extra) -> list[AuditEvent]:
    return [
        audit_log(
            user=None,
            action="read",
            object_type="patient",
            object_id=i,
            patient_id=i,
            detail=f"row {i}",
            **extra,
        )
        for i in range(n)
    ]


def _as_owner(*models, sql: str, params=()) -> None:
    """Run ``sql`` with the append-only triggers of these tables out of the way."""
    tables = [TABLES[m] for m in models]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for table in tables:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
            cursor.execute(sql, params)
        else:  # as ALTER TABLE … DISABLE TRIGGER would, without its pending-events error
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(sql, params)
            cursor.execute("SET session_replication_role = origin")


def _problems(**kwargs) -> str:
    report = audit_verify(**kwargs)
    assert not report.intact
    return "\n".join(report.problems)


# --- appends --------------------------------------------------------------------------------


def test_an_append_is_one_insert_without_lock_or_read(db):
    with CaptureQueriesContext(connection) as queries:
        audit_log(user=None, action="read", object_type="patient", object_id=1)
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE"))
    ]
    assert len(statements) == 1 and statements[0].upper().startswith("INSERT")
    assert "advisory" not in " ".join(statements).lower()


def test_a_batch_is_one_insert_at_its_end(db):
    with CaptureQueriesContext(connection) as queries, audit_batch():
        _rows(5)
        assert AuditEvent.objects.count() == 0
    inserts = [q for q in queries.captured_queries if q["sql"].upper().startswith("INSERT")]
    assert len(inserts) == 1 and AuditEvent.objects.count() == 5


def test_detail_and_shown_ids_are_kept_whole(db):
    ids = list(range(1000, 1150))
    detail = "FHIR family=X → 150 : " + ",".join(map(str, ids))
    audit_log(user=None, action="search", object_type="patient", detail=detail, object_ids=ids)
    event = AuditEvent.objects.get()
    assert len(detail) > 300 and event.detail == detail
    assert event.object_ids == [str(i) for i in ids]


def test_the_bench_switch_writes_no_row(db, settings):
    settings.AUDIT_BENCH_OFF = True
    _rows(2)
    with audit_batch():
        _rows(2)
    assert AuditEvent.objects.count() == 0


# --- the sealer -----------------------------------------------------------------------------


def test_sealer_chains_rows_signs_a_checkpoint_and_is_idempotent(db, external):
    rows = _rows(3)
    result = audit_seal()
    assert result["sealed"] == 3 and result["checkpoint"] == 1
    links = list(AuditLink.objects.order_by("position"))
    assert [link.event_id for link in links] == [r.pk for r in rows]
    digest = GENESIS
    for link, row in zip(links, rows, strict=True):
        digest = row_digest(digest, AuditEvent.objects.get(pk=row.pk))
        assert link.digest == digest
    cp = AuditCheckpoint.objects.get()
    assert (cp.count, cp.head, cp.max_event_id) == (3, digest, rows[-1].pk)
    assert audit_seal() == {"sealed": 0, "checkpoint": 0}  # nothing new: no checkpoint
    assert AuditCheckpoint.objects.count() == 1 and AuditLink.objects.count() == 3
    assert [r["seq"] for r in read_external(external)] == [1]
    report = audit_verify()
    assert report.intact, report.problems
    assert (report.rows, report.sealed, report.checkpoints, report.external) == (3, 3, 1, 1)
    call_command("audit_verify")
    call_command("audit_seal")


def test_a_row_committed_after_a_higher_id_was_sealed_is_sealed_next(db, external):
    first = _rows(1)[0]
    # A higher id commits first (another transaction), and is sealed...
    high = AuditEvent.objects.create(
        id=first.pk + 100, at=timezone.now(), action="read", object_type="patient"
    )
    assert audit_seal()["sealed"] == 2
    # ...then a lower id, whose transaction started earlier, commits.
    low = AuditEvent.objects.create(
        id=first.pk + 50, at=timezone.now(), action="read", object_type="patient"
    )
    assert audit_seal() == {"sealed": 1, "checkpoint": 2, "export_errors": 0}
    assert AuditLink.objects.get(event_id=low.pk).position == 3
    assert AuditCheckpoint.objects.get(seq=2).max_event_id == high.pk
    assert audit_verify().intact


def test_rows_waiting_for_the_sealer_are_not_a_problem(db):
    _rows(2)
    audit_seal()
    _rows(1)
    report = audit_verify()
    assert report.intact and report.pending == 1 and report.sealed == 2


def test_rows_of_the_former_chain_still_verify_and_are_sealed(db):
    """Rows written before migration 0003 carry the per-row chain: it is still checked, and
    the first sealer run seals them like any other."""
    prev = GENESIS
    for i in range(3):
        event = AuditEvent(
            at=timezone.now(),
            username="ancien",
            action="read",
            object_type="patient",
            object_id=str(i),
            detail=f"old {i}",
            ip="127.0.0.1",
            channel="web",
            prev_hash=prev,
        )
        event.hash = _legacy_digest(prev, event)
        event.save(force_insert=True)
        prev = event.hash
    _rows(1)
    assert audit_seal()["sealed"] == 4
    assert audit_verify().intact
    old = AuditEvent.objects.filter(username="ancien").order_by("id")[1]
    _as_owner(
        AuditEvent, sql="UPDATE audit_auditevent SET detail = 'x' WHERE id = %s", params=[old.pk]
    )
    problems = _problems()
    assert f"row {old.pk} (position 2) altered" in problems
    assert f"row {old.pk}: the pre-0003 hash chain breaks" in problems


# --- tampering ------------------------------------------------------------------------------


def test_an_edited_row_is_detected(db):
    rows = _rows(4)
    audit_seal()
    _as_owner(
        AuditEvent,
        sql="UPDATE audit_auditevent SET patient_id = 999 WHERE id = %s",
        params=[rows[2].pk],
    )
    assert f"row {rows[2].pk} (position 3) altered" in _problems()


def test_a_deleted_row_is_detected(db):
    rows = _rows(4)
    audit_seal()
    _as_owner(AuditEvent, sql="DELETE FROM audit_auditevent WHERE id = %s", params=[rows[1].pk])
    assert f"row {rows[1].pk} (position 2) deleted" in _problems()


def test_a_deleted_row_and_link_are_detected(db):
    rows = _rows(4)
    audit_seal()
    _as_owner(
        AuditEvent, AuditLink, sql="DELETE FROM audit_auditevent WHERE id = %s", params=[rows[1].pk]
    )
    _as_owner(AuditLink, sql="DELETE FROM audit_auditlink WHERE event_id = %s", params=[rows[1].pk])
    problems = _problems()
    assert "links 2–2 missing" in problems and f"row {rows[2].pk} (position 3) altered" in problems


def test_an_inserted_backdated_row_is_detected_unsealed_and_sealed(db):
    _rows(2)
    audit_seal()
    forged = AuditEvent.objects.create(
        at=timezone.now() - timedelta(days=2),
        action="read",
        username="faux",
        object_type="patient",
        patient_id=7,
    )
    assert f"row {forged.pk} dated" in _problems() and "is not sealed" in _problems()
    _rows(1)
    audit_seal()  # the sealer seals it with the next batch: it must still stand out
    problems = _problems()
    assert f"row {forged.pk} dated" in problems and "sealed only in checkpoint 2" in problems
    assert "altered" not in problems and "deleted" not in problems


def test_an_emptied_trail_is_detected_against_the_external_copy(db, external):
    _rows(3)
    audit_seal()
    _rows(2)
    audit_seal()
    sql = (
        "TRUNCATE audit_auditevent, audit_auditlink, audit_auditcheckpoint"
        if connection.vendor == "postgresql"
        else None
    )
    if sql:
        _as_owner(AuditEvent, AuditLink, AuditCheckpoint, sql=sql)
    else:
        for model, table in TABLES.items():
            _as_owner(model, sql=f"DELETE FROM {table}")  # noqa: S608 (constant names)
    problems = _problems()
    assert "checkpoint 1 of the external copy is missing from the database" in problems
    assert "checkpoint 2 of the external copy is missing from the database" in problems
    with pytest.raises(CommandError, match="NOT intact"):
        call_command("audit_verify")


def test_a_truncated_rows_table_is_detected_by_the_links(db):
    rows = _rows(3)
    audit_seal()
    sql = (
        "TRUNCATE audit_auditevent"
        if connection.vendor == "postgresql"
        else "DELETE FROM audit_auditevent"
    )
    _as_owner(AuditEvent, sql=sql)
    problems = _problems()
    assert all(
        f"row {r.pk} (position {i}) deleted" in problems for i, r in enumerate(rows, start=1)
    )


def _rewrite_tail(keep: int, key: Ed25519PrivateKey) -> None:
    """What an owner would do to hide the last rows: delete them and their links, recompute
    the links and re-sign the checkpoints (with ``key``)."""
    kept = list(AuditLink.objects.order_by("position")[:keep])
    gone = list(AuditLink.objects.order_by("position")[keep:].values_list("event_id", flat=True))
    for event_id in gone:
        _as_owner(AuditEvent, sql="DELETE FROM audit_auditevent WHERE id = %s", params=[event_id])
    _as_owner(AuditLink, sql="DELETE FROM audit_auditlink WHERE position > %s", params=[keep])
    checkpoints = list(AuditCheckpoint.objects.order_by("seq"))
    _as_owner(AuditCheckpoint, sql="DELETE FROM audit_auditcheckpoint")
    last = checkpoints[-1]
    head = kept[-1].digest
    signature = key.sign(checkpoint_message(1, keep, head, last.at, kept[-1].event_id))
    AuditCheckpoint.objects.create(
        seq=1,
        count=keep,
        head=head,
        at=last.at,
        max_event_id=kept[-1].event_id,
        key_id=key_id(key.public_key()),
        signature=base64.b64encode(signature).decode(),
    )


def test_a_rewritten_tail_without_the_key_fails_the_signature(db):
    _rows(3)
    audit_seal()
    _rows(3)
    audit_seal()
    _rewrite_tail(3, Ed25519PrivateKey.generate())
    assert "checkpoint 1: invalid signature" in _problems()


def test_a_rewritten_tail_with_the_key_is_caught_by_the_external_copy(db, external, settings):
    from parcours.audit.sealing import signing_key

    _rows(3)
    audit_seal()
    _rows(3)
    audit_seal()
    _rewrite_tail(3, signing_key())
    # Inside the database everything is consistent again: only the copy outside tells.
    settings.AUDIT_CHECKPOINT_FILE = ""
    assert audit_verify().intact
    settings.AUDIT_CHECKPOINT_FILE = str(external)
    problems = _problems()
    assert "checkpoint 1 differs from the external copy" in problems
    assert "checkpoint 2 of the external copy is missing from the database" in problems


def test_a_checkpoint_missing_from_the_external_copy_is_reported_after_the_grace(
    db, external, settings
):
    _rows(2)
    audit_seal()
    external.write_text("")  # the copy lost its line (or was never written)
    assert audit_verify().intact  # within the grace: the sealer may not have written it yet
    later = timezone.now() + timedelta(seconds=settings.AUDIT_SEAL_GRACE + 60)
    report = audit_verify(now=later)
    assert "checkpoint 1 is not in the external copy" in "\n".join(report.problems)


def test_the_external_file_catches_up_after_a_failed_write(db, external, settings):
    settings.AUDIT_CHECKPOINT_FILE = str(external / "not-a-dir" / "x")  # parent is a file
    external.write_text("")
    _rows(1)
    assert audit_seal()["export_errors"] == 1
    settings.AUDIT_CHECKPOINT_FILE = str(external)
    _rows(1)
    assert audit_seal()["export_errors"] == 0
    assert [r["seq"] for r in read_external(external)] == [1, 2]
    lines = external.read_text().splitlines()
    assert json.loads(lines[0])["count"] == 1 and json.loads(lines[1])["count"] == 2
    assert audit_verify().intact


def test_a_syslog_export_can_be_verified(db, tmp_path, settings):
    """Checkpoints sent to syslog arrive as lines with a prefix; audit_verify --checkpoints
    reads such an export."""
    import socket

    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    settings.AUDIT_CHECKPOINT_SYSLOG = f"127.0.0.1:{receiver.getsockname()[1]}"
    _rows(2)
    audit_seal()
    line = receiver.recv(65536).decode()
    receiver.close()
    assert "parcours-audit: {" in line
    export = tmp_path / "syslog.txt"
    export.write_text(f"Nov 30 00:00:00 host {line}\n")
    assert audit_verify(external=export).intact
    _as_owner(AuditCheckpoint, sql="DELETE FROM audit_auditcheckpoint")
    assert "checkpoint 1 of the external copy is missing" in "\n".join(
        audit_verify(external=export).problems
    )


def test_a_malformed_signing_key_is_refused_at_start_up(settings):
    from parcours.audit.checks import audit_keys_valid

    assert audit_keys_valid() == []
    settings.AUDIT_SIGNING_KEY = base64.b64encode(b"short").decode()
    assert [e.id for e in audit_keys_valid()] == ["parcours.E101"]
    settings.AUDIT_SIGNING_KEY = "not base64 !"
    assert [e.id for e in audit_keys_valid()] == ["parcours.E101"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_read_alone_in_its_transaction_may_commit_asynchronously(settings):
    """AUDIT_ASYNC_READS: only a row alone in its transaction skips the wait for the disk; a
    row of an action that writes keeps the action's (synchronous) commit."""
    from parcours.core.tests.servers import is_postgres

    if not is_postgres():
        pytest.skip("asynchronous commit is a PostgreSQL setting")
    settings.AUDIT_ASYNC_READS = True
    with CaptureQueriesContext(connection) as queries:
        audit_log(user=None, action="read", object_type="patient", object_id=1)
    assert any("synchronous_commit" in q["sql"] for q in queries.captured_queries)
    from django.db import transaction

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        audit_log(user=None, action="update", object_type="patient", object_id=1)
    assert not any("synchronous_commit" in q["sql"] for q in queries.captured_queries)
    assert AuditEvent.objects.count() == 2
    assert audit_seal()["sealed"] == 2 and audit_verify().intact


def test_production_refuses_to_start_without_a_signing_key(tmp_path):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "PARCOURS_ENV": "production",
        "PARCOURS_TESTING": "0",
        "SECRET_KEY": "s" * 60,
        "ALLOWED_HOSTS": "parcours.example.org",
        "PARCOURS_VAR_DIR": str(tmp_path),
        "MESSAGING_KEYS": "ZmFrZS1rZXktZm9yLXRoZS1kZXBsb3ktY2hlY2stMDE=",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    env.pop("AUDIT_SIGNING_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "AUDIT_SIGNING_KEY must be set" in result.stderr


def test_the_worker_seals(db):
    from parcours.core.worker import run_once

    _rows(2)
    assert run_once()["audit_seal"]["sealed"] == 2
    assert audit_verify().intact


@pytest.mark.postgres
def test_only_one_sealer_runs_at_a_time(db):
    """A second sealer (another worker) finds the lock taken and seals nothing."""
    import psycopg

    from parcours.audit.sealing import _SEALER_LOCK_KEY
    from parcours.core.tests.servers import is_postgres

    if not is_postgres():
        pytest.skip("the sealer lock is a PostgreSQL advisory lock")
    _rows(1)
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [_SEALER_LOCK_KEY])
        assert audit_seal() == {"sealed": 0, "busy": 1}
        other.execute("SELECT pg_advisory_unlock(%s)", [_SEALER_LOCK_KEY])
    assert audit_seal()["sealed"] == 1


def test_the_database_refuses_delete_and_truncate_in_tests_as_in_production(db):
    """Migrations 0002 and 0003 install the same guards on every database, tests included:
    DELETE on SQLite and PostgreSQL, TRUNCATE on PostgreSQL — refused even to the owner until
    the trigger is dropped."""
    from django.db import DatabaseError, transaction

    _rows(1)
    audit_seal()
    attempts = [f"DELETE FROM {table}" for table in TABLES.values()]  # noqa: S608
    if connection.vendor == "postgresql":
        attempts += [f"TRUNCATE {table}" for table in TABLES.values()]
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks
    for sql in attempts:
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert AuditEvent.objects.count() == AuditLink.objects.count() == 1
