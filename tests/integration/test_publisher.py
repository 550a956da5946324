import time

import pytest

from services.common.topics import Topics
from services.infra import process
from services.registration.errors import BrokerUnavailable
from services.registration.publisher import KafkaPublisher
from tests.kafka_tools import read_all


async def test_published_record_is_in_the_topic_once_acknowledged(kafka_bootstrap: str, topics: Topics) -> None:
    publisher = KafkaPublisher(kafka_bootstrap, timeout_s=10)
    await publisher.start()
    try:
        await publisher.publish(topics.submitted, b"0428759497", b'{"hello": 1}')
        assert await publisher.ready()
    finally:
        await publisher.stop()
    [record] = await read_all(kafka_bootstrap, topics.submitted, expect=1)
    assert (record.key, record.value) == (b"0428759497", b'{"hello": 1}')


async def test_unreachable_broker_fails_fast_instead_of_accepting() -> None:
    publisher = KafkaPublisher(f"127.0.0.1:{process.free_port()}", timeout_s=2)
    await publisher.start()  # tolerates the outage at start-up: /readyz says not ready
    assert not await publisher.ready()
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable):
        await publisher.publish("registrations.submitted", b"k", b"v")
    assert time.monotonic() - started < 30  # bounded, never hangs (a generous bound: not a timing assertion)
    await publisher.stop()
