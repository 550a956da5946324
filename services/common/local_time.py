"""Belgian local time (Europe/Brussels): what partners' spreadsheets write, and the week the demand counts follow."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")


def in_brussels(wall: datetime) -> datetime:
    """The moment a wall-clock time in Belgium names. ValueError for one the change to summer time skips (02:30 on
    the last Sunday of March) or the change back repeats (02:30 on the last Sunday of October): only a UTC offset
    tells those apart."""
    naive = wall.replace(tzinfo=None)
    early, late = naive.replace(tzinfo=BRUSSELS, fold=0), naive.replace(tzinfo=BRUSSELS, fold=1)
    if early.astimezone(UTC).astimezone(BRUSSELS).replace(tzinfo=None) != naive:
        raise ValueError(f"{naive:%d/%m/%Y %H:%M} does not exist in Belgium (the clocks go forward then)")
    if early.utcoffset() != late.utcoffset():
        raise ValueError(f"{naive:%d/%m/%Y %H:%M} happens twice in Belgium (the clocks go back then); "
                         "write it with its UTC offset")
    return early
