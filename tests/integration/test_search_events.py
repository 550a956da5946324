"""The search service's anonymous search events on the real Kafka: one per search, with the municipality and
postcode but never the position; and when Kafka cannot be reached, searches are answered as before, the service
stays ready, and the dropped events are counted."""

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from services.common import codec
from services.common.events import SearchPerformed
from services.common.kafka_admin import create_topics
from services.common.topic_reader import read_topic
from services.common.topics import Topics
from services.infra import process
from services.search.config import Settings
from services.search.main import create_app
from tests.platform import wait_for
from tests.search_samples import built

GENT = {"lat": 51.0543, "lon": 3.7174}


@pytest.fixture
def topics(kafka_bootstrap: str) -> Topics:
    names = Topics(f"ev{uuid.uuid4().hex[:8]}.")
    asyncio.run(create_topics(kafka_bootstrap, names))
    return names


def app(bootstrap: str, redis_url: str, redis_prefix: str, topics: Topics, buffer: int = 10_000) -> TestClient:
    built(redis_url, redis_prefix)
    return TestClient(create_app(Settings(redis_url=redis_url, redis_prefix=redis_prefix, consume=False,
                                          kafka_bootstrap_servers=bootstrap, topic_prefix=topics.prefix,
                                          events_buffer=buffer)))


def events(bootstrap: str, topic: str) -> list[SearchPerformed]:
    try:
        records = asyncio.run(read_topic(bootstrap, topic))
    except LookupError:  # a topic created a moment ago may not be in the broker's metadata yet: none read so far
        return []
    return [codec.decode(SearchPerformed, r.value) for r in records]


def test_each_search_is_an_anonymous_event(kafka_bootstrap: str, redis_url: str, redis_prefix: str,
                                           topics: Topics) -> None:
    with app(kafka_bootstrap, redis_url, redis_prefix, topics) as client:
        for params in ({**GENT, "q": "bakker"}, {"place": "9040 Sint-Amandsberg", "q": "kaas", "category": "slager"},
                       {**GENT, "q": "jan@example.be"}):
            assert client.get("/v1/search", params=params).status_code == 200
        assert wait_for(lambda: len(events(kafka_bootstrap, topics.searches)) == 3, timeout=30)
    found = sorted(events(kafka_bootstrap, topics.searches), key=lambda e: e.postcode + ",".join(e.words))
    assert [(e.municipality_nis, e.postcode, e.words, e.categories, e.results) for e in found] == [
        ("44021", "9000", (), (), 0), ("44021", "9000", ("bakker",), ("bakker",), 0),
        ("44021", "9040", ("kaas",), ("slager", "kaas-zuivel"), 0)]  # asked for, and named by a word
    raw = b"".join(r.value or b"" for r in asyncio.run(read_topic(kafka_bootstrap, topics.searches)))
    assert b"51.05" not in raw
    assert b"example" not in raw


def test_a_municipalitys_events_share_the_partition_a_keyed_send_would_choose(
        kafka_bootstrap: str, redis_url: str, redis_prefix: str, topics: Topics) -> None:
    """The events leave in batches per partition; the insights' tables rely on a municipality's searches staying
    in one partition, the one the Kafka client's own keyed send picks."""
    towns = ["9000 Gent", "2600 Berchem", "3000 Leuven", "8000 Brugge", "1000 Brussel", "4000 Liège", "5000 Namur",
             "9040 Sint-Amandsberg", "2800 Mechelen", "3500 Hasselt"]
    with app(kafka_bootstrap, redis_url, redis_prefix, topics) as client:
        for n in range(60):
            assert client.get("/v1/search", params={"place": towns[n % len(towns)]}).status_code == 200
        assert wait_for(lambda: len(events(kafka_bootstrap, topics.searches)) == 60, timeout=30)
    records = asyncio.run(read_topic(kafka_bootstrap, topics.searches))
    placed = {(r.key, r.partition) for r in records}
    reference = asyncio.run(_keyed_partitions(kafka_bootstrap, topics.searches, {key for key, _ in placed}))
    assert len(placed) == len(reference) == 9  # Gent and Sint-Amandsberg are one municipality
    assert placed == set(reference.items())


async def _keyed_partitions(bootstrap: str, topic: str, keys: set[bytes | None]) -> dict[bytes | None, int]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        return {key: (await (await producer.send(topic, b"reference", key=key))).partition for key in keys}
    finally:
        await producer.stop()


def test_without_kafka_searches_go_on_the_service_stays_ready_and_drops_are_counted(
        redis_url: str, redis_prefix: str, topics: Topics) -> None:
    nowhere = f"127.0.0.1:{process.free_port()}"  # no broker listens there
    before = REGISTRY.get_sample_value("buurt_search_events_total", {"outcome": "dropped"}) or 0
    with app(nowhere, redis_url, redis_prefix, topics, buffer=3) as client:
        for _ in range(10):
            assert client.get("/v1/search", params={**GENT, "q": "bakker"}).status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert "search-events" in ready.json()["tasks"]
    assert (REGISTRY.get_sample_value("buurt_search_events_total", {"outcome": "dropped"}) or 0) >= before + 7
