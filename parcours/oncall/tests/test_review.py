"""Attacks from the review of issue 19 on the on-call rosters."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_roster_window_at_the_edge_of_time_is_a_page_not_an_error(rota_shifts, login, day):
    client = login(rota_shifts.t.doctor)
    url = reverse("oncall:roster", args=[rota_shifts.cardio.pk]) + f"?du={day}"
    assert client.get(url).status_code == 200
    for name in ("oncall:export", "oncall:print"):
        response = client.get(reverse(name, args=[rota_shifts.cardio.pk]) + f"?du={day}&au={day}")
        assert response.status_code == 200, name
