"""The registration service over real Kafka and Redis: durability, idempotency, bulk results, broker outages."""

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.common import codec, events
from services.common.kafka_admin import create_topics
from services.common.topics import Topics
from services.infra import kafka, process
from services.registration.config import Settings
from services.registration.main import create_app
from tests.fakes import KboSnapshotOf
from tests.kafka_tools import read_all
from tests.samples import registration_body, signed


def client_for(bootstrap: str, redis_url: str, topics: Topics, **overrides: Any) -> TestClient:
    settings = Settings(kafka_bootstrap_servers=bootstrap, redis_url=redis_url, topic_prefix=topics.prefix,
                        redis_prefix=f"{topics.prefix}reg:", consume_decisions=False, consume_ingress=False,
                        rate_limit_per_minute=100_000, **overrides)
    return TestClient(create_app(settings, kbo=KboSnapshotOf()))  # the KBO check is tested in test_kbo_load.py


def post(client: TestClient, path: str, body: Any, timestamp: int | None = None,
         headers: dict[str, str] | None = None, partner: str = "unizo-winkelhier") -> Any:
    raw = json.dumps(body).encode()
    return client.post(path, content=raw, headers={**signed("POST", path, raw, partner, timestamp=timestamp),
                                                   **(headers or {})})


def test_accepted_registration_is_in_the_topic_once_even_when_retried(
        kafka_bootstrap: str, redis_url: str, topics: Topics) -> None:
    body = registration_body("0428 759 497")
    signed_at = int(time.time())
    with client_for(kafka_bootstrap, redis_url, topics) as client:
        first = post(client, "/v1/registrations", body, signed_at, headers={"Idempotency-Key": "retry-me"})
        retry = post(client, "/v1/registrations", body, timestamp=signed_at - 3,
                     headers={"Idempotency-Key": "retry-me"})
    assert first.status_code == retry.status_code == 202
    assert first.json() == retry.json()
    [record] = asyncio.run(read_all(kafka_bootstrap, topics.submitted, expect=1))
    assert record.key == b"0428759497"
    event = codec.decode(events.RegistrationSubmitted, record.value)
    assert str(event.event_id) == first.json()["id"]
    assert event.business.address.municipality == "Gent"


def test_batch_of_a_thousand_mixed_items_publishes_exactly_the_valid_ones(
        kafka_bootstrap: str, redis_url: str, topics: Topics) -> None:
    items = [registration_body() for _ in range(1000)]
    invalid = set(range(0, 1000, 7))
    for index in invalid:
        items[index]["address"]["postcode"] = "9999"
    with client_for(kafka_bootstrap, redis_url, topics) as client:
        response = post(client, "/v1/registrations:batch", {"registrations": items}, partner="nsz-koopvanuitjekot")
    body = response.json()
    assert response.status_code == 200, {k: body[k] for k in ("accepted", "rejected", "unavailable")}
    assert (body["accepted"], body["rejected"]) == (1000 - len(invalid), len(invalid))
    for result in body["results"]:
        expected = "rejected" if result["index"] in invalid else "accepted"
        assert result["status"] == expected
    accepted_ids = {r["id"] for r in body["results"] if r["status"] == "accepted"}
    records = asyncio.run(read_all(kafka_bootstrap, topics.submitted, expect=len(accepted_ids)))
    assert {str(codec.decode(events.RegistrationSubmitted, r.value).event_id) for r in records} == accepted_ids


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[kafka.KafkaNode]:
    """A broker this test may stop and start without disturbing the others."""
    node = kafka.KafkaNode(tmp_path / "kafka", process.free_port(), process.free_port())
    kafka.start(node)
    try:
        yield node
    finally:
        kafka.stop(node)


def test_broker_outage_gives_503_quickly_and_the_same_request_succeeds_after_recovery(
        own_broker: kafka.KafkaNode, redis_url: str) -> None:
    topics = Topics(f"out{uuid.uuid4().hex[:6]}.")
    asyncio.run(create_topics(own_broker.bootstrap, topics))
    body = registration_body()
    with client_for(own_broker.bootstrap, redis_url, topics, publish_timeout_s=3) as client:
        assert post(client, "/v1/registrations", registration_body()).status_code == 202
        kafka.stop(own_broker)
        started = time.monotonic()
        signed_at = int(time.time())
        during = post(client, "/v1/registrations", body, signed_at, headers={"Idempotency-Key": "outage"})
        assert during.status_code == 503
        assert during.headers["retry-after"]
        assert time.monotonic() - started < 15  # bounded by publish_timeout_s, never hangs
        kafka.start(own_broker)
        after = post(client, "/v1/registrations", body, timestamp=signed_at - 1,
                     headers={"Idempotency-Key": "outage"})
        assert after.status_code == 202, after.text
    records = asyncio.run(read_all(own_broker.bootstrap, topics.submitted, expect=2))
    ids = [str(codec.decode(events.RegistrationSubmitted, r.value).event_id) for r in records]
    assert len(ids) == 2  # nothing half-accepted during the outage, nothing doubled by the retry
    assert after.json()["id"] in ids
