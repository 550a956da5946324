"""Where the demand counts are served from: Redis hashes of absolute counts, one per window, written after every
update. A count written again (a replayed search re-counted, a restarted worker) overwrites, never adds: the sink
converges to the table.

Keys (under a prefix): ``insights:<granularity>:<window start>`` -> field ``<nis>|<category>|<measure>`` -> count;
``insights:windows:<granularity>`` -> sorted set of the window starts (score: epoch seconds), to list a period.
"""

from collections.abc import Mapping
from datetime import datetime

from redis.asyncio import Redis
from redis.typing import EncodableT, FieldT


class DemandSink:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis, self.prefix = redis, prefix

    async def write(self, counts: Mapping[str, int]) -> None:
        """Absolute counts by cell key (windows.cell_key)."""
        by_window: dict[tuple[str, str], dict[FieldT, EncodableT]] = {}
        for key, count in counts.items():
            granularity, start, field = key.split("|", 2)
            by_window.setdefault((granularity, start), {})[field] = count
        pipe = self.redis.pipeline(transaction=False)
        for (granularity, start), fields in by_window.items():  # a flush holds many cells of few windows
            pipe.hset(f"{self.prefix}insights:{granularity}:{start}", mapping=fields)
            starts = {start: datetime.fromisoformat(start).timestamp()}
            pipe.zadd(f"{self.prefix}insights:windows:{granularity}", starts)
        await pipe.execute()
