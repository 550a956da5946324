"""Where the listings consumer left the index (services/search/consumer.py, Positions): reading resumes after the
index's own positions, each batch carries what the consumer last applied, and an index found behind is reported."""

import asyncio
from typing import Any

import pytest
from aiokafka.structs import ConsumerRecord, TopicPartition
from redis.exceptions import ConnectionError as RedisConnectionError

from services.search.consumer import Positions
from services.search.index import Advance, IndexBehind
from tests.fakes import InMemoryListingIndex

TOPIC = "listings"


class Seeks:
    """Records the seeks a consumer is asked for."""

    def __init__(self) -> None:
        self.seeks: dict[int, int] = {}

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks[tp.partition] = offset


def record(partition: int, offset: int) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(TOPIC, partition, offset, 0, 0, b"k", b"v", None, 1, 1, [])


def assigned(positions: Positions, *partitions: int) -> dict[int, int]:
    consumer = Seeks()
    asyncio.run(positions.assigned(consumer, {TopicPartition(TOPIC, p) for p in partitions}))
    return consumer.seeks


def test_reading_resumes_after_the_index_positions_and_batches_carry_what_was_applied() -> None:
    index = InMemoryListingIndex()
    asyncio.run(index.mark_built({0: 41, 2: 7, 9: 3}))
    positions = Positions(index)
    assert assigned(positions, 0, 1, 2) == {0: 42, 2: 8}  # 1: the index holds none of it, the group's offset holds
    advances = positions.advances([record(0, 42), record(1, 5), record(0, 44), record(1, 6)])
    assert advances == [Advance(0, 41, 44), Advance(1, None, 6)]
    positions.moved(advances)
    assert positions.advances([record(1, 9)]) == [Advance(1, 6, 9)]


def test_an_index_behind_what_the_consumer_applied_is_reported() -> None:
    index = InMemoryListingIndex()
    asyncio.run(index.mark_built({0: 10}))
    positions = Positions(index)
    assigned(positions, 0)
    advances = positions.advances([record(0, 11), record(0, 12)])
    asyncio.run(index.apply([], guarded=True, advances=advances))
    positions.moved(advances)
    asyncio.run(positions.check())  # where it left it
    asyncio.run(index.mark_built({0: 11}))  # a replica that missed the last record
    with pytest.raises(IndexBehind, match="partition 0 at 11, not 12"):
        asyncio.run(positions.check())


def test_positions_that_could_not_be_read_at_assignment_end_the_next_batch() -> None:
    class Unreachable(InMemoryListingIndex):
        async def positions(self, *_: Any) -> dict[int, int]:
            raise RedisConnectionError("Redis is down")

    positions = Positions(Unreachable())
    assert assigned(positions, 0) == {}
    with pytest.raises(RedisConnectionError):
        positions.advances([record(0, 1)])
    with pytest.raises(RedisConnectionError):
        asyncio.run(positions.check())
