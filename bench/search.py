"""Search: latency of uncached and cached searches through the service's Searcher versus raw GEOSEARCH of the same
radius, and Redis memory per 100,000 listings."""

import asyncio
import random
import uuid

from redis.asyncio import Redis

from bench.common import ms, timed
from services.search.cache import QueryCache
from services.search.index import ListingIndex
from services.search.query import build_query
from services.search.service import Searcher
from services.search.stats import VisitorStats
from tests.search_samples import listing


async def _run(redis_url: str, listings: int, queries: int) -> dict[str, float]:
    redis = Redis.from_url(redis_url)
    prefix = f"bench:{uuid.uuid4().hex[:6]}:"
    index = ListingIndex(redis, f"{prefix}idx:")
    searcher = Searcher(index, QueryCache(redis, f"{prefix}cache:", 600), VisitorStats(redis, f"{prefix}stats:"))
    rng = random.Random(7)  # noqa: S311 - reproducible load, not security
    memory_before = int((await redis.info("memory"))["used_memory"])
    shops = [(f"{i:010d}", listing(f"{i:010d}", rng.uniform(50.7, 51.3), rng.uniform(3.0, 5.0), name=f"Winkel {i}"))
             for i in range(listings)]
    for start in range(0, listings, 1000):
        await index.apply(shops[start:start + 1000])
    memory = int((await redis.info("memory"))["used_memory"]) - memory_before
    uncached, cached, raw = [], [], []
    for _ in range(queries):
        lat, lon = rng.uniform(50.8, 51.2), rng.uniform(3.2, 4.8)
        query = build_query(lat, lon, None, 5, [], False, False, False, 1, 20)
        uncached.append(await timed(searcher.search(query)))
        cached.append(await timed(searcher.search(query)))
        raw.append(await timed(redis.geosearch(index.keys.geo, longitude=lon, latitude=lat, radius=5, unit="km",
                                               sort="ASC", withdist=True)))
    async for key in redis.scan_iter(match=f"{prefix}*", count=5000):
        await redis.delete(key)
    await redis.aclose()
    return {"listings": listings, "queries": queries,
            "uncached_p50_ms": ms(uncached, 50), "uncached_p99_ms": ms(uncached, 99),
            "cached_p50_ms": ms(cached, 50), "cached_p99_ms": ms(cached, 99),
            "raw_geosearch_p50_ms": ms(raw, 50), "raw_geosearch_p99_ms": ms(raw, 99),
            "redis_mib_per_100k": round(memory / listings * 100_000 / 2**20, 1)}


def run(redis_url: str, listings: int, queries: int) -> dict[str, float]:
    return asyncio.run(_run(redis_url, listings, queries))
