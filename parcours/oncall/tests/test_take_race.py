"""Doctors taking the same open shift at the same instant, on a real PostgreSQL: exactly one
gets it, the others are told it is no longer open, and the history holds one take."""

import threading

import pytest
from django.db import connections

from parcours.core.tests.servers import postgres_only
from parcours.lib.errors import Conflict
from parcours.oncall.models import RosterEvent
from parcours.oncall.services import shift_assign, shift_take

pytestmark = [pytest.mark.postgres, postgres_only]

CLIENTS = 8


@pytest.mark.django_db(transaction=True)
def test_concurrent_takes_of_one_open_shift_have_exactly_one_winner(rota_shifts):
    r = rota_shifts
    shift = r.cardio.shifts.get(start__date="2026-03-10")
    shift_assign(actor=r.t.head, shift=shift, practitioner=None)
    barrier = threading.Barrier(CLIENTS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def client(user):
        try:
            barrier.wait()
            shift_take(actor=user, shift=shift)
            result = "won"
        except Conflict as exc:
            result = exc.code
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    users = [r.t.doctor, r.t.head] * (CLIENTS // 2)
    threads = [threading.Thread(target=client, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcomes.count("won") == 1
    assert len(outcomes) == CLIENTS
    shift.refresh_from_db()
    assert shift.practitioner in (r.doctor, r.head)
    assert RosterEvent.objects.filter(shift=shift, action="taken").count() == 1
