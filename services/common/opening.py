"""Opening hours as shoppers mean them: Belgian wall-clock time (Europe/Brussels, summer time included), a day's
hours that close at or before they open run past midnight into the next day (``fri 18:00-02:00``), ``00:00-24:00``
is the whole day, and a day without hours is closed. The week is counted in minutes from Monday 00:00 local time, so
"open at" is one number to compare with a listing's ranges (the search script does it per candidate)."""

from collections.abc import Iterable
from datetime import datetime

from services.common.events import OpeningHours
from services.common.local_time import BRUSSELS

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MIN = 24 * 60
WEEK_MIN = 7 * DAY_MIN


def minute_of_week(at: datetime) -> int:
    """Minutes since Monday 00:00 on Belgian clocks; a moment without a UTC offset is taken as Belgian time."""
    local = at.astimezone(BRUSSELS) if at.tzinfo else at
    return local.weekday() * DAY_MIN + local.hour * 60 + local.minute


def week_ranges(hours: Iterable[OpeningHours]) -> list[tuple[int, int]]:
    """The open minutes of the week as [start, end) ranges, sorted; past Sunday midnight continues on Monday."""
    ranges: list[tuple[int, int]] = []
    for slot in hours:
        start = DAYS.index(slot.day) * DAY_MIN + _minutes(slot.opens)
        length = (_minutes(slot.closes) - _minutes(slot.opens)) % DAY_MIN or DAY_MIN  # closes <= opens: next day
        end = start + length
        ranges += [(start, min(end, WEEK_MIN))] + ([(0, end - WEEK_MIN)] if end > WEEK_MIN else [])
    return sorted(ranges)


def is_open(hours: Iterable[OpeningHours], at: datetime) -> bool:
    minute = minute_of_week(at)
    return any(start <= minute < end for start, end in week_ranges(hours))


def _minutes(clock: str) -> int:
    hour, minute = clock.split(":")
    return int(hour) * 60 + int(minute)
