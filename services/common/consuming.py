"""The loop of a supervised Kafka consumer that projects a topic into a store (the partners' statuses, the search
index): read committed records, apply them, then commit the offsets, so what was not applied is read again after a
restart. It reports healthy once it reads; anything its ``apply`` raises ends it, for its supervisor to restart.
A store that keeps its own positions in the topic (the search index) says where reading resumes when partitions are
assigned (``on_assign``)."""

from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener
from aiokafka.structs import ConsumerRecord, TopicPartition

from services.common import kafka_client
from services.common.supervisor import TaskHandle

Apply = Callable[[list[ConsumerRecord[bytes, bytes]]], Awaitable[None]]
OnAssign = Callable[[AIOKafkaConsumer, set[TopicPartition]], Awaitable[None]]


class _Assigned(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka's base class is not typed
    def __init__(self, consumer: AIOKafkaConsumer, on_assign: OnAssign) -> None:
        self.consumer, self.on_assign = consumer, on_assign

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self.on_assign(self.consumer, assigned)


async def follow(bootstrap: str, topic: str, group_id: str, handle: TaskHandle, apply: Apply,
                 max_records: int = 500, idle: Callable[[], Awaitable[None]] | None = None,
                 on_assign: OnAssign | None = None) -> None:
    """Consume ``topic`` in the consumer group until cancelled, calling ``apply`` with each non-empty batch and
    ``idle`` after each empty poll (at most every half second): a check of the store that may end the loop;
    ``on_assign`` with the partitions of each assignment, before they are read (it may seek them)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False,
                                auto_offset_reset="earliest", isolation_level="read_committed",
                                **kafka_client.aiokafka_options())
    consumer.subscribe([topic], listener=_Assigned(consumer, on_assign) if on_assign else None)
    await consumer.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=500, max_records=max_records)
            handle.healthy()
            records = [record for part in batches.values() for record in part]
            if records:
                await apply(records)
            elif idle is not None:
                await idle()
            if batches:
                await consumer.commit()
    finally:
        await consumer.stop()


def each(apply_one: Callable[[ConsumerRecord[bytes, bytes]], Awaitable[None]]) -> Apply:
    """An ``apply`` that takes the records of a batch one by one, in order."""

    async def apply(records: list[ConsumerRecord[bytes, bytes]]) -> None:
        for record in records:
            await apply_one(record)

    return apply
