"""Rows written by the former per-row chain (before migration 0003) still verify after it:
the migration keeps their hashes, the first sealer run seals them, and an edit made to one of
them is still named."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from parcours.audit.sealing import GENESIS, _legacy_digest, audit_seal, audit_verify

BEFORE = [("audit", "0002_append_only")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_rows_of_the_former_chain_survive_the_migration_and_are_sealed():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("audit")
    _migrate(BEFORE)
    old = MigrationExecutor(connection).loader.project_state(BEFORE[0]).apps
    Event = old.get_model("audit", "AuditEvent")
    prev = GENESIS
    try:
        for i in range(3):  # as the former services.audit_log wrote them
            event = Event(
                at=timezone.now(),
                username="ancien",
                action="read",
                object_type="patient",
                object_id=str(i),
                patient_id=i,
                detail=f"lecture {i}",
                ip="127.0.0.1",
                channel="web",
                prev_hash=prev,
            )
            event.hash = _legacy_digest(prev, event)
            event.save(force_insert=True)
            prev = event.hash
    finally:
        _migrate(latest)
    report = audit_verify()
    assert report.intact and report.rows == 3 and report.pending == 3
    assert audit_seal()["sealed"] == 3
    report = audit_verify()
    assert report.intact and report.sealed == 3 and report.checkpoints == 1
