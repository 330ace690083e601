"""Dates as lab files write them: 14/03/1958, 19620704, 202611211030, 2026-11-21, and HL7 v2
TS/DTM (``YYYY[MM[DD[HH[MM[SS[.S…]]]]]][+/-ZZZZ]``, HL7 v2.5 §2.A.22 and §2.A.74).

Values are stripped before they are sliced (issue 12: OBX-14 " 19980729155700" is 15:57).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from .model import LabParseError

PARIS = ZoneInfo("Europe/Paris")
_TS = re.compile(r"^(\d{8})(\d{2})?(\d{2})?(\d{2})?(?:\.\d{1,4})?(?:([+-])(\d{2})(\d{2}))?$")


def _refuse(value: str, line: int, what: str) -> LabParseError:
    return LabParseError(line, f"{what} invalide « {value[:30]} »")


_DMY = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})(?!\d)")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?!\d)")


def _eight_digits(digits: str) -> date:
    """yyyymmdd (HL7 TS, HPRIM Santé), else ddmmyyyy when yyyymmdd is impossible (HPRIM Net
    senders who drop the slashes); ValueError when neither is a date."""
    year = int(digits[:4])
    if 1850 <= year <= 2100:
        try:
            return date(year, int(digits[4:6]), int(digits[6:8]))
        except ValueError:
            pass
    return date(int(digits[4:8]), int(digits[2:4]), int(digits[:2]))


def parse_date(value: str, line: int, what: str) -> date | None:
    """A date: ``dd/mm/yyyy`` (also ``.`` or ``-`` between, two-digit years in the century that
    is not in the future, a time after it ignored), ISO ``yyyy-mm-dd``, or eight digits
    (``yyyymmdd[…]`` as HL7 TS, else ``ddmmyyyy``). None when empty; LabParseError(line,
    "<what> invalide …") when unreadable or impossible."""
    value = value.strip()
    if not value:
        return None
    try:
        if value[:8].isdigit() and len(value) >= 8:
            return _eight_digits(value[:8])
        match = _ISO.match(value)
        if match:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        match = _DMY.match(value)
        if match:
            day, month, year = match.groups()
            year_n = int(year)
            if len(year) == 2:
                year_n += 2000 if year_n <= datetime.now(PARIS).year % 100 else 1900
            return date(year_n, int(month), int(day))
    except (ValueError, OverflowError):
        pass
    raise _refuse(value, line, what)


def parse_datetime(value: str, line: int, what: str) -> datetime | None:
    """A date-time of the file. HL7 TS with an offset (``+0100``) keeps it; without one, French
    local time (Europe/Paris). Seconds and fractions are read, then dropped to the minute.
    None when empty; LabParseError when unreadable."""
    value = value.strip()
    if not value:
        return None
    match = _TS.match(value) if value[:8].isdigit() else None
    if match is None:
        if value[:8].isdigit() and len(value) > 8:
            raise _refuse(value, line, what)
        day = parse_date(value, line, what)
        if day is None:
            raise _refuse(value, line, what)
        return datetime(day.year, day.month, day.day, tzinfo=PARIS)
    digits, hour, minute, _second, sign, off_h, off_m = match.groups()
    day = parse_date(digits, line, what)
    if day is None:
        raise _refuse(value, line, what)
    tz: tzinfo = PARIS
    if sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        if offset > timedelta(hours=14) or int(off_m) >= 60:
            raise _refuse(value, line, what)
        tz = timezone(offset if sign == "+" else -offset)
    try:
        return datetime(day.year, day.month, day.day, int(hour or 0), int(minute or 0), tzinfo=tz)
    except ValueError:
        raise _refuse(value, line, what) from None
