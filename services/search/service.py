"""The search use cases over the index port: cache lookup, search, response shaping, statistics (no HTTP here)."""

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime

from services.common import places
from services.common.categories import CATEGORIES
from services.search.built import BuiltCheck
from services.search.cache import LOOKUPS, QueryCache
from services.search.demand import SearchEvents
from services.search.index import ListingIndex, Rendering
from services.search.meaning import Lexicon, default_lexicon
from services.search.models import CategoryCount, Facets, Hit, Suggestions, category
from services.search.query import SearchQuery
from services.search.stats import VisitorStats
from services.search.text import tokens


class Searcher:
    def __init__(self, index: ListingIndex, cache: QueryCache, stats: VisitorStats,
                 events: SearchEvents | None = None, built: BuiltCheck | None = None) -> None:
        self.index, self.cache, self.stats, self.events = index, cache, stats, events
        self.built = built or BuiltCheck(index)
        self.lexicon = default_lexicon()  # the listings' name words join it once the lexicon task has read them
        self._names: list[str] = []
        self._generation = -1  # the index's generation the lexicon was read at

    async def refresh_lexicon(self) -> None:
        """Read the listings' name words from the index when it changed since; a new lexicon when they did."""
        generation = await self.index.generation()
        if generation == self._generation:
            return
        names = await self.index.name_words()
        if names != self._names:
            self.lexicon = await asyncio.to_thread(Lexicon, names)
            self._names = names
        self._generation = generation

    async def search(self, query: SearchQuery) -> bytes:
        """The JSON body of the results (SearchResults), from the cache when this generation of the index answered
        the same query before; counted in the statistics."""
        query = replace(query, terms=self.lexicon.understand(query.words))
        place = query.place.model_dump_json() if query.place else "null"
        alternatives = ",".join(p.model_dump_json() for p in query.alternatives)
        ignored = json.dumps(Lexicon.ignored(query.words, query.terms), ensure_ascii=False)
        trailer = f',"place":{place},"alternatives":[{alternatives}],"ignored_words":{ignored}}}'
        now = datetime.now(UTC)
        rendered = await self.index.search(query, Rendering(
            trailer=trailer, cache_key=self.cache.key(query.cache_key()), ttl_s=self.cache.ttl_s,
            counters=self.stats.search_keys(now)))
        LOOKUPS.labels("hit" if rendered.cached else "miss").inc()
        if self.events is not None:
            self.events.record(query, rendered.total, now)
        return rendered.body

    async def facets(self, query: SearchQuery) -> Facets | None:
        """Every match of the query counted per category and channel, as the search understands its words; not
        counted as a search, not cached. None when too many match to count (index.py, FACETS_MAX)."""
        understood = replace(query, terms=self.lexicon.understand(query.words), facets=True, exact_total=True,
                             page=1, size=1)
        return (await self.index.find(understood)).facets

    async def listing(self, number: str) -> Hit | None:
        await self.built.require()  # a listing missing from a lost index is not unknown
        [found] = await self.index.get_many([number])
        return found

    async def categories(self) -> list[CategoryCount]:
        await self.built.require()
        counts = await self.index.category_counts()
        return [CategoryCount(**category(code).model_dump(), count=counts[code]) for code in CATEGORIES]

    async def suggest(self, q: str, limit: int = 8) -> Suggestions:
        """Type-ahead: listing names whose words the typed words start (typos tolerated), places (municipalities,
        and localities with their postcode: '9040 Sint-Amandsberg') whose name starts with what was typed (or, when
        none does, with its typos fixed: 'gentbruge'), and the categories the typed words name (labels, synonyms,
        product words: 'beenh' -> Slager, Boucherie)."""
        await self.built.require()
        words = tokens(q)
        if not words:
            return Suggestions(names=[], places=[], categories=[])
        typed = " ".join(words)
        understood = self.lexicon.understand(words)
        numbers = await self.index.matching(understood, 50, names_only=True)
        names = sorted({listing.name for listing in await self.index.get_many(numbers) if listing is not None})
        place_names = _places_starting(typed) or _places_starting(self._nearest_spelling(words))
        codes = dict.fromkeys(code for term in understood for code in term.codes)
        labels = list(dict.fromkeys(CATEGORIES[code][language] for code in codes for language in ("nl", "fr")))
        return Suggestions(names=names[:limit], places=place_names[:limit], categories=labels[:limit])

    def _nearest_spelling(self, words: list[str]) -> str:
        """The typed words with each typo replaced by the nearest known word."""
        return " ".join(term.prefixes[1] if term.typo else word
                        for word, term in ((word, self.lexicon.term(word)) for word in words))


def _places_starting(typed: str) -> list[str]:
    return [text for name_key, text in places.suggestions() if name_key.startswith(typed)]
