"""Which counts the worker still holds. A window stays in the table until the stream's time in its partition — the
watermark: the latest search time seen there, never ahead of the worker's clock — passes its end by the grace
(``INSIGHTS_GRACE_S``); then its counts leave the table (their final values stay in Redis and on
``insights.demand``). A search for a window already closed is late: not counted, so that a closed window is never
reopened at zero, which would overwrite its served count. The table thus holds the open windows only, whatever the
history: its memory and its recovery time at start-up stay flat.

The watermark of each partition lives in the table (key ``~watermark|<partition>``, epoch seconds), so a restarted
worker closes the same windows; it moves in steps of at least a minute (a changelog record per step, not per search).
"""

from collections.abc import Container, Iterable
from datetime import datetime
from functools import lru_cache
from typing import cast

from aiokafka.partitioner import DefaultPartitioner

from services.insights.windows import Granularity, window_end

WATERMARK = "~watermark|"
STEP_S = 60


def watermark_key(partition: int) -> str:
    return f"{WATERMARK}{partition}"


def is_watermark(key: str) -> bool:
    return key.startswith(WATERMARK)


def closes_at(key: str, grace_s: int) -> int:
    """When a cell's window closes (epoch seconds): its end plus the grace."""
    granularity, start, _ = key.split("|", 2)
    return _end(granularity, start) + grace_s


@lru_cache(maxsize=65536)  # a year holds ~9,200 windows
def _end(granularity: str, start: str) -> int:
    return int(window_end(datetime.fromisoformat(start), cast(Granularity, granularity)).timestamp())


def partition_of(key: str, partitions: int) -> int:
    """The partition of the searches that count in a cell: they are keyed by municipality (search/demand.py)."""
    nis = key.split("|", 3)[2]
    return int(DefaultPartitioner()(nis.encode(), list(range(partitions)), []))


class Closing:
    """The open cells by partition and closing time, to find those a watermark closes without scanning the table.
    In memory: rebuilt from the table after every recovery (``rebuild``)."""

    def __init__(self, grace_s: int, partitions: int) -> None:
        self.grace_s, self.partitions = grace_s, partitions
        self.cells: dict[int, dict[int, set[str]]] = {}

    def rebuild(self, keys: Iterable[str], held: Container[int] | None = None) -> list[str]:
        """Index the table's cells (of the ``held`` partitions only, when given); the cells indexed."""
        self.cells = {}
        indexed = []
        for key in keys:
            if is_watermark(key):
                continue
            partition = partition_of(key, self.partitions)
            if held is None or partition in held:
                self.add(partition, key)
                indexed.append(key)
        return indexed

    def add(self, partition: int, key: str) -> None:
        self.cells.setdefault(partition, {}).setdefault(closes_at(key, self.grace_s), set()).add(key)

    def closed(self, partition: int, watermark: int) -> list[str]:
        """The cells of a partition whose windows the watermark has closed, taken out of the index."""
        by_time = self.cells.get(partition, {})
        due = [at for at in by_time if at <= watermark]
        return [key for at in due for key in by_time.pop(at)]


def is_open(key: str, watermark: int, grace_s: int) -> bool:
    return closes_at(key, grace_s) > watermark


def next_watermark(current: int, searched: datetime, now: datetime) -> int | None:
    """The partition's new watermark after a search, or None when it does not move a step (a search service whose
    clock runs ahead moves it no further than the worker's clock)."""
    moved = int(min(searched, now).timestamp())
    return moved if moved >= current + STEP_S else None

