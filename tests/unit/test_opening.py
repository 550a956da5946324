"""Open at a moment (services/common/opening.py), against hand-worked cases: Belgian clocks across the changes to
and from summer time, hours past midnight (also past Sunday into Monday), whole days, closed days."""

from datetime import UTC, datetime

import pytest

from services.common.events import OpeningHours
from services.common.opening import is_open, minute_of_week, week_ranges

WEEKDAYS_9_TO_18 = [OpeningHours(day=d, opens="09:00", closes="18:00") for d in ("mon", "tue", "wed", "thu", "fri")]
BAR = [OpeningHours(day="fri", opens="18:00", closes="02:00"), OpeningHours(day="sun", opens="20:00", closes="01:00")]
BAKERY_SUNDAY = [OpeningHours(day="sun", opens="07:00", closes="12:00")]
ALL_DAY_SATURDAY = [OpeningHours(day="sat", opens="00:00", closes="24:00")]


@pytest.mark.parametrize(("hours", "at", "open_"), [
    # Winter (UTC+1): Tuesday 8:30 UTC is 9:30 in Belgium
    (WEEKDAYS_9_TO_18, datetime(2026, 12, 1, 8, 30, tzinfo=UTC), True),
    (WEEKDAYS_9_TO_18, datetime(2026, 12, 1, 7, 59, tzinfo=UTC), False),  # 8:59
    (WEEKDAYS_9_TO_18, datetime(2026, 12, 1, 17, 0, tzinfo=UTC), False),  # 18:00: closed
    # Summer (UTC+2): the same 7:30 UTC is 9:30 in Belgium
    (WEEKDAYS_9_TO_18, datetime(2026, 7, 7, 7, 30, tzinfo=UTC), True),
    (WEEKDAYS_9_TO_18, datetime(2026, 12, 1, 7, 30, tzinfo=UTC), False),
    # Sunday 29 March 2026: the clocks go from 2:00 to 3:00; 6:30 UTC is 8:30 summer time
    (BAKERY_SUNDAY, datetime(2026, 3, 29, 6, 30, tzinfo=UTC), True),
    (BAKERY_SUNDAY, datetime(2026, 3, 29, 5, 30, tzinfo=UTC), True),  # 7:30
    (BAKERY_SUNDAY, datetime(2026, 3, 29, 4, 30, tzinfo=UTC), False),  # 6:30
    # Sunday 25 October 2026: the clocks go from 3:00 back to 2:00; 10:30 UTC is 11:30 winter time
    (BAKERY_SUNDAY, datetime(2026, 10, 25, 10, 30, tzinfo=UTC), True),
    (BAKERY_SUNDAY, datetime(2026, 10, 25, 11, 30, tzinfo=UTC), False),  # 12:30
    # Past midnight: Friday 18:00 to Saturday 2:00 (28 November 2026 is a Saturday)
    (BAR, datetime(2026, 11, 28, 1, 30, tzinfo=UTC), False),  # 2:30 Saturday
    (BAR, datetime(2026, 11, 28, 0, 30, tzinfo=UTC), True),  # 1:30 Saturday
    (BAR, datetime(2026, 11, 27, 16, 59, tzinfo=UTC), False),  # 17:59 Friday
    # Sunday 20:00 to Monday 1:00, across the end of the week
    (BAR, datetime(2026, 11, 29, 23, 30, tzinfo=UTC), True),  # 0:30 Monday
    (BAR, datetime(2026, 11, 30, 0, 0, tzinfo=UTC), False),  # 1:00 Monday
    (ALL_DAY_SATURDAY, datetime(2026, 11, 28, 22, 59, tzinfo=UTC), True),  # 23:59 Saturday
    (ALL_DAY_SATURDAY, datetime(2026, 11, 28, 23, 0, tzinfo=UTC), False),  # Sunday
    ([], datetime(2026, 11, 28, 12, 0, tzinfo=UTC), False),  # no hours: not known to be open
])
def test_open_on_belgian_clocks(hours: list[OpeningHours], at: datetime, open_: bool) -> None:
    assert is_open(hours, at) is open_


def test_the_week_in_minutes_from_monday_on_belgian_clocks() -> None:
    assert minute_of_week(datetime(2026, 11, 30, 0, 0)) == 0  # Monday, taken as Belgian time
    assert minute_of_week(datetime(2026, 11, 29, 22, 59, tzinfo=UTC)) == 7 * 1440 - 1  # Sunday 23:59
    assert week_ranges(BAR) == [(0, 60), (4 * 1440 + 18 * 60, 5 * 1440 + 120), (6 * 1440 + 20 * 60, 7 * 1440)]
