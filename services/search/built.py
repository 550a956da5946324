"""Whether the index is there to answer from: a search of an index Redis lost (FLUSHALL, a restart without its AOF,
a failover to a replica that never had it) would answer "nothing near you" for every place. Until the listings
consumer has rebuilt it, searches are refused (``IndexLost``: 503 with Retry-After) and /readyz says so. The search
script checks for itself; look-ups, categories and type-ahead ask through ``BuiltCheck``."""

import time
from collections.abc import Callable

from services.search.index import IndexLost, ListingIndex

RETRY_AFTER_S = 5  # a rebuild of a few thousand listings takes about a second; clients poll again after this


class BuiltCheck:
    """Asks the index whether it is built at most once per ``every_s``: one EXISTS a second, whatever the load."""

    def __init__(self, index: ListingIndex, every_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.index, self.every_s, self.clock = index, every_s, clock
        self._built, self.asked_at = False, float("-inf")

    async def built(self) -> bool:
        if self.clock() - self.asked_at >= self.every_s:
            self._built, self.asked_at = await self.index.is_built(), self.clock()
        return self._built

    async def require(self) -> None:
        if not await self.built():
            raise IndexLost
