"""Query cache in Redis: key = index generation + normalised query, so any listing change makes every older entry
unreachable at once (a withdrawn listing is never served from the cache); a TTL reclaims the space."""

import hashlib
from typing import cast

from prometheus_client import Counter
from redis.asyncio import Redis

LOOKUPS = Counter("buurt_search_cache_lookups_total", "Query cache lookups", ["result"])


class QueryCache:
    def __init__(self, redis: Redis, prefix: str, ttl_s: int) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl_s = ttl_s

    def key(self, generation: int, normalised: str) -> str:
        digest = hashlib.sha256(normalised.encode()).hexdigest()[:32]
        return f"{self.prefix}v2:{generation}:{digest}"  # v2: total + body (v1 held the body only)

    async def get(self, key: str) -> tuple[int, bytes] | None:
        """The total and the body of a cached result."""
        value = cast(bytes | None, await self.redis.get(key))
        LOOKUPS.labels("hit" if value is not None else "miss").inc()
        if value is None:
            return None
        total, _, body = value.partition(b"\n")  # the total is kept apart so a hit need not parse the body
        return int(total), body

    async def put(self, key: str, total: int, body: bytes) -> None:
        await self.redis.set(key, b"%d\n%s" % (total, body), ex=self.ttl_s)
