import asyncio

import pytest

from services.common.supervisor import supervised
from services.common.topics import Topics
from services.infra import process
from services.registration.errors import BrokerUnavailable
from services.registration.publisher import KafkaPublisher
from tests.kafka_tools import read_all


async def test_published_record_is_in_the_topic_once_acknowledged(kafka_bootstrap: str, topics: Topics) -> None:
    publisher = KafkaPublisher(kafka_bootstrap, timeout_s=10)
    await publisher.start()
    try:
        async with supervised(publisher.tasks()):
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
    async with supervised(publisher.tasks()):
        with pytest.raises(BrokerUnavailable):  # refused, never left hanging (wait_for would raise TimeoutError)
            await asyncio.wait_for(publisher.publish("registrations.submitted", b"k", b"v"), 60)
    await publisher.stop()
