"""The search use cases over the index port: cache lookup, search, response shaping, statistics (no HTTP here)."""

from datetime import UTC, datetime

from services.common import places
from services.common.categories import CATEGORIES
from services.common.text import fold
from services.search.cache import LOOKUPS, QueryCache
from services.search.index import ListingIndex, Rendering
from services.search.models import CategoryCount, Hit, Suggestions, category
from services.search.query import SearchQuery
from services.search.stats import VisitorStats
from services.search.text import tokens


class Searcher:
    def __init__(self, index: ListingIndex, cache: QueryCache, stats: VisitorStats) -> None:
        self.index, self.cache, self.stats = index, cache, stats

    async def search(self, query: SearchQuery) -> bytes:
        """The JSON body of the results (SearchResults), from the cache when this generation of the index answered
        the same query before; counted in the statistics."""
        place = query.place.model_dump_json() if query.place else "null"
        trailer = f',"place":{place},"alternatives":[{",".join(p.model_dump_json() for p in query.alternatives)}]}}'
        rendered = await self.index.search(query, Rendering(
            trailer=trailer, cache_key=self.cache.key(query.cache_key()), ttl_s=self.cache.ttl_s,
            counters=self.stats.search_keys(datetime.now(UTC))))
        LOOKUPS.labels("hit" if rendered.cached else "miss").inc()
        return rendered.body

    async def listing(self, number: str) -> Hit | None:
        [found] = await self.index.get_many([number])
        return found

    async def categories(self) -> list[CategoryCount]:
        counts = await self.index.category_counts()
        return [CategoryCount(**category(code).model_dump(), count=counts[code]) for code in CATEGORIES]

    async def suggest(self, q: str, limit: int = 8) -> Suggestions:
        """Type-ahead: listing names, places (municipalities, and localities with their postcode: '9040
        Sint-Amandsberg') and category labels starting with what was typed."""
        words = tokens(q)
        if not words:
            return Suggestions(names=[], places=[], categories=[])
        typed = " ".join(words)
        numbers = await self.index.matching(words, 50)
        names = sorted({listing.name for listing in await self.index.get_many(numbers) if listing is not None})
        place_names = [text for name_key, text in places.suggestions() if name_key.startswith(typed)]
        labels = sorted({label for labels in CATEGORIES.values() for label in labels.values()
                         if fold(label).startswith(typed)})
        return Suggestions(names=names[:limit], places=place_names[:limit], categories=labels[:limit])
