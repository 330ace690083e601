"""Due-time arithmetic for the 48-hour clock.

A delay is counted either in calendar hours, or in "working hours": hours that fall on a
working day (Monday–Friday, not a French public holiday). Working days count all their 24
hours, so 48 working hours from a Friday 10:00 end on Tuesday 10:00 — the way hospital teams
read "48 heures ouvrées". Holidays come from the ``holidays`` package (metropolitan France).
"""

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

PARIS = ZoneInfo("Europe/Paris")


@lru_cache(maxsize=64)
def _french_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.France(years=year).keys())


def is_public_holiday(day: date) -> bool:
    return day in _french_holidays(day.year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _french_holidays(day.year)


def add_delay(start: datetime, hours: float, *, working_days: bool = False) -> datetime:
    """Return ``start`` plus ``hours``, skipping non-working days when ``working_days``."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if not working_days:
        return start + timedelta(hours=hours)
    local = start.astimezone(PARIS)
    remaining = timedelta(hours=hours)
    # A request sent on a non-working day starts counting at the next working midnight.
    while not is_working_day(local.date()):
        local = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), PARIS)
    while True:
        end_of_day = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), PARIS)
        available = end_of_day - local
        if remaining <= available:
            return (local + remaining).astimezone(start.tzinfo)
        remaining -= available
        local = end_of_day
        while not is_working_day(local.date()):
            local = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), PARIS)
