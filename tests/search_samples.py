"""Listings for the search tests (wire models, as the consent worker publishes them)."""

import asyncio
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime

import redis
from fastapi.testclient import TestClient
from redis.asyncio import Redis

from services.common import codec
from services.common.enterprise import with_check_digits
from services.common.events import Address, Channels, Listing, Position, PublicContact
from services.common.topics import Topics
from services.search.index import RedisListingIndex, index_prefix
from tests.kafka_tools import produce

GENT = (51.0543, 3.7174)


def number(i: int) -> str:
    """The i-th of a run of valid enterprise numbers."""
    return with_check_digits(f"{i:08d}")


def found(client: TestClient) -> tuple[int, set[str]]:
    """What a search service answers around Gent (50 km, 100 results): its status and the listings' numbers."""
    response = client.get("/v1/search", params={"lat": GENT[0], "lon": GENT[1], "radius_km": 50, "size": 100})
    if response.status_code != 200:
        return response.status_code, set()
    return 200, {hit["enterprise_number"] for hit in response.json()["results"]}


def publish(bootstrap: str, topics: Topics, changes: Mapping[str, Listing | None]) -> None:
    """Listing changes on the listings topic, as the consent worker writes them (None: a tombstone)."""
    asyncio.run(produce(bootstrap, topics.listings, [
        (key.encode(), None if value is None else codec.encode(value)) for key, value in changes.items()]))


@contextmanager
def own_database(redis_url: str, number: int) -> Iterator[str]:
    """The URL of Redis database ``number`` (on the server of ``redis_url``), emptied before and after: a test module
    that empties or scans its database touches no other test's keys (each module its own number)."""
    url = redis_url.rsplit("/", 1)[0] + f"/{number}"
    connection = redis.Redis.from_url(url)
    connection.flushdb()
    try:
        yield url
    finally:
        connection.flushdb()
        connection.close()


def built(redis_url: str, redis_prefix: str) -> None:
    """Mark the index of the search service under ``redis_prefix`` built, as the listings consumer's rebuild does:
    for apps that do not consume, whose tests index their listings themselves."""
    async def mark() -> None:
        connection = Redis.from_url(redis_url)
        try:
            await RedisListingIndex(connection, index_prefix(redis_prefix)).mark_built()
        finally:
            await connection.aclose()

    asyncio.run(mark())


def listing(number: str, lat: float, lon: float, name: str = "Winkel", categories: tuple[str, ...] = ("speciaalzaak",),
            municipality: str = "Gent", postcode: str = "9000", channels: Channels | None = None,
            purposes: tuple[str, ...] = ("listing",)) -> Listing:
    return Listing(enterprise_number=number, name=name, position=Position(lat=lat, lon=lon),
                   address=Address(street="Veldstraat", number="1", postcode=postcode, municipality=municipality),
                   categories=categories, contact=PublicContact(phone="+3292234567"),
                   channels=channels or Channels(), partner_id="unizo-winkelhier", listed_at=datetime.now(UTC),
                   purposes=purposes)
