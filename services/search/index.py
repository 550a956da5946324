"""The Redis index: a projection of the compacted ``listings`` topic.

Keys (under a prefix):
    listing:<number>   hash: doc (the Listing JSON), name (folded, for tie-breaking)
    geo                GEO set of every listing
    cat:<code>         set of listings per category
    flag:<name>        set of listings with delivery / pickup / webshop
    word:<prefix>      set of listings whose name, municipality or category labels have a word starting so
    generation         bumped on every change: cached results of an older generation are never read again
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from redis.asyncio import Redis

from services.common.categories import CATEGORIES
from services.common.events import Listing
from services.search.text import prefixes, tokens

FLAGS = ("delivery", "pickup", "webshop")


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

    def temp(self) -> str:
        return f"{self.prefix}tmp:{uuid.uuid4().hex}"


def listing_words(listing: Listing) -> set[str]:
    labels = [label for code in listing.categories for label in CATEGORIES.get(code, {}).values()]
    words = tokens(" ".join([listing.name, listing.address.municipality, *labels, *listing.categories]))
    return prefixes(words)


def listing_flags(listing: Listing) -> list[str]:
    channels = listing.channels
    return [name for name, on in (("delivery", channels.delivery), ("pickup", channels.pickup),
                                  ("webshop", channels.webshop is not None)) if on]


class ListingIndex:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.keys = Keys(prefix)

    async def apply(self, changes: Sequence[tuple[str, Listing | None]]) -> None:
        """Upsert listings and drop tombstoned ones; the old version's traces go first, then the generation moves."""
        latest = dict(changes)  # several changes of one listing in a batch: the last one wins, as in the topic
        if not latest:
            return
        changes = list(latest.items())
        olds = await self.get_many([number for number, _ in changes])
        pipe = self.redis.pipeline(transaction=True)
        for (number, listing), old in zip(changes, olds, strict=True):
            if old is not None:
                self._unindex(pipe, number, old)
            if listing is not None:
                self._index(pipe, number, listing)
        pipe.incr(self.keys.generation)
        await pipe.execute()

    def _index(self, pipe: object, number: str, listing: Listing) -> None:
        p = cast(Redis, pipe)
        p.hset(self.keys.listing(number), mapping={"doc": listing.model_dump_json(),
                                                   "name": " ".join(tokens(listing.name))})
        p.geoadd(self.keys.geo, (listing.position.lon, listing.position.lat, number))
        for code in listing.categories:
            p.sadd(self.keys.category(code), number)
        for flag in listing_flags(listing):
            p.sadd(self.keys.flag(flag), number)
        for word in listing_words(listing):
            p.sadd(self.keys.word(word), number)

    def _unindex(self, pipe: object, number: str, old: Listing) -> None:
        p = cast(Redis, pipe)
        p.delete(self.keys.listing(number))
        p.zrem(self.keys.geo, number)
        for code in old.categories:
            p.srem(self.keys.category(code), number)
        for flag in FLAGS:
            p.srem(self.keys.flag(flag), number)
        for word in listing_words(old):
            p.srem(self.keys.word(word), number)

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
