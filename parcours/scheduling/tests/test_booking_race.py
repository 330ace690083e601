"""Many GPs booking the same slot at the same instant, on a real PostgreSQL: exactly one wins,
the others are told the slot is taken, and the database holds no overlap."""

import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction

from parcours.core.tests.servers import postgres_only
from parcours.scheduling.models import Appointment
from parcours.scheduling.services import BookingError, slot_book

from .fixtures import slot_on

pytestmark = [pytest.mark.postgres, postgres_only]

CLIENTS = 12


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_one_slot_have_exactly_one_winner(agenda, territory, patient):
    slot = slot_on(agenda.cardio, 9)
    barrier = threading.Barrier(CLIENTS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def client(user):
        try:
            barrier.wait()
            slot_book(user=user, slot=slot, patient=patient)
            result = "booked"
        except BookingError as exc:
            result = exc.message
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    users = [territory.gp, territory.gp2] * (CLIENTS // 2)
    threads = [threading.Thread(target=client, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcomes.count("booked") == 1
    assert outcomes.count("Ce créneau est déjà pris.") == CLIENTS - 1
    assert Appointment.objects.filter(slot=slot).count() == 1


@pytest.mark.django_db(transaction=True)
def test_database_refuses_an_overlap_even_without_the_service(agenda, territory, patient):
    first = slot_on(agenda.cardio, 9)
    a = slot_book(user=territory.gp, slot=first, patient=patient)
    second = slot_on(agenda.cardio, 9, 9, 30)
    with pytest.raises(IntegrityError), transaction.atomic():
        # A path that forgot the lock, writing an appointment overlapping ``a``.
        Appointment.objects.create(
            slot=second,
            schedule=agenda.cardio,
            start=a.start,
            end=second.end,
            patient=patient,
            booked_by=territory.gp,
            prescriber=territory.gp,
        )
    with connection.cursor() as cursor:
        cursor.execute("""SELECT count(*) FROM scheduling_appointment x
                          JOIN scheduling_appointment y ON x.id < y.id
                           AND x.schedule_id = y.schedule_id
                           AND tstzrange(x.start, x."end") && tstzrange(y.start, y."end")
                          WHERE x.status <> 'cancelled' AND y.status <> 'cancelled'""")
        assert cursor.fetchone()[0] == 0
