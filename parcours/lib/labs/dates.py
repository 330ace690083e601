"""Dates as lab files write them: 14/03/1958, 19620704, 202611211030, 2026-11-21."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from .model import LabParseError

PARIS = ZoneInfo("Europe/Paris")


def parse_date(value: str, line: int, what: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        if "/" in value:
            day, month, year = value.split("/")
            return date(int(year), int(month), int(day))
        if "-" in value:
            return date.fromisoformat(value[:10])
        if value[:8].isdigit() and len(value) >= 8:
            return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except (ValueError, OverflowError):
        pass
    raise LabParseError(line, f"{what} invalide « {value[:30]} »")


def parse_datetime(value: str, line: int, what: str) -> datetime | None:
    """A date-time of the file, in French local time (the files carry no time zone)."""
    value = value.strip()
    if not value:
        return None
    day = parse_date(value, line, what)
    digits = value[8:14] if value[:8].isdigit() else ""
    if digits and not digits.isdigit():
        raise LabParseError(line, f"{what} invalide « {value[:30]} »")
    try:
        hour = int(digits[0:2] or 0)
        minute = int(digits[2:4] or 0)
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)
    except ValueError:
        raise LabParseError(line, f"{what} invalide « {value[:30]} »") from None
