"""The search projection against a real Redis: GEO distances, ordering and tombstones."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from services.common.events import Address, Listing, Position, PublicContact
from services.search.index import ListingIndex


def listing(number: str, lat: float, lon: float, name: str = "Winkel") -> Listing:
    return Listing(enterprise_number=number, name=name, position=Position(lat=lat, lon=lon),
                   address=Address(street="Veldstraat", number="1", postcode="9000", municipality="Gent"),
                   categories=("speciaalzaak",), contact=PublicContact(), partner_id="unizo-winkelhier",
                   listed_at=datetime.now(UTC))


@pytest.fixture
async def index(redis_url: str, redis_prefix: str) -> AsyncIterator[ListingIndex]:
    redis = Redis.from_url(redis_url)
    yield ListingIndex(redis, redis_prefix)
    await redis.aclose()


async def test_nearest_listing_comes_first_and_far_ones_are_left_out(index: ListingIndex) -> None:
    await index.apply([("0000000097", listing("0000000097", 51.06, 3.72)),
                       ("0000000196", listing("0000000196", 51.05, 3.72)),
                       ("0000000295", listing("0000000295", 50.85, 4.35))])  # Brussels, ~50 km away
    near = await index.near(51.05, 3.72, 10)
    assert [number for number, _ in near] == ["0000000196", "0000000097"]
    assert near[0][1] == pytest.approx(0.0, abs=0.001)
    assert near[1][1] == pytest.approx(1.112, abs=0.005)


async def test_tombstone_removes_every_trace(index: ListingIndex) -> None:
    await index.apply([("0000000097", listing("0000000097", 51.06, 3.72))])
    await index.apply([("0000000097", None)])
    assert await index.near(51.06, 3.72, 1) == []
    assert await index.get_many(["0000000097"]) == [None]
    assert await index.redis.keys(f"{index.keys.prefix}*") == []
