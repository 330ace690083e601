"""Booking, cancelling, moving; pools; the waitlist; reminders."""

from datetime import timedelta

import pytest

from parcours.audit.models import AuditEvent
from parcours.notifications.models import Notification
from parcours.scheduling.models import Appointment, Slot, WaitlistEntry
from parcours.scheduling.services import (
    BookingError,
    appointment_cancel,
    appointment_move,
    reminders_send,
    slot_book,
    waitlist_add,
)

from .fixtures import slot_on


def test_gp_books_an_open_slot_and_the_service_staff_are_told(agenda, territory, patient):
    slot = slot_on(agenda.cardio, 9)
    a = slot_book(user=territory.gp, slot=slot, patient=patient, note="Dyspnée d'effort")
    slot.refresh_from_db()
    assert slot.status == Slot.Status.BUSY and a.prescriber == territory.gp
    told = set(
        Notification.objects.filter(kind="appointment_booked").values_list(
            "user__username", flat=True
        )
    )
    assert {"desk", "doctor", "head", "radio"} <= told and "gp" not in told
    assert "Dupont" not in Notification.objects.filter(kind="appointment_booked").first().title
    assert AuditEvent.objects.filter(
        object_type="appointment", action="create", patient_id=patient.pk
    ).exists()


def test_a_taken_slot_is_refused_with_a_clear_message(agenda, territory, patient):
    slot = slot_on(agenda.cardio, 9)
    slot_book(user=territory.gp, slot=slot, patient=patient)
    with pytest.raises(BookingError, match="Ce créneau est déjà pris."):
        slot_book(user=territory.gp2, slot=slot, patient=patient)
    assert Appointment.objects.count() == 1


def test_partner_pool_is_for_the_partner_practice_only(agenda, territory, patient):
    slot = slot_on(agenda.cardio, 10)  # reserved to MSP Un
    with pytest.raises(BookingError, match="réservé à une autre structure"):
        slot_book(user=territory.gp2, slot=slot, patient=patient)
    assert slot_book(user=territory.gp, slot=slot, patient=patient).pk


def test_urgent_slots_need_a_reason(agenda, territory, patient):
    slot = slot_on(agenda.cardio, 11)
    with pytest.raises(BookingError, match="motif d'urgence"):
        slot_book(user=territory.gp, slot=slot, patient=patient)
    a = slot_book(
        user=territory.gp, slot=slot, patient=patient, urgent_reason="Douleur thoracique atypique"
    )
    assert a.urgent_reason


def test_cancel_frees_the_slot_and_tells_the_waitlist(agenda, territory, patient):
    slot = slot_on(agenda.cardio, 9)
    a = slot_book(user=territory.gp, slot=slot, patient=patient)
    slot_book(user=territory.gp, slot=slot_on(agenda.cardio, 9, 9, 30), patient=patient)
    entry = waitlist_add(
        user=territory.gp2,
        schedule=agenda.cardio,
        patient=patient,
        earliest=slot.start.date(),
        latest=slot.start.date(),
    )
    appointment_cancel(user=territory.gp, appointment=a, reason="Patient hospitalisé")
    slot.refresh_from_db()
    entry.refresh_from_db()
    assert slot.status == Slot.Status.FREE and entry.notified_at is not None
    assert Notification.objects.filter(user=territory.gp2, kind="waitlist").exists()
    assert Notification.objects.filter(user=territory.desk, kind="appointment_cancelled").exists()
    with pytest.raises(BookingError):
        appointment_cancel(user=territory.gp, appointment=a)


def test_move_keeps_the_reference_books_the_new_slot_and_frees_the_old(agenda, territory, patient):
    old_slot, new_slot = slot_on(agenda.cardio, 9), slot_on(agenda.cardio, 9, 9, 30)
    a = slot_book(user=territory.gp, slot=old_slot, patient=patient)
    reference = a.reference
    moved = appointment_move(user=territory.gp, appointment=a, new_slot=new_slot)
    a.refresh_from_db()
    old_slot.refresh_from_db()
    new_slot.refresh_from_db()
    assert moved.pk == a.pk and a.reference == reference and a.status == "booked"
    assert a.slot_id == new_slot.pk and a.start == new_slot.start
    assert old_slot.status == "free" and new_slot.status == "busy"
    history = list(a.moves.all())
    assert [(m.from_start, m.to_start, m.moved_by) for m in history] == [
        (old_slot.start, new_slot.start, territory.gp)
    ]
    assert Notification.objects.filter(user=territory.desk, kind="appointment_moved").exists()
    # Moving onto a taken slot changes nothing.
    other = slot_on(agenda.cardio, 16)
    slot_book(user=territory.gp2, slot=other, patient=patient)
    with pytest.raises(BookingError):
        appointment_move(user=territory.gp, appointment=a, new_slot=other)
    a.refresh_from_db()
    assert a.status == "booked" and a.slot_id == new_slot.pk and a.moves.count() == 1


def test_moving_into_an_urgent_slot_needs_a_reason(agenda, territory, patient):
    a = slot_book(user=territory.gp, slot=slot_on(agenda.cardio, 9), patient=patient)
    urgent = slot_on(agenda.cardio, 11)
    with pytest.raises(BookingError) as refused:
        appointment_move(user=territory.gp, appointment=a, new_slot=urgent)
    assert refused.value.code == "urgent_reason"
    appointment_move(
        user=territory.gp,
        appointment=a,
        new_slot=urgent,
        urgent_reason="Douleur thoracique d'effort",
    )
    a.refresh_from_db()
    assert a.slot_id == urgent.pk and a.urgent_reason == "Douleur thoracique d'effort"
    assert a.moves.get().urgent_reason == "Douleur thoracique d'effort"
    # Back to an ordinary slot, it is no longer urgent; the history keeps the former reason.
    appointment_move(user=territory.gp, appointment=a, new_slot=slot_on(agenda.cardio, 9, 9, 30))
    a.refresh_from_db()
    assert a.urgent_reason == ""
    assert a.moves.order_by("pk").first().urgent_reason == "Douleur thoracique d'effort"


def test_reminders_go_once_the_day_before(agenda, territory, patient, frozen):
    slot = slot_on(agenda.cardio, 9)
    slot_book(user=territory.gp, slot=slot, patient=patient)
    assert reminders_send()["reminders"] == 0
    frozen.move_to(slot.start - timedelta(hours=20))
    assert reminders_send()["reminders"] == 1
    assert reminders_send()["reminders"] == 0
    assert Notification.objects.filter(user=territory.gp, kind="appointment_reminder").exists()


def test_waitlist_booking_closes_the_entry(agenda, territory, patient):
    slot = slot_on(agenda.cardio, 9)
    for taken in (slot, slot_on(agenda.cardio, 9, 9, 30)):
        slot_book(user=territory.gp2, slot=taken, patient=patient)
    entry = waitlist_add(
        user=territory.gp,
        schedule=agenda.cardio,
        patient=patient,
        earliest=slot.start.date(),
        latest=slot.start.date(),
    )
    slot_book(user=territory.gp, slot=slot_on(agenda.cardio, 16), patient=patient)
    assert WaitlistEntry.objects.get(pk=entry.pk).closed_at is not None
