"""Running a search on the index: radius, filters and text intersected inside Redis, one page fetched.

GEOSEARCHSTORE keeps the listings within the radius with their distances; ZINTERSTORE narrows them to the
categories (any of), flags and words (every word, as a prefix) with weight 0, so the scores stay distances; the
page is read in distance order, ties broken by name. All of it runs as one Lua script (find.lua): one round trip
instead of nine, which is most of a search's cost (measured in docs/benchmarks.md).
"""

from dataclasses import dataclass
from pathlib import Path
from typing import cast

from services.common.events import Listing
from services.search.index import ListingIndex
from services.search.query import SearchQuery, distance_km

SCRIPT = Path(__file__).with_name("find.lua").read_text()


@dataclass(frozen=True)
class Found:
    total: int
    hits: list[tuple[Listing, float]]  # listing, exact distance in km


async def find(index: ListingIndex, query: SearchQuery) -> Found:
    keys = index.keys
    categories = [keys.category(c) for c in query.categories]
    filters = [keys.flag(f) for f in query.flags] + [keys.word(w) for w in query.words]
    script = index.redis.register_script(SCRIPT)  # EVALSHA, loading the script once per Redis
    total, docs = cast(tuple[int, list[bytes]], await script(
        keys=[keys.geo, keys.temp(), keys.temp(), *categories, *filters],
        args=[query.lon, query.lat, query.radius_km, (query.page - 1) * query.size, query.size, len(categories),
              keys.listing("")]))
    listings = [Listing.model_validate_json(doc) for doc in docs if doc]
    hits = [(lst, distance_km(query.lat, query.lon, lst.position.lat, lst.position.lon)) for lst in listings]
    return Found(int(total), hits)
