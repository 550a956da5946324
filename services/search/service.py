"""The search use case: cache lookup, index query, response shaping, statistics (no HTTP here)."""

from datetime import UTC, datetime
from typing import Any, cast

from pydantic import BaseModel, Field

from services.common import places
from services.common.categories import CATEGORIES
from services.common.events import Address, Channels, Listing, Position, PublicContact
from services.common.text import fold
from services.search.cache import QueryCache
from services.search.finder import find
from services.search.index import ListingIndex
from services.search.query import PlaceOut, SearchQuery
from services.search.stats import VisitorStats
from services.search.text import tokens


class Category(BaseModel):
    code: str
    labels: dict[str, str]


class Hit(BaseModel):
    enterprise_number: str
    name: str
    address: Address
    position: Position
    categories: list[Category]
    contact: PublicContact
    channels: Channels
    source_partner: str
    distance_km: float


class SearchResults(BaseModel):
    total: int
    page: int
    size: int
    results: list[Hit]
    place: PlaceOut | None = Field(None, description="the named place searched around, as understood")
    alternatives: list[PlaceOut] = Field([], description="other places the name could mean (give a postcode)")


def category(code: str) -> Category:
    return Category(code=code, labels=dict(CATEGORIES.get(code, {"nl": code, "fr": code})))


def hit(listing: Listing, distance_km: float) -> Hit:
    return Hit(enterprise_number=listing.enterprise_number, name=listing.name, address=listing.address,
               position=listing.position, categories=[category(c) for c in listing.categories],
               contact=listing.contact, channels=listing.channels, source_partner=listing.partner_id,
               distance_km=round(distance_km, 4))


class Searcher:
    def __init__(self, index: ListingIndex, cache: QueryCache, stats: VisitorStats) -> None:
        self.index, self.cache, self.stats = index, cache, stats

    async def search(self, query: SearchQuery) -> bytes:
        """The JSON body of the results, from the cache when this generation of the index answered it before."""
        key = self.cache.key(await self.index.generation(), query.cache_key())
        cached = await self.cache.get(key)
        if cached is not None:
            total, body = cached
        else:
            found = await find(self.index, query)
            results = SearchResults(total=found.total, page=query.page, size=query.size,
                                    results=[hit(listing, distance) for listing, distance in found.hits],
                                    place=query.place, alternatives=list(query.alternatives))
            total, body = found.total, results.model_dump_json().encode()
            await self.cache.put(key, total, body)
        await self.stats.search(datetime.now(UTC), total, query.words)
        return body

    async def listing(self, number: str) -> Hit | None:
        [found] = await self.index.get_many([number])
        return None if found is None else hit(found, 0.0)

    async def categories(self) -> list[dict[str, Any]]:
        counts = await self.index.category_counts()
        return [{**category(code).model_dump(), "count": counts[code]} for code in CATEGORIES]


async def suggest(index: ListingIndex, q: str, limit: int = 8) -> dict[str, list[str]]:
    """Type-ahead: listing names, places (municipalities, and localities with their postcode: '9040 Sint-Amandsberg')
    and category labels starting with what was typed."""
    words = tokens(q)
    if not words:
        return {"names": [], "places": [], "categories": []}
    typed = " ".join(words)
    members = await index.redis.sinter([index.keys.word(w) for w in words]) if len(words) > 1 else \
        await index.redis.srandmember(index.keys.word(words[0]), 50)
    numbers = sorted(m.decode() for m in cast(list[bytes], members or []))[:50]
    names = sorted({listing.name for listing in await index.get_many(numbers) if listing is not None})[:limit]
    place_names = [text for name_key, text in places.suggestions() if name_key.startswith(typed)][:limit]
    labels = sorted({label for labels in CATEGORIES.values() for label in labels.values()
                     if fold(label).startswith(typed)})[:limit]
    return {"names": names, "places": place_names, "categories": labels}
