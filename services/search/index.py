"""The Redis index: a hash per listing and a geo set of all listings, kept as a projection of ``listings``."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from redis.asyncio import Redis

from services.common.events import Listing


@dataclass(frozen=True)
class Keys:
    prefix: str

    def listing(self, enterprise_number: str) -> str:
        return f"{self.prefix}listing:{enterprise_number}"

    @property
    def geo(self) -> str:
        return f"{self.prefix}geo:all"


class ListingIndex:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.keys = Keys(prefix)

    async def apply(self, changes: Sequence[tuple[str, Listing | None]]) -> None:
        """Upsert listings and drop tombstoned ones, in one round trip."""
        pipe = self.redis.pipeline(transaction=True)
        for enterprise_number, listing in changes:
            if listing is None:
                pipe.delete(self.keys.listing(enterprise_number))
                pipe.zrem(self.keys.geo, enterprise_number)
            else:
                pipe.hset(self.keys.listing(enterprise_number), mapping={"doc": listing.model_dump_json()})
                pipe.geoadd(self.keys.geo, (listing.position.lon, listing.position.lat, enterprise_number))
        await pipe.execute()

    async def near(self, lat: float, lon: float, radius_km: float) -> list[tuple[str, float]]:
        """Enterprise numbers within radius, nearest first, with their distance in km."""
        rows = await self.redis.geosearch(
            self.keys.geo, longitude=lon, latitude=lat, radius=radius_km, unit="km", sort="ASC", withdist=True)
        return [(_text(member), float(dist)) for member, dist in cast(list[tuple[bytes, float]], rows)]

    async def get_many(self, enterprise_numbers: list[str]) -> list[Listing | None]:
        pipe = self.redis.pipeline(transaction=False)
        for number in enterprise_numbers:
            pipe.hget(self.keys.listing(number), "doc")
        docs = await pipe.execute()
        return [Listing.model_validate_json(doc) if doc else None for doc in docs]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
