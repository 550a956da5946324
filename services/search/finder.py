"""Running a search on the index: radius, filters and text intersected inside Redis, then one page fetched.

GEOSEARCHSTORE keeps the listings within the radius with their distances; ZINTERSTORE narrows them to the
categories (any of), flags and words (every word, as a prefix) with weight 0, so the scores stay distances; the
page is read in distance order, ties broken by name.
"""

from dataclasses import dataclass
from typing import cast

from services.common.events import Listing
from services.search.index import ListingIndex
from services.search.query import SearchQuery, haversine_km


@dataclass(frozen=True)
class Found:
    total: int
    hits: list[tuple[Listing, float]]  # listing, exact distance in km


async def find(index: ListingIndex, query: SearchQuery) -> Found:
    redis, keys = index.redis, index.keys
    near, cats = keys.temp(), keys.temp()
    try:
        await redis.geosearchstore(near, keys.geo, longitude=query.lon, latitude=query.lat,
                                   radius=query.radius_km, unit="km", storedist=True)
        filters = [keys.flag(f) for f in query.flags] + [keys.word(w) for w in query.words]
        if query.categories:
            await redis.sunionstore(cats, [keys.category(c) for c in query.categories])
            filters.append(cats)
        if filters:
            weights = {near: 1.0, **{f: 0.0 for f in filters}}  # scores stay the distances
            await redis.zinterstore(near, weights, aggregate="SUM")  # type: ignore[misc]  # redis-py stub says int
        total = int(await redis.zcard(near))
        numbers = await _page(index, near, (query.page - 1) * query.size, query.size)
    finally:
        await redis.delete(near, cats)
    listings = await index.get_many(numbers)
    hits = [(lst, haversine_km(query.lat, query.lon, lst.position.lat, lst.position.lon))
            for lst in listings if lst is not None]
    return Found(total, hits)


async def _page(index: ListingIndex, near: str, start: int, size: int) -> list[str]:
    """Members ranked start..start+size by (distance, name): equal distances straddling the page edges are
    ordered by name across pages, so paging is exact and stable."""
    redis = index.redis
    rows = await redis.zrange(near, start, start + size - 1, withscores=True)
    if not rows:
        return []
    low, high = rows[0][1], rows[-1][1]
    before = int(await redis.zcount(near, "-inf", f"({low}"))
    scored = cast(list[tuple[bytes, float]], await redis.zrangebyscore(near, low, high, withscores=True))
    band = [(m.decode(), d) for m, d in scored]
    names = await index.names([m for m, _ in band])
    ranked = sorted(zip(band, names, strict=True), key=lambda item: (item[0][1], item[1], item[0][0]))
    offset = start - before
    return [member for (member, _), _ in ranked[offset:offset + size]]

