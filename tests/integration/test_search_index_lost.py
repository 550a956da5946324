"""Redis loses the search index while the service runs (FLUSHALL, a restart without its AOF, a failover to a replica
that never had it): the service notices within seconds, refuses searches (503 problem+json with Retry-After, and the
shoppers' page says so in their language) and is not ready while the index is rebuilt, rebuilds it from the
``listings`` topic by itself, and then serves every listing again, changes made meanwhile included. An index left
*behind* the topic (a failover to a replica that missed the last changes: still built) is noticed within seconds
without a new change and caught up from the positions it holds.

The service runs on a Redis database of its own, so that emptying it (FLUSHDB: what FLUSHALL does to it) touches no
other test's keys."""

import asyncio
import time
from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient
from redis.asyncio import Redis

from services.common.topics import Topics
from services.search.config import Settings
from services.search.index import RedisListingIndex, index_prefix
from services.search.main import create_app
from tests.conftest import FIGURES
from tests.platform import wait_for
from tests.search_samples import GENT, found, listing, number, own_database, publish

OWN_DB = 10  # no other test uses it




@pytest.fixture
def own_db(redis_url: str) -> Iterator[str]:
    with own_database(redis_url, OWN_DB) as url:
        yield url


@pytest.fixture
def service(kafka_bootstrap: str, own_db: str, redis_prefix: str, topics: Topics) -> Iterator[TestClient]:
    settings = Settings(redis_url=own_db, redis_prefix=redis_prefix, kafka_bootstrap_servers=kafka_bootstrap,
                        topic_prefix=topics.prefix, events=False)
    with TestClient(create_app(settings)) as client:
        yield client



def test_a_lost_index_is_refused_while_the_service_rebuilds_it_then_served_whole(
        service: TestClient, kafka_bootstrap: str, own_db: str, redis_prefix: str, topics: Topics) -> None:
    listed = {number(i): listing(number(i), GENT[0] + i / 1000, GENT[1], name=f"Winkel {i}") for i in range(1, 41)}
    publish(kafka_bootstrap, topics, listed)
    assert wait_for(lambda: found(service) == (200, set(listed)))
    assert wait_for(lambda: service.get("/readyz").status_code == 200)  # the consumer joined its group too

    store = redis.Redis.from_url(own_db)
    lock = f"{index_prefix(redis_prefix)}rebuilding"
    with store.pipeline(transaction=True) as lost:  # emptied, and another process at its rebuild: it stays lost
        lost.flushdb()
        lost.set(lock, "another process", px=120_000)
        lost.execute()
    lost_at = time.monotonic()
    assert wait_for(lambda: found(service)[0] == 503, timeout=10)
    noticed_s = time.monotonic() - lost_at

    refused = service.get("/v1/search", params={"lat": GENT[0], "lon": GENT[1]})
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"].isdigit()
    assert refused.json()["type"].endswith("/problems/index-rebuilding")
    assert service.get(f"/v1/listings/{number(1)}").status_code == 503  # not a 404: it is listed
    assert service.get("/v1/categories").status_code == 503
    page = service.get("/", params={"place": "9000 Gent", "lang": "fr"})
    assert page.status_code == 503
    assert "reconstruction" in page.text
    ready = service.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["index"] is False

    withdrawn, added = number(1), number(77)
    publish(kafka_bootstrap, topics, {withdrawn: None, added: listing(added, GENT[0], GENT[1] + 0.01)})
    assert found(service)[0] == 503  # still refused: the rebuild has not started
    store.delete(lock)  # the other process gave up: this one rebuilds
    released_at = time.monotonic()

    expected = (set(listed) - {withdrawn}) | {added}
    assert wait_for(lambda: found(service) == (200, expected), timeout=30)
    FIGURES.append(f"search index lost: refused after {noticed_s:.1f} s; rebuilt ({len(expected)} listings) and "
                   f"served {time.monotonic() - released_at:.1f} s after the rebuild could start")
    assert wait_for(lambda: service.get("/readyz").status_code == 200, timeout=10)
    store.close()


def test_an_index_behind_the_topic_is_noticed_and_caught_up_from_its_own_positions(
        service: TestClient, kafka_bootstrap: str, own_db: str, redis_prefix: str, topics: Topics) -> None:
    first = {number(i): listing(number(i), GENT[0] + i / 1000, GENT[1]) for i in range(1, 21)}
    publish(kafka_bootstrap, topics, first)
    assert wait_for(lambda: found(service) == (200, set(first)))
    store = redis.Redis.from_url(own_db)
    positions = f"{index_prefix(redis_prefix)}positions"
    then = {int(partition): int(offset) for partition, offset in store.hgetall(positions).items()}
    later = {number(i): listing(number(i), GENT[0] - i / 1000, GENT[1]) for i in range(21, 31)}
    publish(kafka_bootstrap, topics, later)
    assert wait_for(lambda: found(service) == (200, set(first) | set(later)))

    # What a replica that missed the last changes holds after a failover: the later listings absent, the positions
    # where they were before them (built: it had the index).
    asyncio.run(_rewind(own_db, redis_prefix, list(later), then))
    rewound_at = time.monotonic()
    assert wait_for(lambda: found(service) == (200, set(first) | set(later)), timeout=15)
    FIGURES.append(f"search index behind the topic (a lagging replica): caught up from its own positions "
                   f"{time.monotonic() - rewound_at:.1f} s after, no change published meanwhile")
    assert "buurt_search_index_behind_total 1.0" in service.get("/metrics").text
    store.close()


async def _rewind(url: str, redis_prefix: str, numbers: list[str], positions: dict[int, int]) -> None:
    redis = Redis.from_url(url)
    try:
        await RedisListingIndex(redis, index_prefix(redis_prefix)).apply([(n, None) for n in numbers])
        async with redis.pipeline(transaction=True) as rewinding:
            rewinding.delete(f"{index_prefix(redis_prefix)}positions")
            rewinding.hset(f"{index_prefix(redis_prefix)}positions",
                           mapping={str(partition): str(offset) for partition, offset in positions.items()})
            await rewinding.execute()
    finally:
        await redis.aclose()
