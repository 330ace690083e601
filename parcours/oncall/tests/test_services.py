"""The on-call services: rolling generation, taking, swaps, overrides, publication, hand-over."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from parcours.lib.errors import Conflict, Forbidden, Invalid
from parcours.notifications.models import Notification
from parcours.oncall import services
from parcours.oncall.models import RosterEvent, RosterPeriod, Shift, ShiftTemplate, Swap
from parcours.oncall.selectors import on_call_now, roster_problems

PARIS = ZoneInfo("Europe/Paris")


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=PARIS)


def shift_at(roster, when: datetime) -> Shift:
    return roster.shifts.get(start__lte=when, end__gt=when)


def test_generation_rolls_through_the_rota_and_can_be_run_again(rota_shifts):
    r = rota_shifts
    shifts = list(r.cardio.shifts.order_by("start"))
    # 31 days of March: 22 weekday nights (Mon–Fri starts) + 9 weekend days = 31 shifts.
    assert len(shifts) == 31
    assert [s.practitioner for s in shifts[:4]] == [r.doctor, r.head, r.locum, r.doctor]
    assert shifts[0].start == at(1, 8, 30) and shifts[0].end == at(2, 8, 30)
    assert shifts[1].label == "Nuit" and shifts[1].start == at(2, 18, 30)
    again = services.shifts_generate(
        actor=r.t.head, roster=r.cardio, start=date(2026, 3, 1), end=date(2026, 4, 2)
    )
    assert again == 2  # only April 1 and 2 are new; the rotation goes on after the last one
    april = list(r.cardio.shifts.filter(start__gte=at(1, 0, month=4)).order_by("start"))
    assert april[0].practitioner == [r.doctor, r.head, r.locum][31 % 3]
    assert RosterEvent.objects.filter(roster=r.cardio, action="generated").count() == 2


def test_the_doctors_of_the_rota_are_told_of_their_new_shifts(rota_shifts):
    note = Notification.objects.get(user=rota_shifts.t.doctor, kind="oncall_assigned")
    assert "11 garde(s)" in note.title
    # The head generated it: no notification to themselves.
    assert not Notification.objects.filter(user=rota_shifts.t.head, kind="oncall_assigned")


def test_generation_refuses_periods_that_overlap_unless_allowed(rota):
    ShiftTemplate.objects.create(
        roster=rota.cardio, label="Demi-garde", days="0", start_time=time(22), end_time=time(2)
    )
    with pytest.raises(Invalid, match="se chevauchent"):
        services.shifts_generate(
            actor=rota.t.head, roster=rota.cardio, start=date(2026, 3, 9), end=date(2026, 3, 9)
        )
    assert not rota.cardio.shifts.exists()
    rota.cardio.allow_overlap = True
    rota.cardio.save()
    assert (
        services.shifts_generate(
            actor=rota.t.head, roster=rota.cardio, start=date(2026, 3, 9), end=date(2026, 3, 9)
        )
        == 2
    )


def test_only_a_manager_generates(rota):
    with pytest.raises(Forbidden):
        services.shifts_generate(
            actor=rota.t.doctor, roster=rota.cardio, start=date(2026, 3, 9), end=date(2026, 3, 9)
        )


def test_who_is_on_call_now_reads_the_override_before_the_shift(rota_shifts):
    r = rota_shifts
    friday_night = at(6, 21)
    assert shift_at(r.cardio, friday_night).practitioner == r.locum
    services.override_create(
        actor=r.t.head,
        roster=r.cardio,
        practitioner=r.doctor,
        start=at(6, 20),
        end=at(6, 23),
        reason="Congrès",
    )
    now = on_call_now([r.cardio], friday_night)[0]
    assert now.practitioner == r.doctor and now.override is not None
    # The service's senior line is the number to call.
    assert now.phone == "0243000001"
    later = on_call_now([r.cardio], at(6, 23, 30))[0]
    assert later.practitioner == r.locum and later.override is None
    # The doctor replacing is told.
    assert Notification.objects.filter(user=r.t.doctor, kind="oncall_override").exists()


def test_two_doctors_taking_the_same_open_shift_the_second_gets_a_conflict(rota_shifts):
    r = rota_shifts
    shift = shift_at(r.cardio, at(10, 20))
    services.shift_assign(actor=r.t.head, shift=shift, practitioner=None)
    services.shift_take(actor=r.t.doctor, shift=shift)
    shift.refresh_from_db()
    assert shift.practitioner == r.doctor
    with pytest.raises(Conflict):
        services.shift_take(actor=r.t.head, shift=shift)
    assert list(
        RosterEvent.objects.filter(shift=shift).values_list("action", flat=True).order_by("pk")
    ) == ["assigned", "taken"]


def test_only_the_doctors_of_the_rota_take_a_shift(rota_shifts):
    shift = shift_at(rota_shifts.cardio, at(10, 20))
    services.shift_assign(actor=rota_shifts.t.head, shift=shift, practitioner=None)
    with pytest.raises(Forbidden):
        services.shift_take(actor=rota_shifts.t.gp, shift=shift)


def test_an_offered_shift_is_taken_by_a_colleague(rota_shifts):
    r = rota_shifts
    shift = shift_at(r.cardio, at(11, 20))  # Wednesday night
    assert shift.practitioner == r.head
    services.shift_offer(actor=r.t.head, shift=shift)
    assert Notification.objects.filter(user=r.t.doctor, kind="oncall_offered").exists()
    services.shift_take(actor=r.t.doctor, shift=shift)
    shift.refresh_from_db()
    assert shift.practitioner == r.doctor and not shift.offered
    assert Notification.objects.filter(user=r.t.head, kind="oncall_taken").exists()


def test_a_swap_accepted_exchanges_both_shifts_and_keeps_the_history(rota_shifts):
    r = rota_shifts
    mine = shift_at(r.cardio, at(8, 12))  # Sunday, the head's
    theirs = shift_at(r.cardio, at(10, 20))  # Tuesday night, the doctor's
    assert (mine.practitioner, theirs.practitioner) == (r.head, r.doctor)
    swap = services.swap_ask(
        actor=r.t.head, shift=mine, target=r.doctor, counter_shift=theirs, message="Mariage"
    )
    assert Notification.objects.filter(user=r.t.doctor, kind="oncall_swap").exists()
    with pytest.raises(Conflict):
        services.swap_ask(actor=r.t.head, shift=mine, target=r.locum)
    with pytest.raises(Forbidden):
        services.swap_answer(actor=r.t.head, swap=swap, accept=True)
    services.swap_answer(actor=r.t.doctor, swap=swap, accept=True)
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.practitioner, theirs.practitioner) == (r.doctor, r.head)
    swap.refresh_from_db()
    assert swap.state == Swap.State.ACCEPTED
    assert RosterEvent.objects.filter(action="swap_accepted").count() == 2
    with pytest.raises(Conflict):
        services.swap_answer(actor=r.t.doctor, swap=swap, accept=False)


def test_a_swap_cannot_apply_once_the_shift_changed_hands(rota_shifts):
    r = rota_shifts
    shift = shift_at(r.cardio, at(8, 12))
    swap = services.swap_ask(actor=r.t.head, shift=shift, target=r.doctor)
    services.shift_assign(actor=r.t.head, shift=shift, practitioner=r.locum)
    with pytest.raises(Conflict, match="ont changé"):
        services.swap_answer(actor=r.t.doctor, swap=swap, accept=True)
    shift.refresh_from_db()
    assert shift.practitioner == r.locum


def test_a_swap_target_must_be_a_doctor_of_the_rota(rota_shifts):
    r = rota_shifts
    with pytest.raises(Invalid) as exc:
        services.swap_ask(actor=r.t.head, shift=shift_at(r.cardio, at(8, 12)), target=r.gp)
    assert exc.value.field == "target"


def test_a_pdsa_rota_covers_at_least_three_months(rota):
    with pytest.raises(Invalid, match="R6315-2"):
        services.period_submit(
            actor=rota.t.gp, roster=rota.sector, start=date(2026, 5, 1), end=date(2026, 6, 30)
        )


def test_a_rota_with_gaps_and_open_shifts_is_not_published(rota):
    r = rota
    services.shifts_generate(
        actor=r.t.gp, roster=r.sector, start=date(2026, 5, 1), end=date(2026, 7, 31)
    )
    first_saturday = r.sector.shifts.get(start=at(2, 12, month=5))
    services.shift_assign(actor=r.t.gp, shift=first_saturday, practitioner=None)
    r.sector.shifts.filter(start=at(3, 8, month=5)).delete()
    with pytest.raises(Invalid) as exc:
        services.period_submit(
            actor=r.t.gp, roster=r.sector, start=date(2026, 5, 1), end=date(2026, 7, 31)
        )
    text = str(exc.value)
    assert "Garde sans médecin : 02/05/2026 12:00" in text
    assert "Période non couverte : 03/05/2026 08:00 – 03/05/2026 20:00" in text
    assert not RosterPeriod.objects.exists()


def test_a_complete_pdsa_rota_is_sent_to_the_council_then_published(rota):
    r = rota
    start, end = date(2026, 5, 1), date(2026, 7, 31)
    services.shifts_generate(actor=r.t.gp, roster=r.sector, start=start, end=end)
    assert roster_problems(r.sector, start, end) == []
    period = services.period_submit(actor=r.t.gp, roster=r.sector, start=start, end=end)
    # 2026-03-06 to 2026-05-01: 56 days, the 45-day notice is kept.
    assert period.state == RosterPeriod.State.SUBMITTED and not period.late
    services.period_validate(actor=r.t.gp, period=period)
    period.refresh_from_db()
    assert period.state == RosterPeriod.State.PUBLISHED and period.validated_by == r.t.gp
    assert Notification.objects.filter(user=r.t.gp2, kind="oncall_published").exists()
    with pytest.raises(Invalid, match="recouvre"):
        services.period_submit(actor=r.t.gp, roster=r.sector, start=start, end=end)


def test_a_pdsa_rota_sent_less_than_45_days_ahead_is_flagged_late(rota):
    r = rota
    start, end = date(2026, 4, 1), date(2026, 6, 30)
    services.shifts_generate(actor=r.t.gp, roster=r.sector, start=start, end=end)
    period = services.period_submit(actor=r.t.gp, roster=r.sector, start=start, end=end)
    assert period.late
    assert "moins de 45 jours" in RosterEvent.objects.get(action="submitted").detail


def test_an_overlapping_override_is_refused(rota_shifts):
    r = rota_shifts
    kw = dict(actor=r.t.head, roster=r.cardio, practitioner=r.doctor)
    services.override_create(**kw, start=at(10, 20), end=at(10, 23))
    with pytest.raises(Invalid, match="Un remplacement couvre déjà"):
        services.override_create(**kw, start=at(10, 22), end=at(11, 1))


def test_hand_over_tells_the_incoming_and_the_outgoing_doctor_once(rota_shifts):
    r = rota_shifts
    # Saturday 7 March 08:30: the doctor takes over from the locum (Friday night).
    with time_machine.travel(at(7, 8), tick=False):
        assert services.handover_notify_due() == 1
        assert services.handover_notify_due() == 0
    incoming = Notification.objects.get(user=r.t.doctor, kind="oncall_handover")
    assert "vous prenez la garde" in incoming.title and "SANSOMPTE" in incoming.body


def test_hand_over_of_an_open_shift_warns_the_managers(rota_shifts):
    r = rota_shifts
    shift = shift_at(r.cardio, at(7, 12))
    services.shift_assign(actor=r.t.admin, shift=shift, practitioner=None)
    with time_machine.travel(at(7, 8), tick=False):
        services.handover_notify_due()
    assert Notification.objects.filter(
        user=r.t.head, kind="oncall_handover", title__startswith="Garde sans médecin"
    ).exists()


def test_the_roster_feed_token_is_renewed(rota):
    old = rota.cardio.ical_token
    services.roster_feed_renew(actor=rota.t.head, roster=rota.cardio)
    rota.cardio.refresh_from_db()
    assert rota.cardio.ical_token != old


def test_dates_in_the_wrong_order_are_refused_on_their_field(rota):
    with pytest.raises(Invalid) as exc:
        services.shifts_generate(
            actor=rota.t.head, roster=rota.cardio, start=date(2026, 3, 9), end=date(2026, 3, 1)
        )
    assert exc.value.field == "end"
