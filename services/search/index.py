"""The search index: a projection of the compacted ``listings`` topic. The port (``ListingIndex``) and its Redis
adapter.

Keys (under a prefix):
    rec:<number>       the listing's record: position, folded name, filter words, sets, public JSON (lua/common.lua)
    geo                GEO set of every listing
    gw:<word>          GEO set of the listings with this word in their name (words: the lexicographic set of them)
    gc:<code>          GEO set of the listings of a category
    gl:<locality>      GEO set of the listings in a postal locality (terms.py)
    fm:<NIS code>      GEO set of a municipality's listings whose consent names 'municipal-sites' (its feed)
    changed            when the index last changed (unix seconds): the feeds' Last-Modified
    counts             listings per flag (delivery, pickup, webshop)
    generation         bumped on every change: cached results of an older generation are never read again
    format             the layout of these keys (FORMAT); an index of another layout is rebuilt at start-up
    built              set once the index holds the whole topic (rebuild.py): missing when Redis lost its data
                       (FLUSHALL, a restart without its AOF, a failover to a replica that never had it), and then the
                       consumers' changes are refused (IndexLost) and searches answered 503 until it is rebuilt
    positions          per partition of the topic, the offset of the last change the index holds, moved with the
                       changes in one script: after a failover to a replica that missed some changes, the consumer
                       finds the index behind where it left it (IndexBehind) and reads on from the index's position
    rebuilding         the lock of the one process that rebuilds it

A search walks outwards from its point through the GEO sets of its most selective filter (or every listing), reads
the records of the candidates and checks the other filters on them, and stops once the page is complete: its cost
follows the page, not the number of matches (lua/search.lua). The whole search, from the cache lookup to the
rendered page, is one script: one round trip.
"""

import json
import time
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, cast

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import ResponseError

from services.common import opening, places
from services.common.categories import CATEGORIES, current
from services.common.events import Listing
from services.search import geocell, meaning, terms
from services.search.meaning import Term
from services.search.models import Facets, Hit, category, hit
from services.search.query import EARTH_RADIUS_KM, SearchQuery
from services.search.text import tokens

# 7: the filter holds the opening hours as minutes of the week (6: filter words of names and places only, categories
# matched by code; 5: and the categories' label words; 4: each record held its categories' labels; 3: sets of every
# word prefix)
FORMAT = "7"
LUA = Path(__file__).with_name("lua")
SEP = "\x1f"
CODES = b"\x1e"  # around the codes that stand for a record's categories' JSON (lua/common.lua)
NO_DISTANCE = ',"distance_km":0.0}'
NO_CATEGORIES = '"categories":[]'
FLAGS = ("delivery", "pickup", "webshop")
UNBUILT = "UNBUILT"  # the error the scripts answer for an index that is not built (search, a guarded change)
POSITION = "POSITION"  # the error apply.lua answers for an index that is not where the consumer left it


def index_prefix(redis_prefix: str) -> str:
    """Where the search service under ``redis_prefix`` keeps its index (the registration service counts in it)."""
    return f"{redis_prefix}idx:"


class IndexLost(Exception):
    """The index is not built (any more): Redis lost it, or it is being rebuilt."""


class IndexBehind(Exception):
    """The index is not at the position the consumer left it: Redis failed over to a replica that missed changes, or
    another consumer took the partition over."""


@dataclass(frozen=True)
class Advance:
    """A batch's move along one partition of the topic: checked against the index's position and moved with it."""

    partition: int
    expected: int | None  # the offset of the last change the consumer applied of it; None: unknown, not checked
    to: int  # the offset of the batch's last record of it


# Each category's public JSON, once in the service instead of once per listing in Redis (~80 bytes a listing).
CATEGORY_JSON = {code: category(code).model_dump_json().encode() for code in CATEGORIES}


def _script(name: str) -> str:
    return (LUA / "common.lua").read_text() + "\n" + (LUA / f"{name}.lua").read_text()


APPLY, SEARCH, NAMES = _script("apply"), _script("search"), _script("names")


@dataclass(frozen=True)
class Rendering:
    """What a search's body needs besides the page, and where it is cached and counted."""

    trailer: str = "}"  # the JSON members after the results (the place searched around), and the closing brace
    cache_key: str = ""  # '' = not cached; the index's generation is appended
    ttl_s: int = 0
    counters: tuple[str, str, str] | None = None  # keys: searches, searches without results, their words


@dataclass(frozen=True)
class Rendered:
    total: int
    body: bytes
    cached: bool


@dataclass(frozen=True)
class Feed:
    hits: list[Hit]  # by name, then enterprise number
    changed: int  # unix seconds of the index's last change (0: unknown)


@dataclass(frozen=True)
class Found:
    total: int
    exact: bool  # False: the search stopped once its page was complete, and the total is an estimate
    hits: list[Hit]  # name matches of every term first, then the others; each nearest first, ties by name
    facets: Facets | None = None  # with query.facets: every match counted per category and channel


def current_codes(listing: Listing | None) -> Listing | None:
    """The listing with its categories' codes as they are today (a retired code becomes its successor)."""
    if listing is None or all(current(code) == code for code in listing.categories):
        return listing
    return listing.model_copy(update={"categories": tuple(dict.fromkeys(map(current, listing.categories)))})


def listing_flags(listing: Listing) -> list[str]:
    channels = listing.channels
    return [name for name, on in (("delivery", channels.delivery), ("pickup", channels.pickup),
                                  ("webshop", channels.webshop is not None)) if on]


def record(listing: Listing) -> str:
    """The listing's record (lua/common.lua describes the fields)."""
    words = " ".join(sorted(terms.listing_words(listing)))
    flags = listing_flags(listing)
    hours = ",".join(f"{start}-{end}" for start, end in opening.week_ranges(listing.channels.opening_hours))
    where = f" {words} |{'|'.join(listing.categories)}| #{'#'.join(flags)}# ~{hours}~"
    sets = " ".join([*terms.listing_sets(listing), *(f"#{flag}" for flag in flags)])
    return SEP.join([repr(listing.position.lat), repr(listing.position.lon), " ".join(tokens(listing.name)), where,
                     sets, _public(listing)])


def _public(listing: Listing) -> str:
    """The listing's public JSON without the distance and closing brace; its categories as codes between CODES
    when the vocabulary knows them all (``with_categories`` splices their JSON in)."""
    if not all(code in CATEGORY_JSON for code in listing.categories):
        public = hit(listing, 0.0).model_dump_json()
    else:
        public = hit(listing.model_copy(update={"categories": []}), 0.0).model_dump_json()
        public = public.replace(NO_CATEGORIES, f'"categories":[\x1e{" ".join(listing.categories)}\x1e]', 1)
    assert public.endswith(NO_DISTANCE)  # the distance must stay the last member
    return public.removesuffix(NO_DISTANCE)


def with_categories(stored: bytes) -> bytes:
    """Hits or pages of them as stored or rendered in Redis, with the categories' JSON in place of their codes."""
    if CODES not in stored:
        return stored
    parts = stored.split(CODES)  # JSON, codes, JSON, codes, …, JSON
    parts[1::2] = map(_categories_json, parts[1::2])
    return b"".join(parts)


@lru_cache(maxsize=4096)  # the combinations of categories listings have: a handful in practice
def _categories_json(codes: bytes) -> bytes:
    # a code the vocabulary no longer knows (a record indexed by an older version) is named as category() names it
    return b",".join(CATEGORY_JSON.get(code) or category(code).model_dump_json().encode()
                     for code in codes.decode().split())


class ListingIndex(Protocol):
    """The search index port: the Redis adapter below, and a fake for unit tests (tests/fakes.py); both run through
    tests/integration/test_listing_index_contract.py."""

    async def apply(self, changes: Sequence[tuple[str, Listing | None]], guarded: bool = False,
                    advances: Sequence[Advance] = ()) -> None:
        """Upsert listings and drop tombstoned ones (the last change of a number wins); moves the generation.
        ``guarded`` (the consumers' changes): only into a built index, else IndexLost and nothing changed, so that a
        change is never lost in an index that is about to be rebuilt from an older read of the topic.
        ``advances``: the positions move with the changes; IndexBehind and nothing changed when the index is not at
        an advance's expected offset."""

    async def positions(self) -> dict[int, int]:
        """Per partition, the offset of the last change the index holds."""

    async def is_built(self) -> bool:
        """Whether the index holds the whole topic: built, and not lost since."""

    async def mark_built(self, positions: Mapping[int, int] | None = None) -> None:
        """Built, holding the topic up to ``positions``."""

    async def search(self, query: SearchQuery, rendering: Rendering) -> Rendered:
        """The listings within the radius that have any of the categories, every flag and match every term of the
        query (meaning.py) — those whose name has every term first, then the others, each nearest first, ties by
        name: one page of them as the JSON body of the search API. IndexLost when the index is not built."""

    async def find(self, query: SearchQuery) -> Found:
        """``search`` as objects."""

    async def matching(self, words: Sequence[Term], limit: int, names_only: bool = False) -> list[str]:
        """Up to ``limit`` numbers of listings matching every term (with ``names_only``: by a word of their name
        starting with one of its prefixes): type-ahead."""

    async def name_words(self) -> list[str]:
        """Every word of the listings' names (and of addresses the place data do not know) that starts with a
        letter: the lexicon's (numbers have no typos to tolerate)."""

    async def get_many(self, numbers: list[str]) -> list[Hit | None]:
        """The listings' public form (distance 0)."""

    async def feed(self, municipalities: Sequence[str]) -> Feed:
        """The listings of these municipalities whose consent names 'municipal-sites', by name. IndexLost when the
        index is not built."""

    async def generation(self) -> int:
        """Moves with every change: a cache keyed by it never serves a withdrawn listing."""

    async def count(self) -> int: ...
    async def category_counts(self) -> dict[str, int]: ...
    async def listings_in(self, cells: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]: ...
    async def format_current(self) -> bool:
        """Whether the index was written in this version's layout (an empty index is)."""

    async def clear(self) -> None:
        """Delete the whole index, marked unbuilt (its rebuild lock excepted)."""


class RedisListingIndex:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self._apply: AsyncScript = redis.register_script(APPLY)  # EVALSHA, loading the script once per Redis
        self._search: AsyncScript = redis.register_script(SEARCH)
        self._names: AsyncScript = redis.register_script(NAMES)

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    async def apply(self, changes: Sequence[tuple[str, Listing | None]], guarded: bool = False,
                    advances: Sequence[Advance] = ()) -> None:
        latest = dict(changes)  # several changes of one listing in a batch: the last one wins, as in the topic
        if not latest and not advances:
            return
        args: list[str | float] = [FORMAT, self.prefix, "1" if guarded else "", int(time.time()), len(advances)]
        for advance in advances:
            args += [advance.partition, "" if advance.expected is None else advance.expected, advance.to]
        for number, listing in ((n, current_codes(item)) for n, item in latest.items()):
            args += ([number, ""] if listing is None else
                     [number, record(listing), listing.position.lon, listing.position.lat])
        await _unless_unbuilt(self._apply(keys=[self.key("generation"), self.key("format"), self.key("built"),
                                                self.key("positions")], args=args))

    async def positions(self) -> dict[int, int]:
        held = await self.redis.hgetall(self.key("positions"))
        return {int(partition): int(offset) for partition, offset in held.items()}

    async def is_built(self) -> bool:
        return bool(await self.redis.exists(self.key("built")))

    async def mark_built(self, positions: Mapping[int, int] | None = None) -> None:
        async with self.redis.pipeline(transaction=True) as marking:
            if positions:
                marking.hset(self.key("positions"), mapping={str(p): str(o) for p, o in positions.items()})
            marking.set(self.key("built"), "1")
            await marking.execute()

    async def search(self, query: SearchQuery, rendering: Rendering) -> Rendered:
        found = await _unless_unbuilt(self._search(keys=[self.key("generation"), self.key("built")],
                                                   args=self._search_args(query, rendering)))
        total, body, cached = cast(tuple[int, bytes, int], found)
        return Rendered(int(total), with_categories(body), bool(cached))

    def _search_args(self, query: SearchQuery, rendering: Rendering) -> list[str | int | float]:
        low, high, km2 = geocell.cell(query.lat, query.lon, query.radius_km)
        counters = rendering.counters or ("", "", "")
        args: list[str | int | float] = [
            self.prefix, EARTH_RADIUS_KM, query.lon, query.lat, query.radius_km, query.page, query.size,
            int(query.exact_total), low, high, km2, rendering.cache_key, rendering.ttl_s, rendering.trailer,
            *counters, " ".join(query.words), "" if query.open_at is None else query.open_at, int(query.facets),
            len(query.categories), *query.categories, len(query.flags),
            *query.flags]
        found = query.terms or meaning.default_lexicon().understand(query.words)
        return [*args, len(found), *_term_args(found)]

    async def find(self, query: SearchQuery) -> Found:
        body = json.loads((await self.search(query, Rendering())).body)
        facets = Facets.model_validate(body["facets"]) if "facets" in body else None
        return Found(body["total"], body["total_exact"], [Hit.model_validate(h) for h in body["results"]], facets)

    async def matching(self, words: Sequence[Term], limit: int, names_only: bool = False) -> list[str]:
        if not words:
            return []
        if names_only:  # only the name-word sets are walked, and only names are checked
            words = [Term(term.typed, term.prefixes) for term in words]
        args = [self.prefix, limit, 2000, int(names_only), len(words), *_term_args(words, names_only)]
        found = await self._names(args=args)
        return [number.decode() for number in cast(list[bytes], found)]

    async def name_words(self) -> list[str]:
        found = await self.redis.zrange(self.key("words"), "[a", "+", bylex=True)  # words sort digits first
        return [word.decode() for word in cast(list[bytes], found)]

    async def format_current(self) -> bool:
        return await self.count() == 0 or (await self.redis.get(self.key("format"))) == FORMAT.encode()

    async def get_many(self, numbers: list[str]) -> list[Hit | None]:
        if not numbers:
            return []
        found = cast(list[bytes | None], await self.redis.mget([self.key(f"rec:{n}") for n in numbers]))
        return [None if value is None else
                Hit.model_validate_json(with_categories(value.rsplit(SEP.encode(), 1)[1]) + NO_DISTANCE.encode())
                for value in found]

    async def feed(self, municipalities: Sequence[str]) -> Feed:
        async with self.redis.pipeline(transaction=True) as reading:
            for nis in municipalities:
                reading.zrange(self.key(f"fm:{nis}"), 0, -1)
            reading.get(self.key("changed"))
            reading.exists(self.key("built"))
            *members, changed, built = await reading.execute()
        if not built:
            raise IndexLost
        numbers = sorted({number.decode() for found in members for number in found})
        hits = [found for found in await self.get_many(numbers) if found is not None]  # one withdrawn meanwhile: gone
        return Feed(sorted(hits, key=lambda h: (h.name, h.enterprise_number)), int(changed or 0))

    async def generation(self) -> int:
        return int(await self.redis.get(self.key("generation")) or 0)

    async def count(self) -> int:
        return int(await self.redis.zcard(self.key("geo")))

    async def category_counts(self) -> dict[str, int]:
        pipe = self.redis.pipeline(transaction=False)
        for code in CATEGORIES:
            pipe.zcard(self.key(f"gc:{code}"))
        return dict(zip(CATEGORIES, (int(n) for n in await pipe.execute()), strict=True))

    async def listings_in(self, cells: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Listings per (municipality NIS code, category code): those in the municipality's postal localities."""
        pipe = self.redis.pipeline(transaction=False)
        parts = []
        for nis, code in cells:
            own = places.localities_of().get(nis, ())
            for locality in own:
                pipe.zintercard(2, [self.key(f"gl:{terms.locality_key(locality)}"), self.key(f"gc:{code}")])
            parts.append(len(own))
        found = iter([int(n) for n in await pipe.execute()])
        return {cell: sum(next(found) for _ in range(n)) for cell, n in zip(cells, parts, strict=True)}

    async def clear(self) -> None:
        await self.redis.delete(self.key("built"))  # first: the consumers stop changing it at once
        lock = self.key("rebuilding").encode()
        async for key in self.redis.scan_iter(match=f"{self.prefix}*", count=1000):
            if key != lock:
                await self.redis.delete(key)


async def _unless_unbuilt(script_call: Awaitable[Any]) -> Any:
    """The script's answer; IndexLost when it refused an index that is not built, IndexBehind one that is not where
    the consumer left it."""
    try:
        return await script_call
    except ResponseError as exc:
        if str(exc).startswith(UNBUILT):
            raise IndexLost from None
        if str(exc).startswith(POSITION):
            raise IndexBehind(str(exc)) from None
        raise


def _term_args(found: Sequence[Term], names_only: bool = False) -> list[str | int]:
    """Per term (lua/common.lua, read_terms): its prefixes, its category codes and the locality sets to walk for
    its prefixes (-1: too many), each as its length and its strings."""
    args: list[str | int] = []
    for term in found:
        places = [] if names_only else terms.locality_sets(term.prefixes)
        args += [len(term.prefixes), *term.prefixes, len(term.codes), *term.codes]
        args += [-1] if places is None else [len(places), *places]
    return args
