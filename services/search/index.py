"""The search index: a projection of the compacted ``listings`` topic. The port (``ListingIndex``) and its Redis
adapter; the words, flags and terms a listing is found by.

Keys (under a prefix):
    listing:<number>   hash: doc (the Listing JSON), name (folded, for tie-breaking), terms (its set keys)
    geo                GEO set of every listing
    cat:<code>         set of listings per category
    flag:<name>        set of listings with delivery / pickup / webshop
    word:<prefix>      set of listings whose name, municipality or category labels have a word starting so
    generation         bumped on every change: cached results of an older generation are never read again
    format             the layout of these keys (FORMAT); an index of another layout is rebuilt at start-up

Changes are applied by one Lua script per batch (apply.lua): a listing is ~40 set memberships, and sending them as
separate commands cost ~1 ms of client CPU per listing (780 listings/s; measured in docs/benchmarks.md).
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

from redis.asyncio import Redis

from services.common import places
from services.common.categories import CATEGORIES
from services.common.events import Address, Listing
from services.search.query import SearchQuery, distance_km
from services.search.text import prefixes, tokens

FLAGS = ("delivery", "pickup", "webshop")
FORMAT = "3"  # 3: words of the postal locality and of the municipality in every language
APPLY = Path(__file__).with_name("apply.lua").read_text()
FIND = Path(__file__).with_name("find.lua").read_text()


@dataclass(frozen=True)
class Keys:
    prefix: str

    def listing(self, number: str) -> str:
        return f"{self.prefix}listing:{number}"

    def category(self, code: str) -> str:
        return f"{self.prefix}cat:{code}"

    def flag(self, name: str) -> str:
        return f"{self.prefix}flag:{name}"

    def word(self, prefix: str) -> str:
        return f"{self.prefix}word:{prefix}"

    @property
    def geo(self) -> str:
        return f"{self.prefix}geo"

    @property
    def generation(self) -> str:
        return f"{self.prefix}generation"

    @property
    def format(self) -> str:
        return f"{self.prefix}format"

    def temp(self) -> str:
        return f"{self.prefix}tmp:{uuid.uuid4().hex}"


def listing_words(listing: Listing) -> set[str]:
    labels = [label for code in listing.categories for label in CATEGORIES.get(code, {}).values()]
    words = tokens(" ".join([listing.name, *place_names(listing.address), *labels, *listing.categories]))
    return prefixes(words)


def place_names(address: Address) -> list[str]:
    """The address's locality and municipality in every language ('Sint-Amandsberg', 'Gent', 'Gand')."""
    found = places.in_postcode(address.postcode, address.locality or address.municipality)
    names = [address.municipality, address.locality or ""]
    return names + ([*found.names, *found.municipality.names] if found else [])


def listing_flags(listing: Listing) -> list[str]:
    channels = listing.channels
    return [name for name, on in (("delivery", channels.delivery), ("pickup", channels.pickup),
                                  ("webshop", channels.webshop is not None)) if on]


@dataclass(frozen=True)
class Found:
    total: int
    hits: list[tuple[Listing, float]]  # listing, distance in km (on Redis's sphere), nearest first, ties by name


class ListingIndex(Protocol):
    """The search index port: the Redis adapter below, and a fake for unit tests (tests/fakes.py); both run through
    tests/integration/test_listing_index_contract.py."""

    async def apply(self, changes: Sequence[tuple[str, Listing | None]]) -> None:
        """Upsert listings and drop tombstoned ones (the last change of a number wins); moves the generation."""

    async def find(self, query: SearchQuery) -> Found:
        """The listings within the radius that have any of the categories, every flag and every word (as a prefix),
        nearest first, ties by name; one page of them and the total."""

    async def matching(self, words: list[str], limit: int) -> list[str]:
        """Up to ``limit`` numbers of listings having every word (as a prefix): type-ahead."""

    async def get_many(self, numbers: list[str]) -> list[Listing | None]: ...
    async def generation(self) -> int:
        """Moves with every change: a cache keyed by it never serves a withdrawn listing."""

    async def count(self) -> int: ...
    async def category_counts(self) -> dict[str, int]: ...
    async def format_current(self) -> bool:
        """Whether the index was written in this version's layout (an empty index is)."""

    async def clear(self) -> None: ...


class RedisListingIndex:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.keys = Keys(prefix)

    async def apply(self, changes: Sequence[tuple[str, Listing | None]]) -> None:
        latest = dict(changes)  # several changes of one listing in a batch: the last one wins, as in the topic
        if not latest:
            return
        args: list[str | float] = [FORMAT, self.keys.prefix]
        for number, listing in latest.items():
            args += [number, -1] if listing is None else _upsert_args(number, listing)
        await self.redis.register_script(APPLY)(keys=[self.keys.generation, self.keys.format], args=args)

    async def find(self, query: SearchQuery) -> Found:
        """GEOSEARCHSTORE keeps the listings within the radius with their distances; ZINTERSTORE narrows them to the
        categories (any of), flags and words with weight 0, so the scores stay distances; the page is read in
        distance order, ties broken by name. All of it is one Lua script (find.lua): one round trip instead of
        nine, which was most of a search's cost (docs/benchmarks.md)."""
        categories = [self.keys.category(c) for c in query.categories]
        filters = [self.keys.flag(f) for f in query.flags] + [self.keys.word(w) for w in query.words]
        script = self.redis.register_script(FIND)  # EVALSHA, loading the script once per Redis
        total, docs = cast(tuple[int, list[bytes]], await script(
            keys=[self.keys.geo, self.keys.temp(), self.keys.temp(), *categories, *filters],
            args=[query.lon, query.lat, query.radius_km, (query.page - 1) * query.size, query.size, len(categories),
                  self.keys.listing("")]))
        listings = [Listing.model_validate_json(doc) for doc in docs if doc]
        return Found(int(total), [(listing, distance_km(query.lat, query.lon, listing.position.lat,
                                                        listing.position.lon)) for listing in listings])

    async def matching(self, words: list[str], limit: int) -> list[str]:
        keys = [self.keys.word(w) for w in words]
        found = await (self.redis.sinter(keys) if len(keys) > 1 else self.redis.srandmember(keys[0], limit))
        return sorted(m.decode() for m in cast(list[bytes], found or []))[:limit]

    async def format_current(self) -> bool:
        return await self.count() == 0 or (await self.redis.get(self.keys.format)) == FORMAT.encode()

    async def get_many(self, numbers: list[str]) -> list[Listing | None]:
        pipe = self.redis.pipeline(transaction=False)
        for number in numbers:
            pipe.hget(self.keys.listing(number), "doc")
        docs = await pipe.execute()
        return [Listing.model_validate_json(doc) if doc else None for doc in docs]

    async def generation(self) -> int:
        return int(await self.redis.get(self.keys.generation) or 0)

    async def count(self) -> int:
        return int(await self.redis.zcard(self.keys.geo))

    async def category_counts(self) -> dict[str, int]:
        pipe = self.redis.pipeline(transaction=False)
        for code in CATEGORIES:
            pipe.scard(self.keys.category(code))
        return dict(zip(CATEGORIES, (int(n) for n in await pipe.execute()), strict=True))

    async def clear(self) -> None:
        """Delete the whole index (reindex starts from nothing)."""
        async for key in self.redis.scan_iter(match=f"{self.keys.prefix}*", count=1000):
            await self.redis.delete(key)


def _upsert_args(number: str, listing: Listing) -> list[str | float]:
    bare = Keys("")  # the set keys below the index's prefix
    terms = [bare.category(code) for code in listing.categories] + [bare.flag(f) for f in listing_flags(listing)]
    terms += [bare.word(word) for word in sorted(listing_words(listing))]
    return [number, len(terms), listing.model_dump_json(), " ".join(tokens(listing.name)), listing.position.lon,
            listing.position.lat, *terms]
