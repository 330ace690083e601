"""Opening slots from weekly rules, holidays, closures, the release of reserved pools."""

from datetime import datetime, time, timedelta

import pytest

from parcours.scheduling.models import Appointment, AvailabilityRule, Pool, Slot
from parcours.scheduling.services import (
    BookingError,
    exception_add,
    slot_book,
    slots_generate,
    slots_release_due,
)

from .fixtures import PARIS, slot_on


def test_rules_open_slots_of_the_act_length_and_rerun_adds_nothing(agenda):
    monday = list(agenda.cardio.slots.filter(start__date="2026-03-09"))
    assert [(s.start.astimezone(PARIS).time(), s.pool) for s in monday] == [
        (time(9), Pool.OPEN),
        (time(9, 30), Pool.OPEN),
    ]
    assert slot_on(agenda.cardio, 10).partner_id is not None
    assert slot_on(agenda.cardio, 11).pool == Pool.URGENT
    assert slots_generate(schedule=agenda.cardio) == 0


def test_public_holidays_open_nothing(agenda):
    # Easter Monday 2026 is 6 April.
    AvailabilityRule.objects.filter(schedule=agenda.cardio).update(valid_until=None)
    slots_generate(schedule=agenda.cardio, until=datetime(2026, 4, 14).date())
    assert not agenda.cardio.slots.filter(start__date="2026-04-06").exists()
    assert agenda.cardio.slots.filter(start__date="2026-04-13").count() == 2


def test_closure_blocks_free_slots_and_refuses_over_bookings(agenda, territory, patient):
    start = datetime(2026, 3, 9, 8, tzinfo=PARIS)
    exception_add(
        actor=territory.desk,
        schedule=agenda.cardio,
        start=start,
        end=start + timedelta(hours=4),
        reason="Congrès",
    )
    assert set(
        agenda.cardio.slots.filter(start__date="2026-03-09").values_list("status", flat=True)
    ) == {Slot.Status.BLOCKED}
    slot_book(user=territory.gp, slot=slot_on(agenda.cardio, 10), patient=patient)
    with pytest.raises(BookingError, match="déjà pris"):
        exception_add(
            actor=territory.desk,
            schedule=agenda.cardio,
            start=datetime(2026, 3, 10, 8, tzinfo=PARIS),
            end=datetime(2026, 3, 10, 12, tzinfo=PARIS),
            reason="Congés",
        )
    assert Appointment.objects.filter(status="booked").count() == 1


def test_reserved_slots_return_to_everyone_before_they_start(agenda, frozen):
    partner_slot = slot_on(agenda.cardio, 10)
    assert slots_release_due()["slots_released"] == 0
    frozen.move_to(partner_slot.start - timedelta(hours=47))
    assert slots_release_due()["slots_released"] >= 1
    partner_slot.refresh_from_db()
    assert (partner_slot.pool, partner_slot.partner, partner_slot.reserved_pool) == (
        Pool.OPEN,
        None,
        Pool.PARTNER,
    )


def test_worker_opens_only_the_days_past_the_last_slot(agenda, frozen):
    from parcours.scheduling.services import slots_generate_all

    assert slots_generate_all()["slots_opened"] == 0  # already open to the horizon
    frozen.move_to(datetime(2026, 3, 13, 8, tzinfo=PARIS))  # a week later
    opened = slots_generate_all()["slots_opened"]
    # One more week of rules: Mon/Tue/Wed consultations (2 each) + Thursday ultrasound (3).
    assert opened == 9
    assert slots_generate_all()["slots_opened"] == 0


@pytest.mark.parametrize(
    "start, message",
    [
        (datetime(2026, 3, 2, 8, tzinfo=PARIS), "déjà passée"),  # the Monday before "now"
        (datetime(9999, 12, 30, 8, tzinfo=PARIS), "deux ans"),
    ],
)
def test_a_closure_in_the_past_or_absurdly_far_is_refused(agenda, territory, start, message):
    with pytest.raises(BookingError, match=message):
        exception_add(
            actor=territory.desk,
            schedule=agenda.cardio,
            start=start,
            end=start + timedelta(hours=4),
            reason="Congés",
        )
    assert not agenda.cardio.exceptions.exists()
