"""The demand counts a search adds to, as pure functions: tumbling windows (hour, day, ISO week) in Belgian time,
per municipality (NIS code) and category — every search under ``*`` as well, and each category it asked for or its
words named — of searches, searches without results, and the words of those."""

from datetime import UTC, datetime, timedelta
from typing import Literal, cast

from services.common.events import DemandCount, SearchPerformed
from services.common.local_time import BRUSSELS

Granularity = Literal["hour", "day", "week"]
_PAST_LONGEST = {"day": timedelta(hours=26), "week": timedelta(hours=170)}  # beyond the longest, inside the next
GRANULARITIES: tuple[Granularity, ...] = ("hour", "day", "week")
ALL = "*"  # every category
SEARCHES, ZERO, ZERO_WORD = "searches", "zero", "zero-word:"


def window_start(at: datetime, granularity: Granularity) -> datetime:
    """The start of the window holding ``at``: the local hour, the local day, the ISO week (from Monday)."""
    local = at.astimezone(BRUSSELS)
    if granularity == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if granularity == "day":
        return day
    monday = (day - timedelta(days=day.weekday())).replace(tzinfo=None)
    return monday.replace(tzinfo=BRUSSELS)  # midnight of that Monday, with its own UTC offset


def window_end(start: datetime, granularity: Granularity) -> datetime:
    """Where a window ends (the next one's start): an hour later, or the next local midnight or Monday whatever the
    day's or week's length (23 to 25 hours a day around the clock changes)."""
    instant = start.astimezone(UTC)
    if granularity == "hour":
        return (instant + timedelta(hours=1)).astimezone(BRUSSELS)
    return window_start(instant + _PAST_LONGEST[granularity], granularity)


def cell_key(granularity: Granularity, start: datetime, nis: str, category: str, measure: str) -> str:
    return f"{granularity}|{start.isoformat()}|{nis}|{category}|{measure}"


def count_of(key: str, count: int) -> DemandCount:
    """A cell key and its count as the wire record of ``insights.demand``."""
    granularity, start, nis, category, measure = key.split("|", 4)
    return DemandCount(granularity=cast(Granularity, granularity), window=datetime.fromisoformat(start),
                       municipality_nis=nis, category=category, measure=measure, count=count)


def contributions(event: SearchPerformed) -> list[str]:
    """The counts one search adds one to. A further page of the same search is not a new search."""
    if event.page != 1:
        return []
    measures = [SEARCHES] + ([ZERO, *(ZERO_WORD + word for word in event.words)] if event.results == 0 else [])
    categories = [ALL, *dict.fromkeys(event.categories)]
    return [cell_key(granularity, window_start(event.at, granularity), event.municipality_nis, category, measure)
            for granularity in GRANULARITIES for category in categories for measure in measures]
