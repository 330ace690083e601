"""Attacks from the review of issue 19 on the on-call rosters."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from parcours.oncall import services
from parcours.oncall.models import Shift


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_roster_window_at_the_edge_of_time_is_a_page_not_an_error(rota_shifts, login, day):
    client = login(rota_shifts.t.doctor)
    url = reverse("oncall:roster", args=[rota_shifts.cardio.pk]) + f"?du={day}"
    assert client.get(url).status_code == 200
    for name in ("oncall:export", "oncall:print"):
        response = client.get(reverse(name, args=[rota_shifts.cardio.pk]) + f"?du={day}&au={day}")
        assert response.status_code == 200, name


def test_shifts_around_the_clock_change_keep_their_wall_clock_hours(rota_shifts):
    """29 March 2026, 02:00 → 03:00 in Paris: the weekend shift of Saturday 28 runs 08:30 to
    08:30 on the wall clock (23 hours), with no gap and no overlap with its neighbours."""
    paris = ZoneInfo("Europe/Paris")
    shifts = list(
        Shift.objects.filter(
            roster=rota_shifts.cardio,
            start__gte=datetime(2026, 3, 27, 12, tzinfo=paris),
            start__lt=datetime(2026, 3, 31, tzinfo=paris),
        ).order_by("start")
    )
    local = [(s.start.astimezone(paris), s.end.astimezone(paris)) for s in shifts]
    assert [(a.hour, a.minute, b.hour, b.minute) for a, b in local] == [(18, 30, 8, 30)] + [
        (8, 30, 8, 30)
    ] * 2 + [(18, 30, 8, 30)]
    assert local[0][1] == local[1][0] and local[1][1] == local[2][0]  # Friday night → weekend
    assert shifts[1].end - shifts[1].start == timedelta(hours=23)  # instants, in UTC


def test_the_fee_csv_pays_a_partial_override_to_who_answered_those_hours(rota_shifts, client):
    """An override from 22:00 on Tuesday's night (18:30 → 08:30): the export says the holder
    answered 18:30–22:00 and the replacing doctor 22:00–08:30 — not the holder all night."""
    paris = ZoneInfo("Europe/Paris")
    r = rota_shifts
    shift = r.cardio.shifts.get(start__date="2026-03-10")
    services.override_create(
        actor=r.t.head,
        roster=r.cardio,
        practitioner=r.head if shift.practitioner != r.head else r.doctor,
        start=datetime(2026, 3, 10, 22, 0, tzinfo=paris),
        end=datetime(2026, 3, 11, 8, 30, tzinfo=paris),
        reason="Relève",
    )
    client.force_login(r.t.desk)
    body = client.get(
        reverse("oncall:export", args=[r.cardio.pk]) + "?du=2026-03-10&au=2026-03-10"
    ).content.decode("utf-8-sig")
    rows = [line.split(";") for line in body.strip().splitlines()[1:]]
    tuesday = [c for c in rows if c[2] >= "10/03/2026 18:30"]  # Monday's night ends at 08:30
    assert [(c[2], c[3]) for c in tuesday] == [
        ("10/03/2026 18:30", "10/03/2026 22:00"),
        ("10/03/2026 22:00", "11/03/2026 08:30"),
    ]
    assert tuesday[0][6] == tuesday[0][4] and tuesday[1][6] != tuesday[1][4]
