"""Listings for the search tests (wire models, as the consent worker publishes them)."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import redis
from redis.asyncio import Redis

from services.common.events import Address, Channels, Listing, Position, PublicContact
from services.search.index import RedisListingIndex, index_prefix


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
