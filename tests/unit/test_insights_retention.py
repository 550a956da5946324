"""Which counts the insights worker keeps (services/insights/retention.py): window ends across the clock changes,
the cells a watermark closes, and how the watermark moves."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.insights.retention import Closing, closes_at, is_open, next_watermark
from services.insights.windows import Granularity, window_end

BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.mark.parametrize(("start", "granularity", "end"), [
    ("2026-10-25T00:00:00+02:00", "day", "2026-10-26T00:00:00+01:00"),  # 25 hours: summer time ends
    ("2026-03-29T00:00:00+01:00", "day", "2026-03-30T00:00:00+02:00"),  # 23 hours: summer time starts
    ("2026-10-19T00:00:00+02:00", "week", "2026-10-26T00:00:00+01:00"),
    ("2026-11-23T00:00:00+01:00", "week", "2026-11-30T00:00:00+01:00"),
    ("2026-10-25T02:00:00+02:00", "hour", "2026-10-25T02:00:00+01:00"),  # the hour that happens twice
    ("2026-11-27T23:00:00+01:00", "hour", "2026-11-28T00:00:00+01:00"),
])
def test_a_window_ends_where_the_next_begins(start: str, granularity: Granularity, end: str) -> None:
    found = window_end(datetime.fromisoformat(start), granularity)
    assert found.isoformat() == end  # as an instant: == is never true across zones in the repeated hour (PEP 495)


def test_a_cell_closes_its_grace_after_its_window() -> None:
    key = "hour|2026-11-27T10:00:00+01:00|44021|*|searches"
    end = int(datetime(2026, 11, 27, 11, tzinfo=BRUSSELS).timestamp())
    assert closes_at(key, 3600) == end + 3600
    assert is_open(key, end + 3599, 3600)
    assert not is_open(key, end + 3600, 3600)


def test_a_watermark_closes_the_cells_of_its_partition_once() -> None:
    closing = Closing(grace_s=0, partitions=12)
    hour = "hour|2026-11-27T10:00:00+01:00|44021|*|searches"
    day = "day|2026-11-27T00:00:00+01:00|44021|*|searches"
    closing.add(3, hour)
    closing.add(3, day)
    eleven = int(datetime(2026, 11, 27, 11, tzinfo=BRUSSELS).timestamp())
    assert closing.closed(5, eleven) == []  # another partition's watermark
    assert closing.closed(3, eleven - 1) == []
    assert closing.closed(3, eleven) == [hour]
    assert closing.closed(3, eleven) == []
    assert closing.closed(3, int(datetime(2026, 11, 28, tzinfo=BRUSSELS).timestamp())) == [day]


def test_rebuilt_from_the_table_every_cell_closes_exactly_once_and_watermarks_never() -> None:
    cells = [f"{g}|{s}|{nis}|*|searches" for nis in ("44021", "11002", "21004", "24062", "31005")
             for g, s in (("hour", "2026-11-27T10:00:00+01:00"), ("day", "2026-11-27T00:00:00+01:00"),
                          ("week", "2026-11-23T00:00:00+01:00"))]
    closing = Closing(grace_s=60, partitions=12)
    closing.rebuild([*cells, "~watermark|3", "~watermark|7"])
    far = int(datetime(2027, 1, 1, tzinfo=UTC).timestamp())
    closed = [key for partition in range(12) for key in closing.closed(partition, far)]
    assert sorted(closed) == sorted(cells)


def test_the_watermark_moves_by_steps_and_never_ahead_of_the_clock() -> None:
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    mark = int((now - timedelta(hours=1)).timestamp())
    assert next_watermark(mark, now - timedelta(hours=1) + timedelta(seconds=59), now) is None
    assert next_watermark(mark, now - timedelta(minutes=30), now) == mark + 1800
    assert next_watermark(mark, now + timedelta(days=2), now) == int(now.timestamp())  # a clock running ahead
