from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from parcours.lib.sla import add_delay, is_working_day

PARIS = ZoneInfo("Europe/Paris")


def test_calendar_delay_is_plain_hours():
    start = datetime(2026, 11, 20, 10, 0, tzinfo=PARIS)  # a Friday
    assert add_delay(start, 48) == datetime(2026, 11, 22, 10, 0, tzinfo=PARIS)


def test_working_delay_skips_the_weekend():
    start = datetime(2026, 11, 20, 10, 0, tzinfo=PARIS)  # Friday 10:00
    assert add_delay(start, 48, working_days=True) == datetime(2026, 11, 24, 10, 0, tzinfo=PARIS)


def test_working_delay_skips_french_public_holidays():
    # Wednesday 11 November 2026 is Armistice Day.
    start = datetime(2026, 11, 10, 9, 0, tzinfo=PARIS)  # Tuesday
    assert not is_working_day(datetime(2026, 11, 11).date())
    assert add_delay(start, 48, working_days=True) == datetime(2026, 11, 13, 9, 0, tzinfo=PARIS)


def test_request_sent_on_sunday_starts_counting_on_monday():
    start = datetime(2026, 11, 22, 15, 0, tzinfo=PARIS)  # Sunday
    assert add_delay(start, 24, working_days=True) == datetime(2026, 11, 24, 0, 0, tzinfo=PARIS)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        add_delay(datetime(2026, 1, 1), 1)
